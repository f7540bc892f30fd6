package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.get
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.bool
import ai.zaby.e2e.support.builtinTool
import ai.zaby.e2e.support.deployedAgent
import ai.zaby.e2e.support.errorFields
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
import ai.zaby.e2e.support.strOrNull
import ai.zaby.e2e.support.uniq
import ai.zaby.sdk.types.DeletedResponse
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyNotFoundException
import ai.zaby.sdk.ZabyPermissionException
import ai.zaby.sdk.ZabyValidationException
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/**
 * MCP (E9, E68–E84): the tenant's built-in server (hosted by zaby-server at
 * `/mcp/builtin`), a second installation of it for policy changes, and an external
 * Streamable-HTTP definition pointing at the live server's own MCP URL.
 */
@Order(4)
@ExtendWith(LiveSuite::class)
class McpTest {
    private val z get() = Live.zaby
    private val builtinTools = listOf("echo", "sum", "current_time", "kb_search")

    @Test
    @Order(1)
    fun `E68 catalog, E70 the built-in server, E72 discovery, E74 and E77 installations and tools`() = live {
        val found = z.mcp.listCatalog(mapOf("q" to "sum"))
        assertTrue(found.items.any { it.str("serverSlug") == "zaby-builtin" && it.str("toolName") == "sum" }, "the catalog lists sum")
        val catalog = z.mcp.iterCatalog(mapOf("limit" to 2)).filter { it.str("serverSlug") == "zaby-builtin" }.map { it.str("toolName") }.toList()
        assertEquals(builtinTools.sorted(), catalog.sorted())

        val builtin = z.mcp.listInstallations().items.first { it.str("name") == "zaby-builtin" }
        assertEquals("ACTIVE", builtin.str("status"))
        assertEquals(4, builtin.int("toolCount"))
        assertTrue(builtin.id in z.mcp.iterInstallations(mapOf("limit" to 1)).map { it.id }.toList())

        val server = z.mcp.getServer(builtin.str("serverDefinitionId"))
        assertEquals("zaby-builtin", server.str("slug"))
        assertEquals("INTERNAL", server.str("type"))
        assertEquals("${Live.server.origin}/mcp/builtin", server.str("endpointUrl"))
        expectApiError<ZabyConflictException>(409, "CONFLICT") { z.mcp.updateServer(server.id, mapOf("name" to "mine")) }

        // Discovery goes over HTTP to /mcp/builtin and finds the same four tools.
        val discovered = z.mcp.discoverTools(server.id)
        assertEquals(0, discovered.int("added"))
        assertEquals(0, discovered.int("removed"))
        assertEquals(builtinTools, discovered.items.map { it.str("name") })
        val tools = z.mcp.listInstallationTools(builtin.id)
        assertEquals(builtinTools, tools.items.map { it.str("name") })
        val toolIds = z.mcp.iterInstallationTools(builtin.id, mapOf("limit" to 3)).map { it.id }.toList()
        assertEquals(tools.items.map { it.id }, toolIds)
    }

    @Test
    @Order(2)
    fun `E73 a second installation, E78 tool policies, E79 preflight, E80 invoke, E76 revoke`() = live {
        val builtin = z.mcp.listInstallations().items.first { it.str("name") == "zaby-builtin" }
        val name = uniq("builtin-copy")
        val copy = z.mcp.installServer(mapOf("serverDefinitionId" to builtin.str("serverDefinitionId"), "name" to name))
        assertEquals(name, copy.str("name"))
        assertEquals("ACTIVE", copy.str("status"))
        assertEquals(4, copy.int("toolCount"))

        val bad = z.mcp.preflightInvocation(copy.id, "sum", mapOf("arguments" to mapOf("numbers" to listOf("x"))))
        assertFalse(bad.bool("allowed"))
        assertEquals(json(listOf("INVALID_ARGUMENTS")), bad["reasons"])
        val ok = z.mcp.preflightInvocation(copy.id, "sum", mapOf("arguments" to mapOf("numbers" to listOf(1, 2))))
        assertTrue(ok.bool("allowed"))
        assertEquals(json(emptyList<String>()), ok["reasons"])
        val summed = z.mcp.invokeTool(copy.id, "sum", mapOf("arguments" to mapOf("numbers" to listOf(1, 2, 3.5))))
        assertFalse(summed.bool("isError"))
        assertEquals(json(mapOf("sum" to 6.5)), summed["result"])
        val invalid = expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") {
            z.mcp.invokeTool(copy.id, "sum", mapOf("arguments" to mapOf("numbers" to listOf("x"))))
        }
        assertEquals(listOf("/numbers/0"), errorFields(invalid))

        val echo = z.mcp.listInstallationTools(copy.id).items.first { it.str("name") == "echo" }
        val disabled = z.mcp.updateToolPolicy(copy.id, echo.id, mapOf("enabled" to false, "riskOverride" to "HIGH"))
        assertFalse(disabled.obj("policy").bool("enabled"))
        assertEquals("HIGH", disabled.str("effectiveRiskLevel"))
        expectApiError<ZabyPermissionException>(403, "TOOL_DISABLED") { z.mcp.invokeTool(copy.id, "echo", mapOf("arguments" to mapOf("a" to 1))) }
        val refused = z.mcp.preflightInvocation(copy.id, "echo", mapOf("arguments" to mapOf("a" to 1)))
        assertEquals(json(listOf("TOOL_DISABLED")), refused["reasons"])
        // The original installation is not affected.
        assertEquals(json(mapOf("a" to 1)), z.mcp.invokeTool(builtin.id, "echo", mapOf("arguments" to mapOf("a" to 1)))["result"])

        val revoked = z.mcp.revokeInstallation(copy.id)
        assertEquals("REVOKED", revoked.str("status"))
        assertNotNull(revoked.strOrNull("revokedAt"))
        expectApiError<ZabyConflictException>(409, "INSTALLATION_REVOKED") {
            z.mcp.invokeTool(copy.id, "sum", mapOf("arguments" to mapOf("numbers" to listOf(1))))
        }
        assertEquals(revoked.str("revokedAt"), z.mcp.revokeInstallation(copy.id).str("revokedAt"), "revocation is idempotent")
    }

    @Test
    @Order(3)
    fun `E69, E71 an external server definition and E75, E81–E84 its installation`() = live {
        val slug = uniq("ext-mcp")
        val endpointUrl = "${Live.server.origin}/mcp/builtin"
        val server = z.mcp.createServer(mapOf("name" to "External MCP", "slug" to slug, "endpointUrl" to endpointUrl, "authMode" to "API_KEY"))
        assertEquals(slug, server.str("slug"))
        assertEquals("EXTERNAL", server.str("type"))
        assertEquals("STREAMABLE_HTTP", server.str("transport"))
        assertEquals("API_KEY", server.str("authMode"))
        assertEquals(endpointUrl, server.str("endpointUrl"))
        assertEquals(0, server.int("toolCount"))
        expectApiError<ZabyConflictException>(409, "SLUG_ALREADY_EXISTS") {
            z.mcp.createServer(mapOf("name" to "again", "slug" to slug, "endpointUrl" to endpointUrl))
        }
        val description = "the live server's own MCP endpoint"
        assertEquals(description, z.mcp.updateServer(server.id, mapOf("description" to description)).str("description"))
        assertEquals(description, z.mcp.getServer(server.id).str("description"))

        // An API_KEY server without credentials is installed without discovery.
        val inst = z.mcp.installServer(mapOf("serverDefinitionId" to server.id, "name" to "$slug install"))
        assertEquals(0, inst.int("toolCount"))
        val limited = z.mcp.updateInstallation(inst.id, mapOf("rateLimitPerMinute" to 10, "requireToolApproval" to true))
        assertEquals(10, limited.int("rateLimitPerMinute"))
        assertTrue(limited.bool("requireToolApproval"))

        val secret = "sk-e2e-kt-secret-7d2e5b"
        val binding = z.mcp.createCredentialBinding(
            inst.id,
            mapOf("credentials" to mapOf("apiKey" to secret, "headerName" to "x-api-key"), "metadata" to mapOf("owner" to "e2e")),
        )
        assertEquals(inst.id, binding.str("installationId"))
        assertEquals("ACTIVE", binding.str("status"))
        assertNotNull(binding.strOrNull("credentialId"))
        assertFalse(secret in binding.toString(), "the secret is never returned")
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") {
            z.mcp.createCredentialBinding(inst.id, mapOf("credentials" to mapOf("token" to "x")))
        }

        val p1 = z.mcp.upsertAuthPolicy(inst.id, mapOf("type" to "api_key", "config" to mapOf("header" to "x-api-key")))
        val p2 = z.mcp.upsertAuthPolicy(inst.id, mapOf("type" to "oauth2", "config" to mapOf("clientId" to "c")))
        assertEquals(p1.id, p2.id, "one auth policy per installation")
        assertEquals("oauth2", p2.str("type"))

        val agent = z.agents.create(mapOf("slug" to uniq("granted"), "name" to "granted"))
        val grant = z.mcp.grantAccess(inst.id, mapOf("agentId" to agent.id))
        assertEquals(json(listOf("invoke")), grant["permissions"])
        assertTrue(grant.isNull("expiresAt"))
        val widened = z.mcp.grantAccess(
            inst.id,
            mapOf("agentId" to agent.id, "permissions" to listOf("invoke", "discover"), "expiresAt" to "2099-01-01T00:00:00Z"),
        )
        assertEquals(grant.id, widened.id)
        assertEquals("2099-01-01T00:00:00.000Z", widened.str("expiresAt"))

        assertEquals(DeletedResponse(id = binding.id, deleted = true), z.mcp.deleteCredentialBinding(binding.id))
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { z.mcp.deleteCredentialBinding(binding.id) }

        z.mcp.revokeInstallation(inst.id)
        expectApiError<ZabyConflictException>(409, "INSTALLATION_REVOKED") { z.mcp.updateInstallation(inst.id, mapOf("name" to "x")) }
    }

    @Test
    @Order(4)
    fun `E9 an attached MCP tool - preflighted in test runs, called in runs`() = live {
        val sum = builtinTool(z, "sum")
        val d = deployedAgent(z, "adder") { agent ->
            val attached = z.agents.attachMcpTool(agent.id, mapOf("toolId" to sum.toolId, "key" to "add", "approvalMode" to "AUTO"))
            assertEquals("add", attached.str("key"))
            assertEquals(sum.installationId, attached.str("tenantInstallationId"))
            assertEquals(sum.toolId, attached.str("toolDefinitionId"))
        }
        assertEquals(listOf("add"), z.agents.get(d.agent.id).list("mcpTools").map { it.jsonObject.str("key") })
        val message = "/tool add {\"numbers\": [20, 22]}"
        // A test run only preflights the call (`docs/streaming.md`) and reports the verdict.
        val draft = z.agents.testRun(d.agent.id, mapOf("input" to message))
        assertEquals("COMPLETED", draft.str("status"))
        val verdict = Json.parseToJsonElement(draft.str("finalOutput").removePrefix("Tool add returned: ")).jsonObject
        assertTrue(verdict.bool("allowed"))
        assertEquals("sum", verdict.str("toolName"))
        val run = z.agents.startRun(d.agent.id, mapOf("input" to message))
        assertEquals("COMPLETED", run.str("status"))
        assertEquals("Tool add returned: {\"sum\":42}", run.str("finalOutput"))
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") { z.agents.attachMcpTool(d.agent.id, mapOf("toolId" to "no-such-tool")) }
    }
}
