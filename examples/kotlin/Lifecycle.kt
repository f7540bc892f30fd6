import ai.zaby.sdk.ClientTool
import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyRuntime
import ai.zaby.sdk.stream
import ai.zaby.sdk.types.AgentInput
import ai.zaby.sdk.types.DeployInput
import ai.zaby.sdk.types.FunctionTool
import ai.zaby.sdk.types.PlaygroundRuntimeTokenInput
import ai.zaby.sdk.types.RunStartInput
import ai.zaby.sdk.waitUntilActive
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject

/** A client tool: the agent calls it, the SDK runs it here and sends its answer back. */
val getWeather: ClientTool = { args ->
    delay(10) // call your own service here
    mapOf("city" to args["city"], "celsius" to 21)
}

fun main() = runBlocking {
    val apiOrigin = System.getenv("ZABY_API_ORIGIN") ?: "http://localhost:9080"
    val zaby = Zaby(apiKey = System.getenv("ZABY_API_KEY"), apiOrigin = apiOrigin)
    val weather = FunctionTool(
        name = "get_weather",
        description = "Today's weather in a city",
        parameters = Json.parseToJsonElement(
            """{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}""",
        ).jsonObject,
    )
    val agent = zaby.agents.create(AgentInput(slug = "helper", name = "Helper", functionTools = listOf(weather)))
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

    // The development model calls a tool when the message is `/tool NAME {json}`; with
    // `tools`, the SDK answers the run's `get_weather` calls with the function above.
    val asks = runtime.runs.start(RunStartInput(input = JsonPrimitive("/tool get_weather {\"city\": \"Lyon\"}"), respondAsync = true))
    runtime.runs.stream(asks.runId, tools = mapOf("get_weather" to getWeather))
        .collect { event -> println("${event.event} ${event.data}") }
    runtime.close()
}
