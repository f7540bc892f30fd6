import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyRuntime
import ai.zaby.sdk.types.AgentInput
import ai.zaby.sdk.types.DeployInput
import ai.zaby.sdk.types.PlaygroundRuntimeTokenInput
import ai.zaby.sdk.types.RunStartInput
import ai.zaby.sdk.waitUntilActive
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonPrimitive

fun main() = runBlocking {
    val apiOrigin = System.getenv("ZABY_API_ORIGIN") ?: "http://localhost:9080"
    val zaby = Zaby(apiKey = System.getenv("ZABY_API_KEY"), apiOrigin = apiOrigin)
    val agent = zaby.agents.create(AgentInput(slug = "helper", name = "Helper"))
    val version = zaby.agents.publish(agent.id)
    val deployment = zaby.agents.deploy(agent.id, DeployInput(agentVersionId = version.id))
    zaby.deployments.waitUntilActive(deployment.id) // PENDING for a moment, then ACTIVE
    val token = zaby.agents.playgroundRuntimeTokens(
        agent.id,
        PlaygroundRuntimeTokenInput(deploymentId = deployment.id, externalUserId = "user-42"),
    )
    zaby.close()

    // What the end user's app holds: a short-lived runtime token, never the API key.
    val runtime = ZabyRuntime(token = token.token, apiOrigin = apiOrigin)
    val run = runtime.runs.start(RunStartInput(input = JsonPrimitive("hello"), respondAsync = true))
    // Typed events (`RunEvent.Text`, `RunEvent.RunFinished`, …); each keeps its wire name and data.
    runtime.runs.stream(run.runId).collect { event -> println("${event.event} ${event.data}") }
    runtime.close()
}
