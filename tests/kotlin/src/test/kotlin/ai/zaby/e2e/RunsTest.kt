package ai.zaby.e2e

import ai.zaby.e2e.support.Deployed
import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.get
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.appFor
import ai.zaby.e2e.support.bool
import ai.zaby.e2e.support.builtinTool
import ai.zaby.e2e.support.deployedAgent
import ai.zaby.e2e.support.eventually
import ai.zaby.e2e.support.expectApiError
import ai.zaby.e2e.support.id
import ai.zaby.e2e.support.int
import ai.zaby.e2e.support.items
import ai.zaby.e2e.support.json
import ai.zaby.e2e.support.live
import ai.zaby.e2e.support.num
import ai.zaby.e2e.support.obj
import ai.zaby.e2e.support.str
import ai.zaby.e2e.support.total
import ai.zaby.e2e.support.waitRun
import ai.zaby.sdk.RunEvent
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyPermissionException
import ai.zaby.sdk.ZabyRuntime
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.extension.ExtendWith

private const val ECHO = "/tool echo {\"say\": \"hi\"}"

private fun textOf(events: List<RunEvent>) = events.filterIsInstance<RunEvent.Text>().joinToString("") { it.content }

/**
 * Runs, streams, approvals and feedback (E28, E37–E40, E119–E125): the runtime routes
 * with a runtime token, the provisioning approval routes, and the same flows over the
 * SDK's built-in transport.
 */
@Order(3)
@ExtendWith(LiveSuite::class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunsTest {
    private val z get() = Live.zaby
    private lateinit var deployed: Deployed

    /** A token whose binding allows runtime approvals. */
    private lateinit var token: String

    /** A token of an app whose binding does not. */
    private lateinit var plainToken: String

    @BeforeAll
    fun setUp() = live {
        val echo = builtinTool(z, "echo")
        deployed = deployedAgent(z, "runs") { agent ->
            z.agents.attachMcpTool(
                agent.id,
                mapOf("tenantInstallationId" to echo.installationId, "toolDefinitionId" to echo.toolId, "approvalMode" to "MANUAL"),
            )
        }
        val withApprovals = appFor(z, deployed.deployment.id, mapOf("allowApprovals" to true))
        val plain = appFor(z, deployed.deployment.id)
        suspend fun mint(app: String, policy: String, user: String) = z.runtimeTokens.create(
            mapOf("externalAppId" to app, "deploymentId" to deployed.deployment.id, "quotaPolicyId" to policy, "externalUserId" to user),
        ).str("token")
        token = mint(withApprovals.app.id, withApprovals.policy.id, "runner")
        plainToken = mint(plain.app.id, plain.policy.id, "plain-user")
    }

    /**
     * Streams a run that asks for `echo` through `starter`'s transport (the recording
     * one streams the body as it arrives, the built-in one too), deciding through
     * `decide` when the approval is asked for: the run waits for that decision, so the
     * stream must deliver `approval_required` before it ends.
     */
    private suspend fun streamWithDecision(
        starter: ZabyRuntime,
        decide: suspend (runId: String, approvalId: String) -> Unit,
    ): Pair<String, List<RunEvent>> {
        val runId = starter.runs.start(mapOf("input" to ECHO, "respondAsync" to true)).str("runId")
        val events = starter.runs.stream(runId).onEach { ev ->
            if (ev is RunEvent.ApprovalRequired) {
                val data = ev.data.jsonObject
                assertEquals("echo", data.str("toolName"))
                decide(runId, data.str("approvalId"))
            }
        }.toList()
        return runId to events
    }

    @Test
    @Order(1)
    fun `E119, E121 a run streamed as it happens and E120 the same events stored`() = live {
        val runtime = Live.runtime(token)
        val started = runtime.runs.start(mapOf("input" to "hello streaming world", "respondAsync" to true))
        assertEquals(deployed.deployment.id, started.str("deploymentId"))
        val runId = started.str("runId")
        val events = runtime.runs.stream(runId).toList()
        assertTrue(events.first() is RunEvent.RunStarted, "$events")
        val last = events.last() as RunEvent.RunFinished
        assertEquals("COMPLETED", last.data.jsonObject.str("status"))
        assertEquals("You said: hello streaming world", textOf(events))
        val page = runtime.runs.events(runId, mapOf("limit" to 100))
        assertEquals(events.map { it.id }, page.items.map { it.id })
        val iterated = runtime.runs.iterEvents(runId, mapOf("limit" to 2)).map { it.str("event") }.toList()
        assertEquals(events.map { it.event }, iterated)
    }

    @Test
    @Order(2)
    fun `E123 approve from the runtime while streaming - the tool runs`() = live {
        val runtime = Live.runtime(token)
        val (runId, events) = streamWithDecision(runtime) { id, approvalId ->
            runtime.approvals.approve(id, approvalId, mapOf("reason" to "fine"))
        }
        assertEquals(listOf("RunStarted", "tool_call", "approval_required", "tool_result"), events.take(4).map { it.event })
        val result = events.first { it is RunEvent.ToolResult }.data.jsonObject
        assertEquals(json(mapOf("say" to "hi")), result["result"])
        assertEquals(false, result.bool("isError"))
        assertEquals("Tool echo returned: {\"say\":\"hi\"}", textOf(events))
        assertEquals(1, z.approvals.list(mapOf("runId" to runId, "status" to "APPROVED")).total?.toInt())
    }

    @Test
    @Order(3)
    fun `E124 reject from the runtime - the model gets APPROVAL_REJECTED`() = live {
        val runtime = Live.runtime(token)
        val waiting = runtime.runs.start(mapOf("input" to ECHO))
        assertEquals("WAITING_FOR_APPROVAL", waiting.str("status"))
        val runId = waiting.str("runId")
        val pending = z.agents.getRunProgress(runId)["pendingApproval"]?.jsonObject
        assertNotNull(pending, "the run shows its pending approval")
        assertEquals(json(mapOf("say" to "hi")), pending!!["arguments"])
        val rejected = runtime.approvals.reject(runId, pending.id, mapOf("reason" to "not now"))
        assertEquals("REJECTED", rejected.str("status"))
        val done = waitRun(z, runId, "COMPLETED")
        assertTrue("APPROVAL_REJECTED" in done.str("finalOutput"), done.toString())
        expectApiError<ZabyConflictException>(409, "APPROVAL_ALREADY_DECIDED") { runtime.approvals.approve(runId, pending.id) }
    }

    @Test
    @Order(4)
    fun `E123 refused when the binding does not allow runtime approvals`() = live {
        val runtime = Live.runtime(plainToken)
        val waiting = runtime.runs.start(mapOf("input" to ECHO))
        assertEquals("WAITING_FOR_APPROVAL", waiting.str("status"))
        val runId = waiting.str("runId")
        val pending = z.agents.getRunProgress(runId).obj("pendingApproval")
        expectApiError<ZabyPermissionException>(403, "APPROVALS_NOT_ALLOWED") { runtime.approvals.approve(runId, pending.id) }
        z.approvals.reject(runId, pending.id, mapOf("reason" to "cleanup"))
        waitRun(z, runId, "COMPLETED")
    }

    @Test
    @Order(5)
    fun `E37 pending approvals listed and E38 approve and E39 reject with the API key`() = live {
        val runtime = Live.runtime(token)
        val a = runtime.runs.start(mapOf("input" to ECHO)).str("runId")
        val b = runtime.runs.start(mapOf("input" to ECHO)).str("runId")
        val pendingA = z.approvals.list(mapOf("runId" to a))
        assertEquals(1, pendingA.total?.toInt())
        assertEquals("PENDING", pendingA.items[0].str("status"))
        assertEquals("echo", pendingA.items[0].str("toolName"))
        val open = z.approvals.iter(mapOf("agentId" to deployed.agent.id, "limit" to 1)).map { it.str("runId") }.toList()
        assertTrue(a in open && b in open, "both runs wait")

        val approved = z.approvals.approve(a, pendingA.items[0].id, mapOf("reason" to "ok", "decidedBy" to "ops"))
        assertEquals("APPROVED", approved.str("status"))
        assertEquals("Tool echo returned: {\"say\":\"hi\"}", waitRun(z, a, "COMPLETED").str("finalOutput"))

        val pendingB = z.approvals.list(mapOf("runId" to b)).items[0]
        assertEquals("REJECTED", z.approvals.reject(b, pendingB.id, mapOf("reason" to "no")).str("status"))
        waitRun(z, b, "COMPLETED")
        assertEquals(1, z.approvals.list(mapOf("runId" to b, "status" to "REJECTED")).total?.toInt())
        assertEquals(0, z.approvals.list(mapOf("runId" to b)).total?.toInt(), "nothing pending any more")
    }

    @Test
    @Order(6)
    fun `E122 cancel from the runtime`() = live {
        val runtime = Live.runtime(token)
        val slow = runtime.runs.start(
            mapOf("input" to mapOf("message" to "one two three four five six", "simulate" to mapOf("delayMs" to 300)), "respondAsync" to true),
        ).str("runId")
        assertEquals("CANCELLED", runtime.runs.cancel(slow, mapOf("reason" to "user left")).str("status"))
        val finished = eventually("the terminal event") {
            runtime.runs.events(slow, mapOf("limit" to 100)).items.firstOrNull { it.str("event") == "RunFinished" }
        }
        assertEquals("CANCELLED", finished.obj("data").str("status"))
    }

    @Test
    @Order(7)
    fun `E125 runtime feedback, E28 feedback with the API key, E40 usage`() = live {
        val runtime = Live.runtime(token)
        val run = runtime.runs.start(mapOf("input" to "rate me"))
        assertEquals("COMPLETED", run.str("status"))
        val runId = run.str("runId")
        val fb = runtime.feedback.create(runId, mapOf("rating" to 4, "comment" to "good"))
        assertEquals(4, fb.int("rating"))
        assertEquals(runId, fb.str("runId"))
        assertEquals(5, z.runtimeTokens.recordFeedback(runId, mapOf("rating" to 5, "comment" to "better")).int("rating"))
        val signals = z.intelligence.listSignals(mapOf("runId" to runId, "type" to "user_feedback"))
        assertEquals(listOf(4.0, 5.0), signals.items.map { it.num("value") }.sorted())

        val usage = z.usage.getAgentUsage(mapOf("agentId" to deployed.agent.id))
        assertEquals(deployed.agent.id, usage.str("agentId"))
        val totals = usage.obj("totals")
        assertTrue(totals.int("runs") >= 7, "runs: ${totals["runs"]}")
        assertTrue(totals.int("toolCalls") >= 3, "tool calls: ${totals["toolCalls"]}")
        assertTrue(totals.int("approvalsRequested") >= 5, "approvals: ${totals["approvalsRequested"]}")
        assertTrue(totals.int("cancelledRuns") >= 1)
        assertEquals(2, totals.int("feedbackCount"))
        assertEquals(4.5, totals.num("averageRating"))
    }

    @Test
    @Order(8)
    fun `the built-in transport - a streamed run with an approval, end to end`() = live {
        val runtime = Live.nativeRuntime(token)
        val plain = runtime.runs.start(mapOf("input" to "native hello", "respondAsync" to true)).str("runId")
        val events = runtime.runs.stream(plain).toList()
        assertEquals("You said: native hello", textOf(events))
        assertTrue(events.last() is RunEvent.RunFinished)

        val (runId, withTool) = streamWithDecision(runtime) { id, approvalId -> runtime.approvals.approve(id, approvalId) }
        assertEquals("Tool echo returned: {\"say\":\"hi\"}", textOf(withTool))
        assertEquals("COMPLETED", Live.nativeZaby.agents.getRunProgress(runId).str("status"))
    }
}
