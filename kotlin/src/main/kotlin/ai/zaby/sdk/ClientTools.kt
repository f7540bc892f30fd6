package ai.zaby.sdk

import ai.zaby.sdk.ffi.FfiToolOutcome
import ai.zaby.sdk.ffi.ToolHost
import ai.zaby.sdk.internal.toJson
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlin.coroutines.cancellation.CancellationException

/**
 * A client tool (`docs/function-tools.md`): called with the call's arguments, it returns
 * the result (anything the SDK sends as JSON: maps, lists, strings, numbers, booleans,
 * `null`, `JsonElement`s, the SDK's types). What it throws is submitted as a failed call
 * (`isError: true`) with the exception's message. It may suspend.
 */
typealias ClientTool = suspend (arguments: JsonObject) -> Any?

/**
 * The run's events, like [RuntimeRunsClient.stream], with the client tool calls that
 * [tools] names answered on the way: the core calls the tool of each `tool_call` event
 * whose `execution` is `client`, in a coroutine of its own (the calls of one step run
 * together), and submits its outcome with E126 (`submitToolResult`). Every event still
 * reaches the collector; calls of tools the map does not name are left to it. A result
 * the server refuses ends the flow with that error; stopping the collector cancels the
 * tools still running.
 *
 * ```kotlin
 * runtime.runs.stream(runId, tools = mapOf("get_weather" to { args -> mapOf("celsius" to 21) }))
 *     .collect { println(it.event) }
 * ```
 */
fun RuntimeRunsClient.stream(
    runId: String,
    query: Map<String, Any?>? = null,
    options: StreamOptions? = null,
    tools: Map<String, ClientTool>,
): Flow<RunEvent> = core.stream(runId, query, options, tools)

/** The caller's tools as the native library calls them: by name, arguments and result as JSON text. */
internal class ToolHostAdapter(private val tools: Map<String, ClientTool>) : ToolHost {
    override suspend fun call(name: String, argumentsJson: String): FfiToolOutcome {
        val tool = tools[name] ?: return FfiToolOutcome.Failed("no client tool is named $name")
        return try {
            val arguments = Json.parseToJsonElement(argumentsJson) as? JsonObject
                ?: return FfiToolOutcome.Failed("the arguments of $name are not a JSON object: $argumentsJson")
            FfiToolOutcome.Answered(toJson(tool(arguments), "the result of $name").toString())
        } catch (t: Throwable) {
            // The core stopped waiting (the stream was closed): cancellation stays cancellation.
            // A CancellationException of the tool's own (a timeout inside it) is a failure.
            if (t is CancellationException) currentCoroutineContext().ensureActive()
            FfiToolOutcome.Failed(t.message?.takeIf { it.isNotEmpty() } ?: t::class.simpleName ?: "the tool failed")
        }
    }
}
