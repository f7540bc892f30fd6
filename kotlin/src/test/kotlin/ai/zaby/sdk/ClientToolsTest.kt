package ai.zaby.sdk

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ClientToolsTest {
    private val aiui = "$RT/runs/run-42/aiui"
    private val results = "$RT/runs/run-42/tool-results"

    private fun call(id: Int, tool: String, execution: String = "client") = mapOf(
        "id" to "$id",
        "event" to "tool_call",
        "data" to mapOf("toolCallId" to "call-$id", "toolName" to tool, "arguments" to mapOf("city" to "Oslo"), "execution" to execution),
    )

    private val finished =
        mapOf("id" to "9", "event" to "RunFinished", "data" to mapOf("runId" to "run-42", "status" to "COMPLETED"))

    @Test
    fun `a plain, a suspending and a throwing tool are answered with E126, every event still emitted`() = runBlocking {
        val transport = MockTransport()
        transport.setSse(
            "GET",
            aiui,
            listOf(call(1, "weather"), call(2, "slow"), call(3, "broken"), call(4, "weather", execution = "server"), call(5, "unknown"), finished),
        )
        repeat(3) { transport.setResponse("POST", results, 200, mapOf("id" to "run-42", "status" to "RUNNING")) }
        val runtime = ZabyRuntime(token = "t", transport = transport)
        val seen = mutableListOf<JsonObject>()
        val tools = mapOf<String, ClientTool>(
            "weather" to { args -> seen += args; mapOf("city" to args["city"], "celsius" to 21) },
            "slow" to { delay(50); listOf(1, 2) },
            "broken" to { throw IllegalStateException("no forecast for Oslo") },
        )
        val events = runtime.runs.stream("run-42", tools = tools).toList()

        assertEquals(listOf("1", "2", "3", "4", "5", "9"), events.map { it.id }, "every event reaches the collector")
        assertEquals(listOf(JsonObject(mapOf("city" to JsonPrimitive("Oslo")))), seen, "only the client call of weather ran it")
        val posts = transport.requests.filter { it.method == "POST" }
        assertTrue(posts.all { it.path == results && it.headers["authorization"] == "Bearer t" })
        val bodies = posts.map { it.json!!.jsonObject }.associateBy { (it["toolCallId"] as JsonPrimitive).content }
        assertEquals(setOf("call-1", "call-2", "call-3"), bodies.keys, "unknown tools and server calls are left alone")
        assertEquals(mapOf("city" to JsonPrimitive("Oslo"), "celsius" to JsonPrimitive(21)), bodies.getValue("call-1")["result"])
        assertEquals(JsonArray(listOf(JsonPrimitive(1), JsonPrimitive(2))), bodies.getValue("call-2")["result"])
        val failed = bodies.getValue("call-3")
        assertEquals(JsonPrimitive(true), failed["isError"])
        assertEquals(JsonPrimitive("no forecast for Oslo"), failed["message"])
        assertEquals(null, failed["result"])
        runtime.close()
    }

    @Test
    fun `a result the server refuses ends the flow with its error`() = runBlocking {
        val transport = MockTransport()
        transport.setSse("GET", aiui, listOf(call(1, "weather"), finished))
        transport.setResponse(
            "POST",
            results,
            409,
            mapOf("code" to "RUN_NOT_WAITING_FOR_TOOL_RESULT", "message" to "the run is COMPLETED"),
        )
        val runtime = ZabyRuntime(token = "t", config = FAST, transport = transport)
        val e = thrown<ZabyConflictException> {
            runBlocking { runtime.runs.stream("run-42", tools = mapOf("weather" to { _ -> "sunny" })).toList() }
        }
        assertEquals("RUN_NOT_WAITING_FOR_TOOL_RESULT", e.code)
        runtime.close()
    }

    @Test
    fun `a result that is not JSON is submitted as a failed call naming it`() = runBlocking {
        val transport = MockTransport()
        transport.setSse("GET", aiui, listOf(call(1, "weather"), finished))
        transport.setResponse("POST", results, 200, mapOf("id" to "run-42", "status" to "RUNNING"))
        val runtime = ZabyRuntime(token = "t", transport = transport)
        runtime.runs.stream("run-42", tools = mapOf("weather" to { _ -> Any() })).toList()
        val body = transport.requests.single { it.method == "POST" }.json!!.jsonObject
        assertEquals(JsonPrimitive(true), body["isError"])
        assertTrue((body["message"] as JsonPrimitive).content.startsWith("the result of weather holds a kotlin.Any, which is not JSON"), "$body")
        runtime.close()
    }

    @Test
    fun `stopping the collector cancels the tools still running`() = runBlocking {
        val transport = MockTransport()
        transport.setSse("GET", aiui, listOf(call(1, "weather"), finished))
        val runtime = ZabyRuntime(token = "t", transport = transport)
        val started = CompletableDeferred<Unit>()
        val cancelled = CompletableDeferred<Unit>()
        val waiting: ClientTool = {
            try {
                started.complete(Unit)
                awaitCancellation()
            } finally {
                cancelled.complete(Unit)
            }
        }
        runtime.runs.stream("run-42", tools = mapOf("weather" to waiting)).first { it.event == "RunFinished" }
        withTimeout(5_000) { started.await() }
        withTimeout(5_000) { cancelled.await() }
        assertTrue(transport.requests.none { it.method == "POST" }, "nothing was submitted")
        runtime.close()
    }
}
