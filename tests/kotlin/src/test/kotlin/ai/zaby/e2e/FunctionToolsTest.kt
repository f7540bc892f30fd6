package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.appFor
import ai.zaby.e2e.support.bool
import ai.zaby.e2e.support.deployedAgent
import ai.zaby.e2e.support.eventually
import ai.zaby.e2e.support.json
import ai.zaby.e2e.support.live
import ai.zaby.e2e.support.obj
import ai.zaby.e2e.support.str
import ai.zaby.e2e.support.waitRun
import ai.zaby.sdk.ClientTool
import ai.zaby.sdk.RunEvent
import ai.zaby.sdk.stream
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/** The development model calls a tool when the message is `/tool NAME {json}`. */
private fun toolMessage(name: String, arguments: Map<String, Any?>) = "/tool $name ${json(arguments)}"

private val WEATHER = mapOf("name" to "get_weather", "description" to "The weather in a city")
private val CLOCK = mapOf("name" to "get_time")
private val SENSOR = mapOf("name" to "read_sensor")

/**
 * Client function tools (E126, E127): the end user's stream answers them through
 * `stream(runId, tools = …)` with a plain, a suspending and a throwing function; the API
 * key answers one by hand after finding it among the run's stored events.
 */
@Order(11)
@ExtendWith(LiveSuite::class)
class FunctionToolsTest {
    private val z get() = Live.zaby

    @Test
    fun `E126 the stream runs a plain, a suspending and a throwing client tool`() = live {
        val deployed = deployedAgent(z, "fn-tools", mapOf("functionTools" to listOf(WEATHER, CLOCK, SENSOR)))
        val app = appFor(z, deployed.deployment.id)
        val token = z.runtimeTokens.create(
            mapOf(
                "externalAppId" to app.app.id,
                "deploymentId" to deployed.deployment.id,
                "quotaPolicyId" to app.policy.id,
                "externalUserId" to "fn-user",
            ),
        ).str("token")
        val runtime = Live.runtime(token)
        val tools = mapOf<String, ClientTool>(
            "get_weather" to { args -> mapOf("city" to args["city"], "celsius" to 21) },
            "get_time" to { args ->
                delay(20)
                "12:00 in ${(args["zone"] as JsonPrimitive).content}"
            },
            "read_sensor" to { throw IllegalStateException("the sensor is offline") },
        )
        val cases = listOf(
            toolMessage("get_weather", mapOf("city" to "Lyon")) to mapOf("isError" to false, "result" to mapOf("city" to "Lyon", "celsius" to 21)),
            toolMessage("get_time", mapOf("zone" to "CET")) to mapOf("isError" to false, "result" to "12:00 in CET"),
            toolMessage("read_sensor", emptyMap()) to mapOf("isError" to true),
        )
        var failed: JsonObject? = null
        for ((message, expected) in cases) {
            val runId = runtime.runs.start(mapOf("input" to message, "respondAsync" to true)).str("runId")
            val events = runtime.runs.stream(runId, tools = tools).toList()
            assertEquals(listOf("RunStarted", "tool_call", "tool_result"), events.take(3).map { it.event }, "$events")
            assertEquals("client", events[1].data.jsonObject.str("execution"))
            val result = events.first { it is RunEvent.ToolResult }.data.jsonObject
            expected.forEach { (key, value) -> assertEquals(json(value), result[key], "$key of $result") }
            val last = events.last() as RunEvent.RunFinished
            assertEquals("COMPLETED", last.status)
            failed = result
        }
        assertTrue("the sensor is offline" in failed!!["result"].toString(), "the thrown message is the failed call's: $failed")
    }

    @Test
    fun `E127 the API key answers a client tool call found among the run's events`() = live {
        val deployed = deployedAgent(z, "fn-key", mapOf("functionTools" to listOf(WEATHER)))
        val started = z.agents.startRun(
            deployed.agent.id,
            mapOf(
                "input" to toolMessage("get_weather", mapOf("city" to "Oslo")),
                "deploymentId" to deployed.deployment.id,
                "respondAsync" to true,
            ),
        )
        val runId = started.runId
        val call = eventually("the client tool call") {
            z.agents.listRunEvents(runId).items.firstOrNull { it.str("event") == "tool_call" }?.obj("data")
        }
        waitRun(z, runId, "WAITING_FOR_TOOL_RESULT")
        val run = z.agents.submitToolResult(runId, mapOf("toolCallId" to call.str("toolCallId"), "result" to mapOf("celsius" to -3)))
        assertEquals(runId, run.str("runId"))
        assertEquals("COMPLETED", waitRun(z, runId, "COMPLETED").status.value)
        val result = z.agents.listRunEvents(runId).items.first { it.str("event") == "tool_result" }.obj("data")
        assertEquals(json(mapOf("celsius" to -3)), result["result"])
        assertEquals(false, result.bool("isError"))
    }
}
