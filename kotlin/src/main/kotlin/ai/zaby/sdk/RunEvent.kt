package ai.zaby.sdk

import ai.zaby.sdk.internal.ZabyJson
import ai.zaby.sdk.types.RunErrorCode
import kotlinx.serialization.DeserializationStrategy
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import ai.zaby.sdk.types.ApprovalRequired as ApprovalRequiredData
import ai.zaby.sdk.types.RunError as RunErrorData
import ai.zaby.sdk.types.RunFinished as RunFinishedData
import ai.zaby.sdk.types.RunStarted as RunStartedData
import ai.zaby.sdk.types.Text as TextData
import ai.zaby.sdk.types.Thinking as ThinkingData
import ai.zaby.sdk.types.ToolCall as ToolCallData
import ai.zaby.sdk.types.ToolResult as ToolResultData

/**
 * One event of a run's stream (`docs/streaming.md`), typed by its name: each known event
 * carries its [payload] as the catalogue's data class (`ai.zaby.sdk.types`), with
 * shortcuts to its members. Every event also keeps its [id], wire [event] name and
 * whole [data] as received. An event this SDK does not know, an unnamed one, or a
 * known one whose data does not have the documented shape arrives as [Other], so newer
 * servers never break older clients.
 */
sealed class RunEvent {
    abstract val id: String?
    abstract val event: String?
    abstract val data: JsonElement

    /** First event of every run. */
    data class RunStarted(override val id: String?, val payload: RunStartedData, override val data: JsonElement) : RunEvent() {
        override val event get() = "RunStarted"
        val runId: String get() = payload.runId
        val deploymentId: String? get() = payload.deploymentId
    }

    /** Intermediate reasoning or progress. */
    data class Thinking(override val id: String?, val payload: ThinkingData, override val data: JsonElement) : RunEvent() {
        override val event get() = "thinking"
        val content: String get() = payload.content
    }

    /** A chunk of the answer. */
    data class Text(override val id: String?, val payload: TextData, override val data: JsonElement) : RunEvent() {
        override val event get() = "text"
        val content: String get() = payload.content
    }

    /** The agent invokes a tool. */
    data class ToolCall(override val id: String?, val payload: ToolCallData, override val data: JsonElement) : RunEvent() {
        override val event get() = "tool_call"
        val toolCallId: String get() = payload.toolCallId
        val toolName: String get() = payload.toolName
        val arguments: JsonObject get() = payload.arguments
    }

    /** A tool call finished. */
    data class ToolResult(override val id: String?, val payload: ToolResultData, override val data: JsonElement) : RunEvent() {
        override val event get() = "tool_result"
        val toolCallId: String get() = payload.toolCallId
        val toolName: String get() = payload.toolName
        val result: JsonElement get() = payload.result
        val isError: Boolean get() = payload.isError
    }

    /** A tool call waits for a human decision. */
    data class ApprovalRequired(override val id: String?, val payload: ApprovalRequiredData, override val data: JsonElement) : RunEvent() {
        override val event get() = "approval_required"
        val approvalId: String get() = payload.approvalId
        val toolName: String get() = payload.toolName
    }

    /** Terminal: the run `COMPLETED` or was `CANCELLED`. */
    data class RunFinished(override val id: String?, val payload: RunFinishedData, override val data: JsonElement) : RunEvent() {
        override val event get() = "RunFinished"
        val runId: String get() = payload.runId
        val status: String get() = payload.status
        val finalOutput: String? get() = payload.finalOutput
    }

    /** Terminal: the run `FAILED`. */
    data class RunError(override val id: String?, val payload: RunErrorData, override val data: JsonElement) : RunEvent() {
        override val event get() = "RunError"
        val runId: String get() = payload.runId
        val message: String get() = payload.message
        val code: RunErrorCode get() = payload.code
    }

    /** An event without a name, one this version does not know, or one of another shape. */
    data class Other(override val id: String?, override val event: String?, override val data: JsonElement) : RunEvent()

    companion object {
        /** The typed event for a wire name (`null`: an unnamed event). */
        fun of(id: String?, event: String?, data: JsonElement): RunEvent = when (event) {
            "RunStarted" -> typed(id, event, data, RunStartedData.serializer()) { RunStarted(id, it, data) }
            "thinking" -> typed(id, event, data, ThinkingData.serializer()) { Thinking(id, it, data) }
            "text" -> typed(id, event, data, TextData.serializer()) { Text(id, it, data) }
            "tool_call" -> typed(id, event, data, ToolCallData.serializer()) { ToolCall(id, it, data) }
            "tool_result" -> typed(id, event, data, ToolResultData.serializer()) { ToolResult(id, it, data) }
            "approval_required" -> typed(id, event, data, ApprovalRequiredData.serializer()) { ApprovalRequired(id, it, data) }
            "RunFinished" -> typed(id, event, data, RunFinishedData.serializer()) { RunFinished(id, it, data) }
            "RunError" -> typed(id, event, data, RunErrorData.serializer()) { RunError(id, it, data) }
            else -> Other(id, event, data)
        }

        private inline fun <P> typed(
            id: String?,
            event: String,
            data: JsonElement,
            payload: DeserializationStrategy<P>,
            make: (P) -> RunEvent,
        ): RunEvent {
            val read = try {
                ZabyJson.decodeFromJsonElement(payload, data)
            } catch (_: IllegalArgumentException) {
                return Other(id, event, data)
            }
            return make(read)
        }
    }
}
