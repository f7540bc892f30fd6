package ai.zaby.sdk

import ai.zaby.sdk.types.AgentInput
import ai.zaby.sdk.types.AgentModel
import ai.zaby.sdk.types.AgentStatus
import ai.zaby.sdk.types.AgentUpdateInput
import ai.zaby.sdk.types.AgentVisibility
import ai.zaby.sdk.types.Nullable
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.put
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class TypesTest {
    private val runStream = "$RT/runs/run-42/aiui"

    @Test
    fun `answers are data classes that keep members this version does not know, at every level`() = runBlocking {
        val transport = MockTransport()
        val deployment = mapOf("id" to "dep-1", "status" to "ACTIVE", "runtimeUrl" to "http://x", "region" to "eu")
        transport.setResponse(
            "GET", "$AGENTS/agt-1", 200,
            agentJson("agt-1", "status" to "ACTIVE", "activeDeployments" to listOf(deployment), "futureField" to mapOf("a" to 1)),
        )
        val agent = Zaby(apiKey = "k", transport = transport).agents.get("agt-1")
        assertEquals(AgentStatus.ACTIVE, agent.status)
        assertEquals(AgentVisibility.PRIVATE, agent.visibility)
        assertEquals(buildJsonObject { put("a", 1) }, agent.extra["futureField"])
        assertEquals(JsonPrimitive("eu"), agent.activeDeployments.single().extra["region"])
        assertNull(agent.description, "absent and null read the same")

        val json = agent.toJson()
        assertEquals(buildJsonObject { put("a", 1) }, json["futureField"], "unknown members are written back")
        assertEquals(JsonPrimitive("eu"), json["activeDeployments"]!!.let { it as kotlinx.serialization.json.JsonArray }[0].jsonObject["region"])
        assertEquals(JsonNull, json["description"], "a required nullable member is written as null")
        assertEquals(JsonObject(emptyMap()), json["config"], "a required member is written even when empty")
        assertFalse(json.keys.any { it.startsWith("\u0000") }, "no trace of the holder of unknown members")
    }

    @Test
    fun `open enums keep values this version does not know, closed ones name theirs`() = runBlocking {
        val transport = MockTransport()
        transport.setResponse("GET", "$AGENTS/a", 200, agentJson("a", "defaultModel" to "zaby-ultra"))
        transport.setResponse("GET", "$AGENTS/b", 200, agentJson("b", "defaultModel" to "zaby"))
        val zaby = Zaby(apiKey = "k", transport = transport)
        val newer = zaby.agents.get("a").defaultModel
        assertEquals(AgentModel("zaby-ultra"), newer)
        assertEquals("zaby-ultra", newer.value)
        assertEquals(AgentModel.ZABY, zaby.agents.get("b").defaultModel)
        assertEquals("DRAFT", AgentStatus.DRAFT.value)
    }

    @Test
    fun `typed inputs send what is set, and a partial update tells clearing from leaving`() = runBlocking {
        val transport = MockTransport()
        transport.setResponse("POST", AGENTS, 201, agentJson("a"))
        transport.setResponse("PATCH", "$AGENTS/a", 200, agentJson("a"))
        val zaby = Zaby(apiKey = "k", transport = transport)
        zaby.agents.create(
            AgentInput(slug = "a", name = "A", defaultModel = AgentModel.ZABY_MAX, tags = listOf("x"), extra = buildJsonObject { put("future", true) }),
        )
        val created = transport.requests[0].json!!.jsonObject
        assertEquals(setOf("slug", "name", "defaultModel", "tags", "future"), created.keys)
        assertEquals(JsonPrimitive("zaby-max"), created["defaultModel"])

        zaby.agents.update("a", AgentUpdateInput(name = "B", description = Nullable(null), status = AgentStatus.ACTIVE))
        val patch = transport.requests[1].json!!.jsonObject
        assertEquals(setOf("name", "description", "status"), patch.keys)
        assertEquals(JsonNull, patch["description"], "Nullable(null) clears the member")
        assertEquals(JsonPrimitive("ACTIVE"), patch["status"])
    }

    @Test
    fun `an answer of another shape is INVALID_RESPONSE naming the problem`() = runBlocking {
        val transport = MockTransport()
        transport.setResponse("GET", "$AGENTS/a", 200, mapOf("id" to "a"))
        val e = thrown<ZabyClientException> { runBlocking { Zaby(apiKey = "k", transport = transport).agents.get("a") } }
        assertEquals("INVALID_RESPONSE", e.code)
        assertTrue(e.message!!.contains("slug"), e.message)
    }

    @Test
    fun `a known event whose data has another shape arrives as Other, unchanged`() = runBlocking {
        val transport = MockTransport()
        transport.setSse(
            "GET", runStream,
            listOf(
                mapOf("id" to "1", "event" to "text", "data" to mapOf("words" to "no content")),
                mapOf("id" to "2", "event" to "RunError", "data" to mapOf("runId" to "run-42", "message" to "boom", "code" to "NEW_CODE")),
            ),
        )
        val events = ZabyRuntime(token = "t", transport = transport).runs.stream("run-42").toList()
        val other = events[0] as RunEvent.Other
        assertEquals("text", other.event)
        assertEquals("no content", other.data.str("words"))
        val error = events[1] as RunEvent.RunError
        assertEquals("NEW_CODE", error.code.value, "an open enum keeps a code this version does not know")
        assertEquals("boom", error.payload.message)
    }
}
