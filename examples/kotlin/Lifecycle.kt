import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyRuntime
import ai.zaby.sdk.waitUntilActive
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.jsonPrimitive

fun main() = runBlocking {
    val apiOrigin = System.getenv("ZABY_API_ORIGIN") ?: "http://localhost:9080"
    val zaby = Zaby(apiKey = System.getenv("ZABY_API_KEY"), apiOrigin = apiOrigin)
    val agent = zaby.agents.create(mapOf("slug" to "helper", "name" to "Helper"))
    val agentId = agent["id"]!!.jsonPrimitive.content
    val version = zaby.agents.publish(agentId)
    val deployment = zaby.agents.deploy(agentId, mapOf("agentVersionId" to version["id"]))
    val deploymentId = deployment["id"]!!.jsonPrimitive.content
    zaby.deployments.waitUntilActive(deploymentId) // PENDING for a moment, then ACTIVE
    val token = zaby.agents.playgroundRuntimeTokens(
        agentId,
        mapOf("deploymentId" to deploymentId, "externalUserId" to "user-42"),
    )
    zaby.close()

    // What the end user's app holds: a short-lived runtime token, never the API key.
    val runtime = ZabyRuntime(token = token["token"]!!.jsonPrimitive.content, apiOrigin = apiOrigin)
    val run = runtime.runs.start(mapOf("input" to "hello", "respondAsync" to true))
    runtime.runs.stream(run["runId"]!!.jsonPrimitive.content).collect { event -> println("${event.event} ${event.data}") }
    runtime.close()
}
