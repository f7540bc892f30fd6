package ai.zaby.sdk

import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull

const val AGENTS = "/api/v1/provisioning/agentic-os/agents"
const val RT = "/api/v1/agent-runtime"

/** No retry delays in tests. */
val FAST = ZabyConfig(apiOrigin = "http://127.0.0.1:1", retries = RetryPolicy(attempts = 2, backoffMs = { 0 }))

/** An agent as the server answers it, with the members a test cares about. */
fun agentJson(id: String, vararg members: Pair<String, Any?>): Map<String, Any?> = mapOf(
    "id" to id, "slug" to id, "name" to id, "defaultModel" to "zaby", "visibility" to "PRIVATE",
    "status" to "DRAFT", "createdAt" to "2026-01-01T00:00:00Z",
) + members

/** A `/health` answer. */
val HEALTHY = mapOf("status" to "ok", "timestamp" to "2026-01-01T00:00:00Z", "uptime" to 1.5)

/** A stored run event. */
fun storedEvent(seq: Int) = mapOf("id" to "$seq", "seq" to seq, "event" to "text", "data" to mapOf("content" to "c$seq"))

/** A page of stored run events. */
fun eventPage(vararg seqs: Int, next: String?) =
    seqs.map(::storedEvent).let { mapOf("items" to it, "events" to it, "nextCursor" to next, "total" to 3) }

fun JsonElement?.str(name: String): String? = ((this as? JsonObject)?.get(name) as? JsonPrimitive)?.contentOrNull

/** What [block] threw, or a failure naming what it returned instead. */
inline fun <reified T : Throwable> thrown(block: () -> Unit): T {
    try {
        block()
    } catch (t: Throwable) {
        if (t is T) return t
        throw AssertionError("expected ${T::class.simpleName}, got $t", t)
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}
