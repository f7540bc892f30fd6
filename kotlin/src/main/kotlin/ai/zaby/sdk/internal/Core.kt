package ai.zaby.sdk.internal

import ai.zaby.sdk.ClientTool
import ai.zaby.sdk.RequestOptions
import ai.zaby.sdk.RunEvent
import ai.zaby.sdk.StreamOptions
import ai.zaby.sdk.ToolHostAdapter
import ai.zaby.sdk.ZabyClientException
import ai.zaby.sdk.ffi.FfiClient
import ai.zaby.sdk.ffi.FfiCursor
import ai.zaby.sdk.toFfi
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.FlowCollector
import kotlinx.coroutines.flow.flow
import kotlinx.serialization.DeserializationStrategy
import kotlinx.serialization.SerializationStrategy
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.jsonArray

/**
 * The native client behind a [ai.zaby.sdk.Zaby] or [ai.zaby.sdk.ZabyRuntime]: the
 * generated methods call it by client id and method name; the core builds and sends
 * the request. Values cross as JSON text (kotlin/README.md says why).
 */
internal class Core(internal val ffi: FfiClient) {
    /** Sends one call; [input] is its JSON text (see [body]); the answer is read as [answer]. */
    internal suspend fun <T> call(
        client: String,
        method: String,
        params: List<String>,
        input: String?,
        options: RequestOptions?,
        answer: DeserializationStrategy<T>,
    ): T = decode(answer, native { ffi.call(client, method, params, input, options.toFfi()) })

    internal fun <T> iter(
        client: String,
        iter: String,
        params: List<String>,
        query: Map<String, Any?>?,
        options: RequestOptions?,
        item: DeserializationStrategy<T>,
    ): Flow<T> = flow {
        val cursor = ffi.paginate(client, iter, params, body(query, "query"), options.toFfi())
        drain(cursor) { emit(decode(item, it)) }
    }

    /** A run's events; the client tools of [tools] are answered by the core on the way (`ClientTools.kt`). */
    internal fun stream(
        runId: String,
        query: Map<String, Any?>?,
        options: StreamOptions?,
        tools: Map<String, ClientTool> = emptyMap(),
    ): Flow<RunEvent> = flow {
        val host = if (tools.isEmpty()) null else ToolHostAdapter(tools)
        val cursor = ffi.stream(runId, body(query, "query"), options.toFfi(), tools.keys.toList(), host)
        drain(cursor) { item ->
            val o = item as JsonObject
            val id = (o["id"] as? JsonPrimitive)?.contentOrNull
            val event = (o["event"] as? JsonPrimitive)?.contentOrNull
            emit(RunEvent.of(id, event, o["data"] ?: JsonNull))
        }
    }

    /**
     * Emits a cursor's batches item by item until it ends. However the collector stops
     * (done, failed, cancelled), the cursor is stopped: the HTTP connection closes at once.
     */
    private suspend fun <T> FlowCollector<T>.drain(cursor: FfiCursor, each: suspend FlowCollector<T>.(JsonElement) -> Unit) {
        try {
            while (true) {
                val batch = native { cursor.nextBatch() } ?: break
                for (item in Json.parseToJsonElement(batch).jsonArray) each(item)
            }
        } finally {
            cursor.stop()
            cursor.destroy()
        }
    }
}

/** A typed input as the JSON text the core sends. */
internal fun <T> body(serializer: SerializationStrategy<T>, value: T?): String? =
    value?.let { ZabyJson.encodeToString(serializer, it) }

/** An input given as a map (or a query) as JSON text; what is not JSON is named. */
internal fun body(value: Map<String, Any?>?, where: String = "input"): String? = value?.let { toJson(it, where).toString() }

/** An answer as its type; one of another shape is `INVALID_RESPONSE`, like in the Rust SDK. */
internal fun <T> decode(answer: DeserializationStrategy<T>, text: String): T = shaped { ZabyJson.decodeFromString(answer, text) }

private fun <T> decode(answer: DeserializationStrategy<T>, json: JsonElement): T =
    shaped { ZabyJson.decodeFromJsonElement(answer, json) }

private inline fun <T> shaped(read: () -> T): T = try {
    read()
} catch (e: IllegalArgumentException) {
    // kotlinx.serialization's SerializationException is one.
    throw ZabyClientException("the response does not have the expected shape: ${e.message}", "INVALID_RESPONSE", e)
}
