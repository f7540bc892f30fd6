package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.get
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.deployedAgent
import ai.zaby.e2e.support.expectApiError
import ai.zaby.e2e.support.id
import ai.zaby.e2e.support.items
import ai.zaby.e2e.support.json
import ai.zaby.e2e.support.live
import ai.zaby.e2e.support.num
import ai.zaby.e2e.support.obj
import ai.zaby.e2e.support.str
import ai.zaby.e2e.support.strOrNull
import ai.zaby.e2e.support.total
import ai.zaby.e2e.support.waitRun
import ai.zaby.sdk.types.ZabyModel
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyValidationException
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.doubleOrNull
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/** Intelligence (E93–E97): signals of real runs and feedback, rollups, improvements and their review. */
@Order(7)
@ExtendWith(LiveSuite::class)
class IntelligenceTest {
    private val z get() = Live.zaby

    private fun ZabyModel.numOr0(name: String) = toJson()[name]?.jsonPrimitive?.doubleOrNull ?: 0.0

    @Test
    fun `E93 signals, E94 rollups, E95–E97 improvements from a low rating`() = live {
        val d = deployedAgent(z, "intel")
        val agentId = d.agent.id
        suspend fun finished(input: String): String {
            val runId = z.agents.startRun(agentId, mapOf("input" to input, "respondAsync" to true)).str("runId")
            waitRun(z, runId, "COMPLETED")
            return runId
        }
        val good = finished("all fine")
        z.runtimeTokens.recordFeedback(good, mapOf("rating" to 5))
        assertEquals(0, z.intelligence.listImprovements(mapOf("agentId" to agentId)).total?.toInt(), "a good rating proposes nothing")

        val bad = finished("hello")
        val fb = z.runtimeTokens.recordFeedback(bad, mapOf("rating" to 1, "comment" to "wrong answer"))
        val signals = z.intelligence.listSignals(mapOf("runId" to bad, "type" to "user_feedback"))
        assertEquals(1, signals.total?.toInt())
        val signal = signals.items[0]
        assertEquals(1.0, signal.num("value"))
        assertEquals(d.deployment.id, signal.str("deploymentId"))
        assertEquals(fb.id, signal.obj("payload").str("feedbackId"))
        assertEquals("wrong answer", signal.obj("payload").str("comment"))
        val kinds = z.intelligence.iterSignals(mapOf("agentId" to agentId, "limit" to 2)).map { it.str("type") }.toList()
        assertEquals(listOf("run_completed", "run_completed", "user_feedback", "user_feedback"), kinds.sorted(), "two runs and two ratings")

        // Summed over the daily buckets, so a run that ends after midnight UTC changes nothing.
        val rollups = z.intelligence.listRollups(mapOf("agentId" to agentId, "granularity" to "daily", "limit" to 100)).items
        fun total(metric: String) = rollups.filter { it.str("metric") == metric }.sumOf { it.numOr0("value") }
        assertEquals(2.0, total("run_count"))
        assertEquals(2.0, total("feedback_count"))
        assertEquals(0.0, total("failure_rate"))
        val ratings = rollups.filter { it.str("metric") == "avg_rating" }.sumOf { it.numOr0("value") * it.numOr0("count") }
        assertEquals(6.0, ratings, "ratings 5 and 1")
        val iterated = z.intelligence.iterRollups(mapOf("agentId" to agentId, "granularity" to "daily", "limit" to 1)).map { it.str("metric") }.toList()
        assertEquals(rollups.map { it.str("metric") }, iterated)
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") {
            z.intelligence.listRollups(mapOf("agentId" to agentId, "granularity" to "yearly"))
        }

        val proposed = z.intelligence.listImprovements(mapOf("agentId" to agentId))
        assertEquals(1, proposed.total?.toInt())
        val imp = proposed.items[0]
        assertEquals("QUALITY", imp.str("category"))
        assertEquals("PROPOSED", imp.str("status"))
        assertEquals(json(mapOf("type" to "instructions", "runId" to bad, "feedbackId" to fb.id)), imp["suggestedChange"])
        assertEquals(json(listOf(signal.id)), imp["signalIds"])
        assertTrue("wrong answer" in imp.strOrNull("description").orEmpty())

        val approved = z.intelligence.approveImprovement(imp.id, mapOf("comment" to "will do"))
        assertEquals("APPROVED", approved.str("status"))
        assertEquals("will do", approved.str("comment"))
        assertEquals("IMPLEMENTED", z.intelligence.approveImprovement(imp.id, mapOf("status" to "IMPLEMENTED")).str("status"))
        expectApiError<ZabyConflictException>(409, "CANDIDATE_ALREADY_REVIEWED") { z.intelligence.rejectImprovement(imp.id) }

        val worse = finished("again")
        z.runtimeTokens.recordFeedback(worse, mapOf("rating" to 2))
        val open = z.intelligence.iterImprovements(mapOf("agentId" to agentId, "status" to "PROPOSED")).map { it.id }.toList()
        assertEquals(1, open.size)
        assertNotEquals(imp.id, open[0])
        val rejected = z.intelligence.rejectImprovement(open[0], mapOf("reason" to "noise"))
        assertEquals("REJECTED", rejected.str("status"))
        assertEquals("noise", rejected.str("reason"))
        assertEquals(1, z.intelligence.listImprovements(mapOf("agentId" to agentId, "status" to "REJECTED")).total?.toInt())
    }
}
