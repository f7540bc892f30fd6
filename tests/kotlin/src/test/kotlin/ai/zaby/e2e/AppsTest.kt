package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.get
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.bool
import ai.zaby.e2e.support.deployedAgent
import ai.zaby.e2e.support.expectApiError
import ai.zaby.e2e.support.id
import ai.zaby.e2e.support.int
import ai.zaby.e2e.support.items
import ai.zaby.e2e.support.json
import ai.zaby.e2e.support.live
import ai.zaby.e2e.support.obj
import ai.zaby.e2e.support.str
import ai.zaby.e2e.support.total
import ai.zaby.e2e.support.uniq
import ai.zaby.sdk.ZabyAuthException
import ai.zaby.sdk.ZabyNotFoundException
import ai.zaby.sdk.ZabyPermissionException
import ai.zaby.sdk.ZabyRuntimeTokenExhaustedException
import ai.zaby.sdk.ZabyValidationException
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/** External apps, runtime tokens, families, grants, policies and token usage (E20–E27, E29–E36). */
@Order(2)
@ExtendWith(LiveSuite::class)
class AppsTest {
    private val z get() = Live.zaby

    /** A runtime call that uses one token use and finds no run. */
    private suspend fun probe(token: String) = Live.runtime(token).runs.events("00000000-0000-4000-8000-000000000000")

    @Test
    @Order(1)
    fun `E20–E24 external apps - create, list, get, update, bind a deployment`() = live {
        val d = deployedAgent(z, "apps")
        val slug = uniq("web")
        val app = z.externalApps.create(mapOf("name" to "Web shop", "slug" to slug, "allowedOrigins" to listOf("https://shop.example.com")))
        assertEquals("ACTIVE", app.str("status"))
        assertEquals(slug, app.str("slug"))
        val listed = z.externalApps.list(mapOf("limit" to 100))
        assertTrue(listed.items.any { it.id == app.id })
        val iterated = z.externalApps.iter(mapOf("limit" to 2)).map { it.id }.toList()
        assertTrue(app.id in iterated)
        assertEquals(listed.total?.toInt(), iterated.size)

        val binding = z.externalApps.bindDeployment(app.id, mapOf("deploymentId" to d.deployment.id, "allowBrowserRuntime" to true))
        assertTrue(binding.bool("allowServerRuntime"))
        assertTrue(binding.bool("allowBrowserRuntime"))
        val got = z.externalApps.get(app.id)
        assertEquals(json(listOf(d.deployment.id)), got["deploymentIds"])
        assertEquals(d.deployment.id, got.str("activeDeploymentId"))

        val renamed = z.externalApps.update(app.id, mapOf("name" to "Web shop 2", "status" to "INACTIVE"))
        assertEquals("Web shop 2", renamed.str("name"))
        assertEquals("INACTIVE", renamed.str("status"))
        assertEquals("INACTIVE", z.externalApps.get(app.id).str("status"))
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { z.externalApps.get("missing-app") }
    }

    @Test
    @Order(2)
    fun `E31–E34 policies, E25 mint, E36 usage, E29 families, E35 grants`() = live {
        val d = deployedAgent(z, "tokens")
        val slug = uniq("srv")
        val app = z.externalApps.create(mapOf("name" to slug, "slug" to slug))
        z.externalApps.bindDeployment(app.id, mapOf("deploymentId" to d.deployment.id))

        val policy = z.runtimeTokenPolicies.create(
            mapOf("name" to "standard", "externalAppId" to app.id, "deploymentId" to d.deployment.id, "maxUsesPerToken" to 5),
        )
        assertEquals("ACTIVE", policy.str("status"))
        val off = z.runtimeTokenPolicies.create(
            mapOf("name" to "off", "externalAppId" to app.id, "deploymentId" to d.deployment.id, "status" to "INACTIVE"),
        )
        assertEquals(5, z.runtimeTokenPolicies.get(policy.id).int("maxUsesPerToken"))
        val updated = z.runtimeTokenPolicies.update(policy.id, mapOf("maxConcurrentRuns" to 2, "metadata" to mapOf("tier" to "gold")))
        assertEquals(2, updated.int("maxConcurrentRuns"))
        assertEquals("standard", updated.str("name"))
        val active = z.runtimeTokenPolicies.list(mapOf("activeOnly" to true, "limit" to 100))
        assertTrue(active.items.any { it.id == policy.id })
        assertFalse(active.items.any { it.id == off.id }, "activeOnly leaves INACTIVE policies out")
        val all = z.runtimeTokenPolicies.iter(mapOf("limit" to 1)).map { it.id }.toList()
        assertTrue(off.id in all && policy.id in all)

        val base = mapOf("externalAppId" to app.id, "deploymentId" to d.deployment.id, "quotaPolicyId" to policy.id)
        val t1 = z.runtimeTokens.create(base + ("externalUserId" to "alice"))
        assertEquals("Bearer", t1.str("tokenType"))
        assertEquals(5, t1.int("remainingUses"), "uses follow the policy")
        assertEquals(policy.id, t1.str("quotaPolicyId"))
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") {
            z.runtimeTokens.create(base + mapOf("externalUserId" to "alice", "maxUses" to 6))
        }
        expectApiError<ZabyPermissionException>(403, "RUNTIME_CHANNEL_NOT_ALLOWED") {
            z.runtimeTokens.create(base + mapOf("externalUserId" to "alice", "channel" to "web"))
        }
        expectApiError<ZabyValidationException>(422, "QUOTA_POLICY_MISMATCH") {
            z.runtimeTokens.create(base + mapOf("quotaPolicyId" to off.id, "externalUserId" to "alice"))
        }
        // The token authenticates (404: no such run) and a use is counted.
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { probe(t1.str("token")) }
        val totals = z.runtimeTokenUsage.get(mapOf("externalAppId" to app.id)).obj("totals")
        assertEquals(1, totals.int("tokensIssued"))
        assertEquals(1, totals.int("runtimeRequests"))

        z.runtimeTokens.create(base + ("externalUserId" to "alice"))
        z.runtimeTokens.create(base + ("externalUserId" to "bob"))
        val fams = z.runtimeTokenFamilies.list(mapOf("externalUserId" to "alice", "externalAppId" to app.id))
        assertEquals(1, fams.total?.toInt())
        assertEquals(t1.str("tokenFamilyId"), fams.items[0].id)
        assertEquals(2, fams.items[0].int("grantCount"))
        val famIds = z.runtimeTokenFamilies.iter(mapOf("externalAppId" to app.id, "limit" to 1)).map { it.id }.toList()
        assertEquals(2, famIds.size, "one family per end user")

        val grant = z.runtimeTokenGrants.revoke(t1.str("grantId"), mapOf("reason" to "lost device"))
        assertEquals("REVOKED", grant.str("status"))
        expectApiError<ZabyAuthException>(401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED") { probe(t1.str("token")) }
        val again = z.runtimeTokenGrants.revoke(t1.str("grantId"))
        assertEquals(grant.str("revokedAt"), again.str("revokedAt"), "revoking twice keeps the first time")
    }

    @Test
    @Order(3)
    fun `E26, E27 rotation and E30 family revocation`() = live {
        val d = deployedAgent(z, "rotate")
        val slug = uniq("rot")
        val app = z.externalApps.create(mapOf("name" to slug, "slug" to slug))
        z.externalApps.bindDeployment(app.id, mapOf("deploymentId" to d.deployment.id))
        val policy = z.runtimeTokenPolicies.create(mapOf("name" to "p", "externalAppId" to app.id, "deploymentId" to d.deployment.id))
        val first = z.runtimeTokens.create(
            mapOf(
                "externalAppId" to app.id,
                "deploymentId" to d.deployment.id,
                "quotaPolicyId" to policy.id,
                "uniqueId" to "cust-7",
                "maxUses" to 2,
            ),
        )
        val second = z.runtimeTokens.rotate(mapOf("previousToken" to first.str("token")))
        assertEquals(first.str("tokenFamilyId"), second.str("tokenFamilyId"))
        assertEquals(first.str("agentSessionId"), second.str("agentSessionId"))
        assertNotEquals(first.str("grantId"), second.str("grantId"))
        assertEquals(2, second.int("remainingUses"))
        expectApiError<ZabyAuthException>(401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED") { probe(first.str("token")) }
        // Two uses, then the grant is exhausted.
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { probe(second.str("token")) }
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { probe(second.str("token")) }
        expectApiError<ZabyRuntimeTokenExhaustedException>(403, "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED") {
            probe(second.str("token"))
        }

        val third = z.runtimeTokens.rotateByUniqueId(
            mapOf("externalAppId" to app.id, "deploymentId" to d.deployment.id, "uniqueId" to "cust-7"),
        )
        assertEquals(first.str("tokenFamilyId"), third.str("tokenFamilyId"))
        assertEquals(policy.id, third.str("quotaPolicyId"))
        expectApiError<ZabyAuthException>(401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED") { probe(second.str("token")) }
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { probe(third.str("token")) }

        val revoked = z.runtimeTokenFamilies.revoke(first.str("tokenFamilyId"), mapOf("reason" to "logout"))
        assertEquals("REVOKED", revoked.str("status"))
        assertEquals(1, revoked.int("revokedGrantCount"))
        val viaTokens = z.runtimeTokens.revokeFamily(first.str("tokenFamilyId"), mapOf("reason" to "again"))
        assertEquals(revoked.str("revokedAt"), viaTokens.str("revokedAt"))
        assertEquals("logout", viaTokens.str("reason"))
        assertEquals(1, z.runtimeTokenFamilies.list(mapOf("externalAppId" to app.id, "status" to "REVOKED")).total?.toInt())
    }
}
