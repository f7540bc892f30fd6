package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.appFor
import ai.zaby.e2e.support.deployedAgent
import ai.zaby.e2e.support.eventually
import ai.zaby.e2e.support.expectApiError
import ai.zaby.e2e.support.id
import ai.zaby.e2e.support.items
import ai.zaby.e2e.support.json
import ai.zaby.e2e.support.live
import ai.zaby.e2e.support.str
import ai.zaby.e2e.support.total
import ai.zaby.sdk.types.DeletedResponse
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyNotFoundException
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.JsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/** Memory (E85–E92): candidates proposed by runs, review, items, retrieval, disable and delete. */
@Order(6)
@ExtendWith(LiveSuite::class)
class MemoryTest {
    private val z get() = Live.zaby

    @Test
    fun `E90–E92 candidates from runs, E85–E89 items and retrieval, per end user`() = live {
        val d = deployedAgent(z, "memo")
        val (app, policy) = appFor(z, d.deployment.id)
        suspend fun mint(user: String) = Live.runtime(
            z.runtimeTokens.create(
                mapOf("externalAppId" to app.id, "deploymentId" to d.deployment.id, "quotaPolicyId" to policy.id, "externalUserId" to user),
            ).str("token"),
        )
        val green = mint("u-green")
        val other = mint("u-other")

        val said = green.runs.start(mapOf("input" to "remember that my favourite colour is green"))
        assertEquals("COMPLETED", said.str("status"))
        val proposed = green.runs.start(mapOf("input" to mapOf("message" to "ok", "simulate" to mapOf("memoryCandidates" to listOf("I like tea")))))
        assertEquals("COMPLETED", proposed.str("status"))
        val candidates = eventually("two memory candidates") {
            z.memory.listCandidates(mapOf("externalUserId" to "u-green", "agentId" to d.agent.id)).takeIf { it.total == 2L }
        }
        fun byContent(content: String) = candidates.items.firstOrNull { it.str("content") == content } ?: error("no candidate \"$content\"")
        val colour = byContent("my favourite colour is green")
        assertEquals("PENDING", colour.str("status"))
        assertEquals(said.str("runId"), colour.str("runId"))
        assertEquals("FACT", colour.str("kind"))
        val tea = byContent("I like tea")
        val iterated = z.memory.iterCandidates(mapOf("externalUserId" to "u-green", "limit" to 1)).map { it.id }.toList()
        assertEquals(listOf(colour.id, tea.id).sorted(), iterated.sorted())

        val approved = z.memory.approveCandidate(colour.id, mapOf("reviewedBy" to "ops"))
        assertEquals("APPROVED", approved.str("status"))
        assertEquals("ops", approved.str("reviewedBy"))
        expectApiError<ZabyConflictException>(409, "CANDIDATE_ALREADY_REVIEWED") { z.memory.approveCandidate(colour.id) }
        assertEquals("REJECTED", z.memory.rejectCandidate(tea.id, mapOf("reason" to "not useful")).str("status"))
        expectApiError<ZabyConflictException>(409, "CANDIDATE_ALREADY_REVIEWED") { z.memory.rejectCandidate(tea.id) }
        assertEquals(0, z.memory.listCandidates(mapOf("externalUserId" to "u-green")).total?.toInt(), "nothing left to review")

        val itemId = approved.str("memoryItemId")
        val item = z.memory.getItem(itemId)
        assertEquals("my favourite colour is green", item.str("content"))
        assertEquals("ACTIVE", item.str("status"))
        assertEquals(listOf(itemId), z.memory.listItems(mapOf("externalUserId" to "u-green")).items.map { it.id })
        assertEquals(listOf(itemId), z.memory.iterItems(mapOf("agentId" to d.agent.id)).map { it.id }.toList())

        val query = mapOf("query" to "favourite colour")
        assertEquals(listOf(itemId), z.memory.retrieve(query + ("externalUserId" to "u-green")).items.map { it.id })
        assertEquals(emptyList<JsonObject>(), z.memory.retrieve(query + ("externalUserId" to "u-other")).items)
        // The agent remembers for this end user only.
        val question = mapOf("input" to "what is my favourite colour?")
        assertEquals("From memory: my favourite colour is green", green.runs.start(question).str("finalOutput"))
        assertEquals("You said: what is my favourite colour?", other.runs.start(question).str("finalOutput"))

        val disabled = z.memory.disableItem(itemId, mapOf("reason" to "stale"))
        assertEquals("DISABLED", disabled.str("status"))
        assertEquals("stale", disabled.str("disableReason"))
        assertEquals(emptyList<JsonObject>(), z.memory.retrieve(query + ("externalUserId" to "u-green")).items)
        assertEquals(DeletedResponse(id = itemId, deleted = true), z.memory.deleteItem(itemId, mapOf("reason" to "user asked")))
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { z.memory.getItem(itemId) }
    }
}
