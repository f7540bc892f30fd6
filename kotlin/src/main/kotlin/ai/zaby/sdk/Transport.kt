package ai.zaby.sdk

import ai.zaby.sdk.ffi.FfiTransportRequest
import ai.zaby.sdk.ffi.FfiTransportResponse
import ai.zaby.sdk.ffi.HostTransport
import ai.zaby.sdk.internal.HostErrors
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlin.coroutines.cancellation.CancellationException

/** One HTTP attempt as the core hands it to a [Transport] (API.md §1.11). */
data class TransportRequest(
    val method: String,
    val url: String,
    /** Path plus query string. */
    val path: String,
    /** Lower-case names. */
    val headers: Map<String, String>,
    val json: JsonElement?,
    /** The SSE request: answer the event stream's text as [TransportResponse.body]. */
    val stream: Boolean,
    val timeoutMs: Long,
)

/** What a [Transport] answers: a JSON body, a raw body, or neither. */
data class TransportResponse(
    val status: Int,
    val headers: Map<String, String> = emptyMap(),
    val json: JsonElement? = null,
    val body: String? = null,
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

internal fun TransportResponse.toFfi(): FfiTransportResponse {
    if (status !in 100..599) {
        throw ZabyConnectionException("the custom transport answered an invalid status $status")
    }
    return FfiTransportResponse(status.toUShort(), headers, json?.toString(), body)
}

internal fun FfiTransportResponse.toKotlin() =
    TransportResponse(status.toInt(), headers, jsonBody?.let(Json::parseToJsonElement), body)

/** A user's [Transport] as the native library calls it. */
internal class HostTransportAdapter(private val transport: Transport) : HostTransport {
    override suspend fun send(request: FfiTransportRequest): FfiTransportResponse =
        try {
            transport.send(request.toKotlin()).toFfi()
        } catch (e: CancellationException) {
            throw e
        } catch (t: Throwable) {
            throw HostErrors.failure(t)
        }
}
