package ai.zaby.sdk

import ai.zaby.sdk.ffi.FfiMockResponse
import ai.zaby.sdk.ffi.FfiMockTransport
import ai.zaby.sdk.internal.native
import ai.zaby.sdk.internal.toJson
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement

/**
 * A canned response for [MockTransport] (`docs/testing.md`), matched against the request's
 * method and path (with its query string). [events] (`{ id?, event?, data }` maps)
 * make it an SSE answer.
 */
data class MockResponse(
    val method: String,
    val path: String,
    val status: Int = 200,
    val json: Any? = null,
    val body: String? = null,
    val headers: Map<String, String> = emptyMap(),
    val events: List<Map<String, Any?>>? = null,
)

/** A request as the mock recorded it; [json] (alias [body]) is null without a body. */
data class MockRequest(
    val method: String,
    val url: String,
    val path: String,
    val headers: Map<String, String>,
    val json: JsonElement?,
    val stream: Boolean,
) {
    val body: JsonElement? get() = json
}

/**
 * Records every request and answers from a queue: the core's own mock, so matching,
 * recording and its failures (`MockTransportException`) are the same in every
 * language. Pass it as `transport` to [Zaby] or [ZabyRuntime].
 */
class MockTransport(responses: List<MockResponse> = emptyList()) : Transport {
    internal val ffi = FfiMockTransport()

    init {
        responses.forEach(::addResponse)
    }

    fun addResponse(response: MockResponse) = native {
        ffi.push(
            FfiMockResponse(
                method = response.method,
                path = response.path,
                status = checkStatus(response.status),
                jsonBody = response.json?.let { toJson(it, "json").toString() },
                body = response.body,
                headers = response.headers,
                eventsJson = response.events?.let { toJson(it, "events").toString() },
            ),
        )
    }

    /** A JSON answer; a `String` [body] is answered as raw text. */
    fun setResponse(method: String, path: String, status: Int = 200, body: Any? = null, headers: Map<String, String> = emptyMap()) =
        addResponse(
            if (body is String) MockResponse(method, path, status, body = body, headers = headers)
            else MockResponse(method, path, status, json = body, headers = headers),
        )

    /** An SSE answer with these events. */
    fun setSse(method: String, path: String, events: List<Map<String, Any?>>, status: Int = 200, headers: Map<String, String> = emptyMap()) =
        addResponse(MockResponse(method, path, status, headers = headers, events = events))

    /** Empties the queue and the recorded requests. */
    fun reset() = ffi.reset()

    /** Responses queued and not yet used. */
    val pending: Int get() = ffi.pending().toInt()

    /** Every request, in order. */
    val requests: List<MockRequest>
        get() = ffi.requests().map {
            MockRequest(it.method, it.url, it.path, it.headers, it.jsonBody?.let(Json::parseToJsonElement), it.stream)
        }

    /** Answers one request as the SDK's attempts are answered. */
    override suspend fun send(request: TransportRequest): TransportResponse = native { ffi.send(request.toFfi()) }.toKotlin()

    private fun checkStatus(status: Int): UShort {
        if (status !in 100..599) {
            throw ai.zaby.sdk.internal.invalidArgument("status must be an HTTP status (100–599), got $status")
        }
        return status.toUShort()
    }
}
