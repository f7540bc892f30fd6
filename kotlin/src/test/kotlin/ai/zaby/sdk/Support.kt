package ai.zaby.sdk

import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull

const val AGENTS = "/api/v1/provisioning/agentic-os/agents"
const val RT = "/api/v1/agent-runtime"

/** No retry delays in tests. */
val FAST = ZabyConfig(apiOrigin = "http://127.0.0.1:1", retries = RetryPolicy(attempts = 2, backoffMs = { 0 }))

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
