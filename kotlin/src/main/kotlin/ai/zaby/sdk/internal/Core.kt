package ai.zaby.sdk.internal

import ai.zaby.sdk.RequestOptions
import ai.zaby.sdk.RunEvent
import ai.zaby.sdk.StreamOptions
import ai.zaby.sdk.ffi.FfiClient
import ai.zaby.sdk.ffi.FfiCursor
import ai.zaby.sdk.toFfi
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.FlowCollector
import kotlinx.coroutines.flow.flow
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
    internal suspend fun call(
        client: String,
        method: String,
        params: List<String>,
        input: Any?,
        options: RequestOptions?,
    ): JsonElement {
        val text = native { ffi.call(client, method, params, input?.let { toJson(it).toString() }, options.toFfi()) }
        return Json.parseToJsonElement(text)
    }

    internal fun iter(
        client: String,
        iter: String,
        params: List<String>,
        query: Map<String, Any?>?,
        options: RequestOptions?,
    ): Flow<JsonElement> = flow {
        val cursor = ffi.paginate(client, iter, params, query?.let { toJson(it, "query").toString() }, options.toFfi())
        drain(cursor) { emit(it) }
    }

    internal fun stream(runId: String, query: Map<String, Any?>?, options: StreamOptions?): Flow<RunEvent> = flow {
        val cursor = ffi.stream(runId, query?.let { toJson(it, "query").toString() }, options.toFfi())
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
