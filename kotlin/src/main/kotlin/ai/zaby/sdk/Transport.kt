package ai.zaby.sdk

import ai.zaby.sdk.ffi.FfiTransportRequest
import ai.zaby.sdk.ffi.FfiTransportResponse
import ai.zaby.sdk.ffi.HostTransport
import ai.zaby.sdk.internal.HostErrors
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.ReceiveChannel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.produceIn
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong
import kotlin.coroutines.cancellation.CancellationException

/** One HTTP attempt as the core hands it to a [Transport] (`docs/testing.md`). */
data class TransportRequest(
    val method: String,
    val url: String,
    /** Path plus query string. */
    val path: String,
    /** Lower-case names. */
    val headers: Map<String, String>,
    val json: JsonElement?,
    /**
     * The SSE request: answer the events as they arrive in [TransportResponse.bodyStream]
     * (or, for a stream that has ended, its whole text as [TransportResponse.body]).
     */
    val stream: Boolean,
    val timeoutMs: Long,
)

/** What a [Transport] answers: a JSON body, a raw body, a body stream, or none. */
data class TransportResponse(
    val status: Int,
    val headers: Map<String, String> = emptyMap(),
    val json: JsonElement? = null,
    val body: String? = null,
    /**
     * A body read chunk by chunk (bytes, in any slicing) while the core parses it: how a
     * stream request is answered as its events arrive. The core stops collecting it
     * (the flow is cancelled) as soon as it reads no more. What it throws is handled
     * like what [Transport.send] throws: a [ZabyConnectionException] makes the stream
     * reconnect.
     */
    val bodyStream: Flow<ByteArray>? = null,
)

/**
 * Sends one attempt. Throw [ZabyConnectionException] or [ZabyTimeoutException] for a
 * network failure (retried like the built-in transport's); anything else reaches the
 * caller unchanged. The coroutine is cancelled when the core gives up on the attempt.
 */
fun interface Transport {
    suspend fun send(request: TransportRequest): TransportResponse
}

internal fun FfiTransportRequest.toKotlin() = TransportRequest(
    method = method,
    url = url,
    path = path,
    headers = headers,
    json = jsonBody?.let(Json::parseToJsonElement),
    stream = stream,
    timeoutMs = timeoutMs.toLong(),
)

internal fun TransportRequest.toFfi() = FfiTransportRequest(
    method, url, path, headers, json?.toString(), stream, timeoutMs.coerceAtLeast(0).toULong(),
)

internal fun TransportResponse.toFfi(streamId: ULong? = null): FfiTransportResponse {
    if (status !in 100..599) {
        throw ZabyConnectionException("the custom transport answered an invalid status $status")
    }
    return FfiTransportResponse(status.toUShort(), headers, json?.toString(), body, streamId)
}

internal fun FfiTransportResponse.toKotlin() =
    TransportResponse(status.toInt(), headers, jsonBody?.let(Json::parseToJsonElement), body)

/**
 * A user's [Transport] as the native library calls it. A [TransportResponse.bodyStream]
 * is collected into a channel under an id the core pulls chunks from; the core closes
 * the id when it reads no more, which cancels the collection.
 */
internal class HostTransportAdapter(private val transport: Transport) : HostTransport {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val streams = ConcurrentHashMap<ULong, ReceiveChannel<ByteArray>>()
    private val nextId = AtomicLong()

    override suspend fun send(request: FfiTransportRequest): FfiTransportResponse = hosted {
        val answer = transport.send(request.toKotlin())
        val id = answer.bodyStream?.let { chunks ->
            // Rendezvous: a chunk is read from the flow only when the core asks for one.
            nextId.incrementAndGet().toULong().also { streams[it] = chunks.buffer(Channel.RENDEZVOUS).produceIn(scope) }
        }
        answer.toFfi(id)
    }

    override suspend fun nextChunk(streamId: ULong): ByteArray? = hosted {
        val chunk = streams[streamId]?.receiveCatching() ?: return@hosted null
        chunk.exceptionOrNull()?.let { throw it }
        chunk.getOrNull()
    }

    override fun closeStream(streamId: ULong) {
        streams.remove(streamId)?.cancel()
    }

    /** What user code throws, kept for the caller (cancellation stays cancellation). */
    private inline fun <T> hosted(block: () -> T): T = try {
        block()
    } catch (e: CancellationException) {
        throw e
    } catch (t: Throwable) {
        throw HostErrors.failure(t)
    }
}
