package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.builtinTool
import ai.zaby.e2e.support.eventually
import ai.zaby.e2e.support.expectApiError
import ai.zaby.e2e.support.id
import ai.zaby.e2e.support.int
import ai.zaby.e2e.support.isNull
import ai.zaby.e2e.support.items
import ai.zaby.e2e.support.json
import ai.zaby.e2e.support.list
import ai.zaby.e2e.support.live
import ai.zaby.e2e.support.obj
import ai.zaby.e2e.support.str
import ai.zaby.e2e.support.total
import ai.zaby.e2e.support.uniq
import ai.zaby.sdk.types.DeletedResponse
import ai.zaby.sdk.types.ZabyModel
import ai.zaby.sdk.types.Provisioning
import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyAuthException
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyNotFoundException
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/** Polls E113 with the tenant token until the deployment is ACTIVE. */
private suspend fun tenantActive(t: Zaby, deploymentId: String): Provisioning =
    eventually("the tenant deployment to become ACTIVE") {
        try {
            t.tenantAgents.getDeploymentProvisioning(deploymentId)
        } catch (_: ZabyNotFoundException) {
            null
        }
    }

/**
 * Tenant routes (E98–E118) with a tenant access token minted by `zaby-server tokens
 * issue-tenant` for the server's default tenant.
 */
@Order(8)
@ExtendWith(LiveSuite::class)
class TenantTest {
    private val t get() = Live.tenant
    private val z get() = Live.zaby

    private fun keys(agent: ZabyModel, field: String) = agent.list(field).map { it.jsonObject.str("key") }

    @Test
    @Order(1)
    fun `an API key alone is not a tenant credential`() = live {
        expectApiError<ZabyAuthException>(401, "UNAUTHORIZED") { z.tenantAgents.list() }
    }

    @Test
    @Order(2)
    fun `E98–E105, E113–E116 agents managed with a tenant token`() = live {
        val slug = uniq("tenant")
        val agent = t.tenantAgents.create(mapOf("slug" to slug, "name" to "Tenant agent"))
        assertEquals("DRAFT", agent.str("status"))
        assertEquals(slug, z.agents.get(agent.id).str("slug"), "the provisioning routes see the same agent")
        assertEquals(listOf(agent.id), t.tenantAgents.list(mapOf("q" to slug)).items.map { it.id })
        assertEquals(listOf(agent.id), t.tenantAgents.iter(mapOf("q" to slug)).map { it.id }.toList())
        assertEquals("Be brief.", t.tenantAgents.update(agent.id, mapOf("instructions" to "Be brief.")).str("instructions"))
        assertEquals("Be brief.", t.tenantAgents.get(agent.id).str("instructions"))

        expectApiError<ZabyConflictException>(409, "NO_PUBLISHED_VERSION") { t.tenantAgents.redeploy(agent.id) }
        assertEquals("summarize", t.tenantAgents.attachSkill(agent.id, mapOf("skillId" to "summarize")).str("key"))
        val sum = builtinTool(z, "sum")
        val tool = t.tenantAgents.attachMcpTool(agent.id, mapOf("toolId" to sum.toolId, "key" to "tenant-sum", "approvalMode" to "AUTO"))
        assertEquals("tenant-sum", tool.str("key"))
        val kb = z.knowledgeBases.create(mapOf("name" to uniq("Tenant kb")))
        assertEquals("tenant-kb", t.tenantAgents.attachKnowledgeBase(agent.id, mapOf("knowledgeBaseId" to kb.id, "key" to "tenant-kb")).str("key"))
        val got = t.tenantAgents.get(agent.id)
        assertEquals(listOf("summarize"), keys(got, "skills"))
        assertEquals(listOf("tenant-sum"), keys(got, "mcpTools"))
        assertEquals(listOf("tenant-kb"), keys(got, "knowledgeBases"))

        val v1 = t.tenantAgents.publish(agent.id)
        assertEquals(1, v1.int("version"))
        val dep = t.tenantAgents.deploy(agent.id, mapOf("agentVersionId" to v1.id, "environment" to "STAGING"))
        assertEquals("PENDING", dep.str("status"))
        val prov = tenantActive(t, dep.id)
        assertEquals("ACTIVE", prov.str("status"))
        assertEquals(dep.id, prov.str("deploymentId"))
        val again = t.tenantAgents.redeploy(agent.id)
        assertEquals(v1.id, again.str("agentVersionId"), "the latest published version")
        assertEquals("STAGING", again.str("environment"), "the newest deployment's environment")
        assertEquals("PENDING", again.str("status"))

        expectApiError<ZabyConflictException>(409, "AGENT_HAS_ACTIVE_DEPLOYMENTS") { t.tenantAgents.delete(agent.id) }
        assertEquals(DeletedResponse(id = agent.id, deleted = true), t.tenantAgents.delete(agent.id, mapOf("force" to true)))
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { t.tenantAgents.get(agent.id) }
    }

    @Test
    @Order(3)
    fun `E106–E112 runs and approvals and E117 apps and E118 playground tokens`() = live {
        val echo = builtinTool(z, "echo")
        val agent = t.tenantAgents.create(mapOf("slug" to uniq("tenant-runs"), "name" to "Tenant runs"))
        t.tenantAgents.attachMcpTool(
            agent.id,
            mapOf("tenantInstallationId" to echo.installationId, "toolDefinitionId" to echo.toolId, "approvalMode" to "MANUAL"),
        )
        val version = t.tenantAgents.publish(agent.id)
        val dep = t.tenantAgents.deploy(agent.id, mapOf("agentVersionId" to version.id, "environment" to "PRODUCTION"))
        tenantActive(t, dep.id)

        val draft = t.tenantAgents.testRun(agent.id, mapOf("input" to "try the draft"))
        assertEquals("You said: try the draft", draft.str("finalOutput"))
        assertTrue(draft.isNull("deploymentId"))
        val run = t.tenantAgents.startRun(agent.id, mapOf("input" to "hello tenant"))
        assertEquals("COMPLETED", run.str("status"))
        assertEquals(dep.id, run.str("deploymentId"))
        val runId = run.str("runId")
        assertEquals("You said: hello tenant", t.tenantAgents.getRunProgress(runId).str("finalOutput"))
        val events = t.tenantAgents.listRunEvents(runId)
        assertEquals("RunFinished", events.items.last().str("event"))
        assertEquals(events.items.map { it.id }, t.tenantAgents.iterRunEvents(runId, mapOf("limit" to 2)).map { it.id }.toList())

        val waitingA = t.tenantAgents.startRun(agent.id, mapOf("input" to "/tool echo {\"n\": 1}"))
        val waitingB = t.tenantAgents.startRun(agent.id, mapOf("input" to "/tool echo {\"n\": 2}"))
        assertEquals("WAITING_FOR_APPROVAL", waitingA.str("status"))
        assertEquals("WAITING_FOR_APPROVAL", waitingB.str("status"))
        val runA = waitingA.str("runId")
        val runB = waitingB.str("runId")
        val approvalA = t.tenantAgents.getRunProgress(runA).obj("pendingApproval")
        val approvalB = t.tenantAgents.getRunProgress(runB).obj("pendingApproval")
        val approved = t.tenantAgents.approveRunApproval(runA, approvalA.id, mapOf("decidedBy" to "alice"))
        assertEquals("APPROVED", approved.str("status"))
        assertEquals("alice", approved.str("decidedBy"))
        assertEquals("REJECTED", t.tenantAgents.rejectRunApproval(runB, approvalB.id, mapOf("reason" to "no")).str("status"))
        val doneA = eventually("run A to complete") { t.tenantAgents.getRunProgress(runA).takeIf { it.str("status") == "COMPLETED" } }
        assertEquals("Tool echo returned: {\"n\":1}", doneA.str("finalOutput"))

        val runs = t.tenantAgents.listRuns(agent.id, mapOf("limit" to 100))
        assertEquals(listOf(draft.str("runId"), runId, runA, runB).sorted(), runs.items.map { it.str("runId") }.sorted())
        val completed = t.tenantAgents.iterRuns(agent.id, mapOf("status" to "COMPLETED", "limit" to 1)).map { it.str("runId") }.toList()
        assertTrue(runId in completed && runA in completed)

        val appSlug = uniq("tenant-app")
        val app = z.externalApps.create(mapOf("name" to appSlug, "slug" to appSlug))
        val apps = t.tenantAgents.listExternalApps(mapOf("limit" to 100))
        assertTrue(apps.items.any { it.id == app.id })
        assertEquals(apps.total?.toInt(), t.tenantAgents.iterExternalApps(mapOf("limit" to 1)).map { it.id }.toList().size)

        val minted = t.tenantAgents.mintPlaygroundRuntimeToken(agent.id, mapOf("deploymentId" to dep.id, "externalUserId" to "tenant-dev"))
        assertEquals(dep.id, minted.str("deploymentId"))
        val played = Live.runtime(minted.str("token")).runs.start(mapOf("input" to "from the playground"))
        assertEquals("You said: from the playground", played.str("finalOutput"))
    }
}
