package ai.zaby.sdk

import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.contentOrNull

/**
 * One event of a run's stream (API.md §5.4), typed by its name. Every event keeps its
 * [id], wire [event] name and whole [data]; an event this SDK does not know yet
 * arrives as [Other], so newer servers never break older clients.
 */
sealed class RunEvent {
    abstract val id: String?
    abstract val event: String?
    abstract val data: JsonElement

    /** First event of every run. */
    data class RunStarted(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "RunStarted"
        val runId: String? get() = data.str("runId")
        val deploymentId: String? get() = data.str("deploymentId")
    }

    data class Thinking(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "thinking"
        val content: String get() = data.str("content").orEmpty()
    }

    /** A chunk of the answer. */
    data class Text(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "text"
        val content: String get() = data.str("content").orEmpty()
    }

    data class ToolCall(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "tool_call"
        val toolCallId: String? get() = data.str("toolCallId")
        val toolName: String? get() = data.str("toolName")
        val arguments: JsonElement? get() = (data as? JsonObject)?.get("arguments")
    }

    data class ToolResult(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "tool_result"
        val toolCallId: String? get() = data.str("toolCallId")
        val toolName: String? get() = data.str("toolName")
        val result: JsonElement? get() = (data as? JsonObject)?.get("result")
        val isError: Boolean get() = ((data as? JsonObject)?.get("isError") as? JsonPrimitive)?.booleanOrNull ?: false
    }

    data class ApprovalRequired(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "approval_required"
        val approvalId: String? get() = data.str("approvalId")
        val toolName: String? get() = data.str("toolName")
    }

    /** Terminal: the run `COMPLETED` or was `CANCELLED`. */
    data class RunFinished(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "RunFinished"
        val runId: String? get() = data.str("runId")
        val status: String? get() = data.str("status")
        val finalOutput: String? get() = data.str("finalOutput")
    }

    /** Terminal: the run `FAILED`. */
    data class RunError(override val id: String?, override val data: JsonElement) : RunEvent() {
        override val event get() = "RunError"
        val runId: String? get() = data.str("runId")
        val message: String? get() = data.str("message")
        val code: String? get() = data.str("code")
    }

    /** An event without a name, or one this version does not know. */
    data class Other(override val id: String?, override val event: String?, override val data: JsonElement) : RunEvent()

    companion object {
        /** The typed event for a wire name (`null`: an unnamed event). */
        fun of(id: String?, event: String?, data: JsonElement): RunEvent = when (event) {
            "RunStarted" -> RunStarted(id, data)
            "thinking" -> Thinking(id, data)
            "text" -> Text(id, data)
            "tool_call" -> ToolCall(id, data)
            "tool_result" -> ToolResult(id, data)
            "approval_required" -> ApprovalRequired(id, data)
            "RunFinished" -> RunFinished(id, data)
            "RunError" -> RunError(id, data)
            else -> Other(id, event, data)
        }
    }
}

private fun JsonElement.str(name: String): String? = ((this as? JsonObject)?.get(name) as? JsonPrimitive)?.contentOrNull
