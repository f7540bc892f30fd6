package ai.zaby.e2e.support

import ai.zaby.sdk.Transport
import ai.zaby.sdk.TransportRequest
import ai.zaby.sdk.TransportResponse
import ai.zaby.sdk.ZabyConnectionException
import ai.zaby.sdk.ZabyTimeoutException
import ai.zaby.sdk.ffi.endpointsJson
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.future.await
import kotlinx.coroutines.job
import kotlinx.coroutines.withContext
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.io.IOException
import java.io.InputStream
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.net.http.HttpTimeoutException
import java.time.Duration
import java.util.concurrent.CopyOnWriteArrayList

/** One request a recording client sent and the status it got. */
data class Recorded(val method: String, val path: String, val status: Int)

/**
 * Coverage by recording what the SDK sends: a custom [Transport] (`docs/testing.md`) that
 * forwards every attempt with the JDK's HTTP client and remembers method, path and
 * status. A stream request is answered with a body stream that hands the SDK each piece
 * of the event stream as the server sends it.
 */
class RecordingTransport : Transport {
    /** Every request the recording clients sent, in order. */
    val recorded: MutableList<Recorded> = CopyOnWriteArrayList()

    private val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()

    override suspend fun send(request: TransportRequest): TransportResponse {
        val builder = HttpRequest.newBuilder(URI(request.url))
        if (request.timeoutMs > 0) builder.timeout(Duration.ofMillis(request.timeoutMs))
        for ((name, value) in request.headers) if (name.lowercase() !in OWN_HEADERS) builder.header(name, value)
        val body = request.json?.toString()
        if (body != null && request.headers.keys.none { it.equals("content-type", ignoreCase = true) }) {
            builder.header("content-type", "application/json")
        }
        builder.method(request.method, body?.let(HttpRequest.BodyPublishers::ofString) ?: HttpRequest.BodyPublishers.noBody())
        val response = try {
            http.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofInputStream()).await()
        } catch (e: HttpTimeoutException) {
            throw ZabyTimeoutException("${request.method} ${request.path} timed out", request.timeoutMs, e)
        } catch (e: IOException) {
            throw ZabyConnectionException("${request.method} ${request.path} failed: $e", e)
        }
        recorded.add(Recorded(request.method, request.path, response.statusCode()))
        val headers = response.headers().map().entries.associate { (name, values) -> name.lowercase() to values.joinToString(", ") }
        if (request.stream && response.statusCode() in 200..299) {
            return TransportResponse(response.statusCode(), headers, bodyStream = chunks(response.body(), request))
        }
        val text = withContext(Dispatchers.IO) { response.body().use { it.readAllBytes().decodeToString() } }
        return TransportResponse(response.statusCode(), headers, body = text)
    }

    /** [input] as it arrives; closed when the SDK stops reading (which unblocks a read). */
    private fun chunks(input: InputStream, request: TransportRequest): Flow<ByteArray> = flow {
        currentCoroutineContext().job.invokeOnCompletion { input.close() }
        input.use {
            val buffer = ByteArray(8192)
            while (true) {
                val n = try {
                    input.read(buffer)
                } catch (e: IOException) {
                    throw ZabyConnectionException("${request.method} ${request.path}: the stream broke: $e", e)
                }
                if (n < 0) break
                emit(buffer.copyOf(n))
            }
        }
    }.flowOn(Dispatchers.IO)

    private companion object {
        /** Headers the JDK client sets itself and refuses from callers. */
        val OWN_HEADERS = setOf("host", "content-length", "connection", "transfer-encoding", "expect", "upgrade")
    }
}

/** One row of the SDK's endpoint table, as far as coverage needs it. */
data class EndpointRow(val id: String, val method: String, val path: String)

/** The endpoint table of the SDK's native library (the core's own). */
fun endpointTable(): List<EndpointRow> =
    Json.parseToJsonElement(endpointsJson()).jsonArray.map { row ->
        val o = row.jsonObject
        EndpointRow(o["id"]!!.jsonPrimitive.content, o["method"]!!.jsonPrimitive.content, o["path"]!!.jsonPrimitive.content)
    }

/** Maps `(method, path)` to an endpoint id; the most literal template wins. */
fun endpointMatcher(table: List<EndpointRow>): (String, String) -> String? {
    val param = Regex("^\\{[^}]+}$")
    val matchers = table.map { row ->
        val source = row.path.split("/").joinToString("/") { if (param.matches(it)) "[^/]+" else Regex.escape(it) }
        Triple(row, Regex("^$source$"), row.path.count { it == '{' })
    }
    return { method, path ->
        val bare = path.substringBefore('?')
        matchers
            .filter { (row, pattern) -> row.method.equals(method, ignoreCase = true) && pattern.matches(bare) }
            .minByOrNull { it.third }
            ?.first?.id
    }
}
