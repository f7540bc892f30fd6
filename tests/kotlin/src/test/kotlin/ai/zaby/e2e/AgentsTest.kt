package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.get
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.deployedAgent
import ai.zaby.e2e.support.errorFields
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
import ai.zaby.e2e.support.waitRun
import ai.zaby.sdk.types.AgentInput
import ai.zaby.sdk.types.AgentModel
import ai.zaby.sdk.types.AgentStatus
import ai.zaby.sdk.types.AgentUpdateInput
import ai.zaby.sdk.types.AgentVisibility
import ai.zaby.sdk.types.DeletedResponse
import ai.zaby.sdk.types.Nullable
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyNotFoundException
import ai.zaby.sdk.ZabyValidationException
import ai.zaby.sdk.waitUntilActive
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/** The system route (E1) and agents & deployments (E2–E8, E11–E19). */
@Order(1)
@ExtendWith(LiveSuite::class)
class AgentsTest {
    private val z get() = Live.zaby

    @Test
    @Order(1)
    fun `E1 health answers ok with the server's version`() = live {
        val health = z.health.check()
        assertEquals("ok", health.str("status"))
        val version = Live.server.cli("--version")
        assertTrue(health.str("version") in version, "$version vs ${health.str("version")}")
    }

    @Test
    @Order(2)
    fun `E2–E6 create, list, iterate, get, update and delete agents`() = live {
        val slug = uniq("crud")
        val agent = z.agents.create(AgentInput(slug = slug, name = "Crud agent", description = "first", tags = listOf("e2e")))
        assertEquals(slug, agent.slug)
        assertEquals(AgentStatus.DRAFT, agent.status)
        assertEquals(AgentVisibility.PRIVATE, agent.visibility)
        assertEquals(AgentModel.ZABY, agent.defaultModel)
        assertEquals(listOf("e2e"), agent.tags)

        val dup = expectApiError<ZabyConflictException>(409, "SLUG_ALREADY_EXISTS") { z.agents.create(mapOf("slug" to slug, "name" to "again")) }
        assertNotNull(dup.requestId, "the error carries the request id")
        val bad = expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") { z.agents.create(mapOf("slug" to "Not A Slug", "name" to "x")) }
        assertEquals(listOf("slug"), errorFields(bad))

        val found = z.agents.list(mapOf("q" to slug))
        assertEquals(1, found.total?.toInt())
        assertEquals(agent.id, found.items[0].id)
        val second = z.agents.create(mapOf("slug" to "$slug-b", "name" to "Crud agent b"))
        val ids = z.agents.iter(mapOf("q" to slug, "limit" to 1)).map { it.id }.toList()
        assertEquals(listOf(agent.id, second.id), ids, "one item per page, in creation order")

        val got = z.agents.get(agent.id)
        assertEquals("Crud agent", got.str("name"))
        assertEquals("first", got.str("description"))
        val updated = z.agents.update(agent.id, AgentUpdateInput(name = "Renamed", description = Nullable(null)))
        assertEquals("Renamed", updated.name)
        assertEquals(null, updated.description, "Nullable(null) cleared it")
        assertEquals(listOf("e2e"), updated.tags, "fields not sent are kept")
        assertEquals("Renamed", z.agents.get(agent.id).str("name"))

        assertEquals(DeletedResponse(id = second.id, deleted = true), z.agents.delete(second.id))
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { z.agents.get(second.id) }
        assertEquals(1, z.agents.list(mapOf("q" to slug)).total?.toInt())
    }

    @Test
    @Order(3)
    fun `E7, E8, E19 publish and deploy (PENDING, then ACTIVE) and E11 skills in the snapshot`() = live {
        val slug = uniq("deploy")
        val agent = z.agents.create(mapOf("slug" to slug, "name" to slug))
        val skill = z.agents.attachSkill(agent.id, mapOf("skillId" to "summarize"))
        assertEquals("summarize", skill.str("key"))
        assertEquals("true", skill["enabled"].toString())
        val v1 = z.agents.publish(agent.id)
        assertEquals(1, v1.int("version"))
        assertEquals("PUBLISHED", v1.str("status"))
        assertEquals(listOf("summarize"), v1.obj("snapshot").list("skills").map { it.jsonObject.str("skillId") })
        assertEquals("ACTIVE", z.agents.get(agent.id).str("status"))

        val dep = z.agents.deploy(agent.id, mapOf("agentVersionId" to v1.id, "environment" to "PRODUCTION"))
        assertEquals("PENDING", dep.str("status"))
        assertEquals(v1.id, dep.str("agentVersionId"))
        val prov = z.deployments.waitUntilActive(dep.id, timeoutMs = 30_000)
        assertEquals("ACTIVE", prov.str("status"))
        assertEquals(dep.id, prov.str("deploymentId"))
        assertEquals(dep.id, z.agents.get(agent.id).list("activeDeployments")[0].jsonObject.id)

        // The deployments client's create is the same route (E8): a new deployment in
        // the same environment supersedes the first one.
        z.agents.attachSkill(agent.id, mapOf("skillId" to "translate"))
        val v2 = z.agents.publish(agent.id)
        assertEquals(2, v2.int("version"))
        val dep2 = z.deployments.create(agent.id, mapOf("agentVersionId" to v2.id, "environment" to "PRODUCTION"))
        z.deployments.waitUntilActive(dep2.id, timeoutMs = 30_000)
        eventually("the first deployment to be superseded") {
            try {
                z.deployments.getProvisioning(dep.id)
                null
            } catch (e: ZabyConflictException) {
                if (e.code == "DEPLOYMENT_NOT_ACTIVE") true else throw e
            }
        }
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") { z.agents.deploy(agent.id, mapOf("agentVersionId" to "nope")) }
    }

    @Test
    @Order(4)
    fun `E14, E15 playground runtime tokens for the active deployment`() = live {
        val d = deployedAgent(z, "play")
        val fromGet = z.agents.playgroundRuntimeTokens(d.agent.id)
        assertEquals(d.deployment.id, fromGet.str("deploymentId"))
        assertTrue(fromGet.isNull("externalAppId"))
        val minted = z.agents.playgroundRuntimeTokens(
            d.agent.id,
            mapOf("deploymentId" to d.deployment.id, "externalUserId" to "dev-1", "maxUses" to 3),
        )
        assertEquals(3, minted.int("remainingUses"))
        assertTrue(minted.str("token") != fromGet.str("token"))
        // The minted token works on the runtime routes.
        val run = Live.runtime(minted.str("token")).runs.start(mapOf("input" to "hello playground"))
        assertEquals("COMPLETED", run.str("status"))
        assertEquals("You said: hello playground", run.str("finalOutput"))
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") {
            z.agents.playgroundRuntimeTokens(d.agent.id, mapOf("deploymentId" to d.deployment.id))
        }
    }

    @Test
    @Order(5)
    fun `E12, E13, E16, E17, E18 runs through the provisioning routes`() = live {
        val d = deployedAgent(z, "prov-runs")

        val test1 = z.agents.testRun(d.agent.id, mapOf("input" to "draft question"))
        assertEquals("COMPLETED", test1.str("status"))
        assertTrue(test1.isNull("deploymentId"), "test runs use the draft")
        assertEquals("You said: draft question", test1.str("finalOutput"))
        assertEquals("true", z.agents.getRunProgress(test1.str("runId"))["isTestRun"].toString())

        val started = z.agents.startRun(d.agent.id, mapOf("input" to "hello there world", "respondAsync" to true))
        assertEquals(d.deployment.id, started.str("deploymentId"))
        val runId = started.str("runId")
        val done = waitRun(z, runId, "COMPLETED")
        assertEquals("You said: hello there world", done.str("finalOutput"))
        val page = z.agents.listRunEvents(runId, mapOf("limit" to 100))
        val names = page.items.map { it.str("event") }
        assertEquals("RunStarted", names.first())
        assertEquals("RunFinished", names.last())
        val text = page.items.filter { it.str("event") == "text" }.joinToString("") { it.obj("data").str("content") }
        assertEquals("You said: hello there world", text)
        assertEquals(page.items.size, page.total?.toInt())
        val iterated = z.agents.iterRunEvents(runId, mapOf("limit" to 2)).map { it.id }.toList()
        assertEquals(page.items.map { it.id }, iterated)

        val slow = z.agents.startRun(
            d.agent.id,
            mapOf("input" to mapOf("message" to "a b c d e f g h", "simulate" to mapOf("delayMs" to 300)), "respondAsync" to true),
        )
        val cancelled = z.agents.cancelRun(slow.str("runId"), mapOf("reason" to "enough"))
        assertEquals("CANCELLED", cancelled.str("status"))
        assertEquals("CANCELLED", z.agents.getRunProgress(slow.str("runId")).str("status"))
        expectApiError<ZabyConflictException>(409, "RUN_ALREADY_FINISHED") { z.agents.cancelRun(runId) }
    }

    @Test
    @Order(6)
    fun `E6 a deployed agent needs force to be deleted`() = live {
        val d = deployedAgent(z, "doomed")
        expectApiError<ZabyConflictException>(409, "AGENT_HAS_ACTIVE_DEPLOYMENTS") { z.agents.delete(d.agent.id) }
        assertEquals(DeletedResponse(id = d.agent.id, deleted = true), z.agents.delete(d.agent.id, mapOf("force" to true)))
        expectApiError<ZabyConflictException>(409, "DEPLOYMENT_NOT_ACTIVE") { z.deployments.getProvisioning(d.deployment.id) }
    }
}
