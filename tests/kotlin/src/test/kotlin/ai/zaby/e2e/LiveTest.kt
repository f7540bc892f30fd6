package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.get
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.str
import ai.zaby.sdk.RunEvent
import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyAuthException
import ai.zaby.sdk.ZabyConfig
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyNotFoundException
import ai.zaby.sdk.ZabyRuntime
import ai.zaby.sdk.ZabyValidationException
import ai.zaby.sdk.types.AgentInput
import ai.zaby.sdk.types.DeployInput
import ai.zaby.sdk.types.DeploymentEnvironment
import ai.zaby.sdk.types.PlaygroundRuntimeTokenInput
import ai.zaby.sdk.types.RunStartInput
import ai.zaby.sdk.waitUntilActive
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.util.concurrent.TimeUnit

/**
 * The Kotlin SDK on its built-in HTTP transport (not recorded for coverage): the
 * lifecycle example, error classes, pages and a typed run stream.
 */
@Order(10)
@ExtendWith(LiveSuite::class)
class LiveTest {
    private val server get() = Live.server
    private val zaby get() = Live.nativeZaby

    @Test
    fun `the lifecycle example runs unchanged and streams a run to its end`() {
        val java = File(System.getProperty("java.home"), "bin/java").path
        val builder = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "LifecycleKt").redirectErrorStream(true)
        builder.environment().putAll(mapOf("ZABY_API_ORIGIN" to server.origin, "ZABY_API_KEY" to server.apiKey))
        val process = builder.start()
        val out = process.inputStream.bufferedReader().readText()
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the example finished")
        assertEquals(0, process.exitValue(), out)
        // Each line is `<event> <data as JSON>`; each run's lines start at its RunStarted.
        val lines = out.trim().lines().map { line -> line.substringBefore(' ') to Json.parseToJsonElement(line.substringAfter(' ')).jsonObject }
        val starts = lines.indices.filter { lines[it].first == "RunStarted" }
        assertEquals(2, starts.size, "two runs: $out")
        assertEquals(0, starts[0], out)
        val (events, toolRun) = lines.subList(0, starts[1]) to lines.subList(starts[1], lines.size)
        val (name, finished) = events.last()
        assertEquals("RunFinished", name, out)
        assertEquals("COMPLETED", finished.str("status"))
        assertEquals("You said: hello", finished.str("finalOutput"))
        val text = events.filter { it.first == "text" }.joinToString("") { it.second.str("content") }
        assertEquals("You said: hello", text, "the reply streamed in pieces")
        // The second run's get_weather call, answered by the example's client tool.
        assertEquals("client", toolRun.first { it.first == "tool_call" }.second.str("execution"), out)
        val result = toolRun.first { it.first == "tool_result" }.second
        assertEquals(Json.parseToJsonElement("""{"city": "Lyon", "celsius": 21}"""), result["result"], out)
        assertEquals("RunFinished" to "COMPLETED", toolRun.last().let { it.first to it.second.str("status") }, out)
    }

    @Test
    fun `server errors arrive as the shared exception classes with their fields`() = runBlocking {
        val missing = assertThrows<ZabyNotFoundException> { runBlocking { zaby.agents.get("agt-missing") } }
        assertEquals(404, missing.status)
        assertEquals("NOT_FOUND", missing.code)
        assertNotNull(missing.requestId)

        val slug = "kt-err-${System.nanoTime()}"
        zaby.agents.create(mapOf("slug" to slug, "name" to "Errors"))
        val dup = assertThrows<ZabyConflictException> { runBlocking { zaby.agents.create(mapOf("slug" to slug, "name" to "again")) } }
        assertEquals("SLUG_ALREADY_EXISTS", dup.code)
        val bad = assertThrows<ZabyValidationException> { runBlocking { zaby.agents.create(mapOf("slug" to "Not A Slug", "name" to "x")) } }
        assertEquals(422, bad.status)

        val stranger = Zaby(apiKey = "zaby_pk_wrong", config = ZabyConfig(apiOrigin = server.origin))
        assertEquals(401, assertThrows<ZabyAuthException> { runBlocking { stranger.health.check(); stranger.agents.list() } }.status)
        stranger.close()
    }

    @Test
    fun `iter flows walk every page in order`() = runBlocking {
        val prefix = "kt-page-${System.nanoTime()}"
        val ids = (1..3).map { zaby.agents.create(mapOf("slug" to "$prefix-$it", "name" to "Page $it")).str("id") }
        assertEquals(ids, zaby.agents.iter(mapOf("q" to prefix, "limit" to 1)).map { it.str("id") }.toList())
        assertEquals(ids.take(2), zaby.agents.iter(mapOf("q" to prefix, "limit" to 1)).take(2).map { it.str("id") }.toList())
    }

    @Test
    fun `a run streams typed events through a runtime token`() = runBlocking {
        val agent = zaby.agents.create(AgentInput(slug = "kt-run-${System.nanoTime()}", name = "Runner"))
        val version = zaby.agents.publish(agent.id)
        val deployment = zaby.agents.deploy(agent.id, DeployInput(agentVersionId = version.id, environment = DeploymentEnvironment.STAGING))
        assertEquals(DeploymentEnvironment.STAGING, deployment.environment)
        val provisioning = zaby.deployments.waitUntilActive(deployment.id)
        assertEquals(deployment.id, provisioning.deploymentId)
        val token = zaby.agents.playgroundRuntimeTokens(
            agent.id,
            PlaygroundRuntimeTokenInput(deploymentId = deployment.id, externalUserId = "kt-user"),
        )
        assertEquals(deployment.id, token.deploymentId)
        val runtime = ZabyRuntime(token = token.token, apiOrigin = server.origin)
        val run = runtime.runs.start(RunStartInput(input = JsonPrimitive("hi there"), respondAsync = true))
        val events = runtime.runs.stream(run.runId).toList()
        val started = events.first() as RunEvent.RunStarted
        assertEquals(run.runId, started.payload.runId)
        val finished = events.last() as RunEvent.RunFinished
        assertEquals("COMPLETED", finished.payload.status)
        assertEquals("You said: hi there", finished.finalOutput)
        assertEquals(finished.finalOutput, events.filterIsInstance<RunEvent.Text>().joinToString("") { it.content })
        // A collector that stops early closes the stream without an error.
        assertEquals(1, runtime.runs.stream(run.runId).take(1).toList().size)
        runtime.close()
    }
}
