/**
 * MCP (E9, E68–E84): the tenant's built-in server (hosted by zaby-server at
 * `/mcp/builtin`), a second installation of it for policy changes, and an external
 * Streamable-HTTP definition pointing at the live server's own MCP URL.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZabyConflictError, ZabyNotFoundError, ZabyPermissionError, ZabyValidationError } from "@zaby/sdk";
import { ctx } from "./support/context.js";
import { builtinTool, deployedAgent, errorFields, expectApiError, uniq } from "./support/helpers.js";

describe("MCP", () => {
  test("E68 catalog, E70 the built-in server, E72 discovery, E74/E77 installations and tools", async () => {
    const z = ctx().zaby;
    const found = await z.mcp.listCatalog({ q: "sum" });
    const sum = found.items.find((t) => t.serverSlug === "zaby-builtin" && t.toolName === "sum");
    assert.ok(sum, "the catalog lists the built-in sum tool");
    const catalog: string[] = [];
    for await (const entry of z.mcp.iterCatalog({ limit: 2 })) if (entry.serverSlug === "zaby-builtin") catalog.push(entry.toolName);
    assert.deepEqual([...catalog].sort(), ["current_time", "echo", "kb_search", "sum"]);

    const installs = await z.mcp.listInstallations();
    const builtin = installs.items.find((i) => i.name === "zaby-builtin")!;
    assert.equal(builtin.status, "ACTIVE");
    assert.equal(builtin.toolCount, 4);
    const iterated: string[] = [];
    for await (const i of z.mcp.iterInstallations({ limit: 1 })) iterated.push(i.id);
    assert.ok(iterated.includes(builtin.id));

    const server = await z.mcp.getServer(builtin.serverDefinitionId);
    assert.equal(server.slug, "zaby-builtin");
    assert.equal(server.type, "INTERNAL");
    assert.equal(server.endpointUrl, `${ctx().server.origin}/mcp/builtin`);
    await expectApiError(z.mcp.updateServer(server.id, { name: "mine" }), ZabyConflictError, 409, "CONFLICT");

    // Discovery goes over HTTP to /mcp/builtin and finds the same four tools.
    const discovered = await z.mcp.discoverTools(server.id);
    assert.equal(discovered.added, 0);
    assert.equal(discovered.removed, 0);
    assert.deepEqual(discovered.items.map((t) => t.name), ["echo", "sum", "current_time", "kb_search"]);
    const tools = await z.mcp.listInstallationTools(builtin.id);
    assert.deepEqual(tools.items.map((t) => t.name), ["echo", "sum", "current_time", "kb_search"]);
    const toolIds: string[] = [];
    for await (const t of z.mcp.iterInstallationTools(builtin.id, { limit: 3 })) toolIds.push(t.id);
    assert.deepEqual(toolIds, tools.items.map((t) => t.id));
  });

  test("E73 a second installation, E78 tool policies, E79 preflight, E80 invoke, E76 revoke", async () => {
    const z = ctx().zaby;
    const builtin = (await z.mcp.listInstallations()).items.find((i) => i.name === "zaby-builtin")!;
    const name = uniq("builtin-copy");
    const copy = await z.mcp.installServer({ serverDefinitionId: builtin.serverDefinitionId, name });
    assert.equal(copy.name, name);
    assert.equal(copy.status, "ACTIVE");
    assert.equal(copy.toolCount, 4);

    const bad = await z.mcp.preflightInvocation(copy.id, "sum", { arguments: { numbers: ["x"] } });
    assert.equal(bad.allowed, false);
    assert.deepEqual(bad.reasons, ["INVALID_ARGUMENTS"]);
    const ok = await z.mcp.preflightInvocation(copy.id, "sum", { arguments: { numbers: [1, 2] } });
    assert.equal(ok.allowed, true);
    assert.deepEqual(ok.reasons, []);
    const summed = await z.mcp.invokeTool(copy.id, "sum", { arguments: { numbers: [1, 2, 3.5] } });
    assert.equal(summed.isError, false);
    assert.deepEqual(summed.result, { sum: 6.5 });
    const invalid = await expectApiError(
      z.mcp.invokeTool(copy.id, "sum", { arguments: { numbers: ["x"] } }),
      ZabyValidationError,
      422,
      "VALIDATION_ERROR",
    );
    assert.deepEqual(errorFields(invalid), ["/numbers/0"]);

    const echo = (await z.mcp.listInstallationTools(copy.id)).items.find((t) => t.name === "echo")!;
    const disabled = await z.mcp.updateToolPolicy(copy.id, echo.id, { enabled: false, riskOverride: "HIGH" });
    assert.equal(disabled.policy.enabled, false);
    assert.equal(disabled.effectiveRiskLevel, "HIGH");
    await expectApiError(z.mcp.invokeTool(copy.id, "echo", { arguments: { a: 1 } }), ZabyPermissionError, 403, "TOOL_DISABLED");
    const refused = await z.mcp.preflightInvocation(copy.id, "echo", { arguments: { a: 1 } });
    assert.deepEqual(refused.reasons, ["TOOL_DISABLED"]);
    // The original installation is not affected.
    const echoed = await z.mcp.invokeTool(builtin.id, "echo", { arguments: { a: 1 } });
    assert.deepEqual(echoed.result, { a: 1 });

    const revoked = await z.mcp.revokeInstallation(copy.id);
    assert.equal(revoked.status, "REVOKED");
    assert.ok(revoked.revokedAt);
    await expectApiError(z.mcp.invokeTool(copy.id, "sum", { arguments: { numbers: [1] } }), ZabyConflictError, 409, "INSTALLATION_REVOKED");
    const again = await z.mcp.revokeInstallation(copy.id);
    assert.equal(again.revokedAt, revoked.revokedAt, "revocation is idempotent");
  });

  test("E69, E71 an external server definition; E75, E81–E84 its installation", async () => {
    const z = ctx().zaby;
    const slug = uniq("ext-mcp");
    const endpointUrl = `${ctx().server.origin}/mcp/builtin`;
    const server = await z.mcp.createServer({ name: "External MCP", slug, endpointUrl, authMode: "API_KEY" });
    assert.equal(server.slug, slug);
    assert.equal(server.type, "EXTERNAL");
    assert.equal(server.transport, "STREAMABLE_HTTP");
    assert.equal(server.authMode, "API_KEY");
    assert.equal(server.endpointUrl, endpointUrl);
    assert.equal(server.toolCount, 0);
    await expectApiError(
      z.mcp.createServer({ name: "again", slug, endpointUrl }),
      ZabyConflictError,
      409,
      "SLUG_ALREADY_EXISTS",
    );
    const described = await z.mcp.updateServer(server.id, { description: "the live server's own MCP endpoint" });
    assert.equal(described.description, "the live server's own MCP endpoint");
    assert.equal((await z.mcp.getServer(server.id)).description, "the live server's own MCP endpoint");

    // An API_KEY server without credentials is installed without discovery.
    const inst = await z.mcp.installServer({ serverDefinitionId: server.id, name: `${slug} install` });
    assert.equal(inst.toolCount, 0);
    const limited = await z.mcp.updateInstallation(inst.id, { rateLimitPerMinute: 10, requireToolApproval: true });
    assert.equal(limited.rateLimitPerMinute, 10);
    assert.equal(limited.requireToolApproval, true);

    const secret = "sk-e2e-ts-secret-4f1c9a";
    const binding = await z.mcp.createCredentialBinding(inst.id, {
      credentials: { apiKey: secret, headerName: "x-api-key" },
      metadata: { owner: "e2e" },
    });
    assert.equal(binding.installationId, inst.id);
    assert.equal(binding.status, "ACTIVE");
    assert.ok(binding.credentialId);
    assert.ok(!JSON.stringify(binding).includes(secret), "the secret is never returned");
    await expectApiError(
      z.mcp.createCredentialBinding(inst.id, { credentials: { token: "x" } }),
      ZabyValidationError,
      422,
      "VALIDATION_ERROR",
    );

    const p1 = await z.mcp.upsertAuthPolicy(inst.id, { type: "api_key", config: { header: "x-api-key" } });
    const p2 = await z.mcp.upsertAuthPolicy(inst.id, { type: "oauth2", config: { clientId: "c" } });
    assert.equal(p2.id, p1.id, "one auth policy per installation");
    assert.equal(p2.type, "oauth2");

    const agent = await z.agents.create({ slug: uniq("granted"), name: "granted" });
    const grant = await z.mcp.grantAccess(inst.id, { agentId: agent.id });
    assert.deepEqual(grant.permissions, ["invoke"]);
    assert.equal(grant.expiresAt, null);
    const widened = await z.mcp.grantAccess(inst.id, { agentId: agent.id, permissions: ["invoke", "discover"], expiresAt: "2099-01-01T00:00:00Z" });
    assert.equal(widened.id, grant.id);
    assert.equal(widened.expiresAt, "2099-01-01T00:00:00.000Z");

    const deleted = await z.mcp.deleteCredentialBinding(binding.id);
    assert.deepEqual(deleted, { id: binding.id, deleted: true });
    await expectApiError(z.mcp.deleteCredentialBinding(binding.id), ZabyNotFoundError, 404, "NOT_FOUND");

    await z.mcp.revokeInstallation(inst.id);
    await expectApiError(z.mcp.updateInstallation(inst.id, { name: "x" }), ZabyConflictError, 409, "INSTALLATION_REVOKED");
  });

  test("E9 an attached MCP tool: preflighted in test runs, called in runs", async () => {
    const z = ctx().zaby;
    const sum = await builtinTool(z, "sum");
    const d = await deployedAgent(z, "adder", {}, async (agent) => {
      const attached = await z.agents.attachMcpTool(agent.id, { toolId: sum.toolId, key: "add", approvalMode: "AUTO" });
      assert.equal(attached.key, "add");
      assert.equal(attached.tenantInstallationId, sum.installationId);
      assert.equal(attached.toolDefinitionId, sum.toolId);
    });
    const got = await z.agents.get(d.agent.id);
    assert.deepEqual(got.mcpTools?.map((t) => t.key), ["add"]);
    const message = '/tool add {"numbers": [20, 22]}';
    // A test run only preflights the call (`docs/streaming.md`) and reports the verdict.
    const draft = await z.agents.testRun(d.agent.id, { input: message });
    assert.equal(draft.status, "COMPLETED");
    const verdict = JSON.parse((draft.finalOutput ?? "").replace(/^Tool add returned: /, "")) as { allowed: boolean; toolName: string };
    assert.equal(verdict.allowed, true);
    assert.equal(verdict.toolName, "sum");
    const run = await z.agents.startRun(d.agent.id, { input: message });
    assert.equal(run.status, "COMPLETED");
    assert.equal(run.finalOutput, 'Tool add returned: {"sum":42}');
    await expectApiError(z.agents.attachMcpTool(d.agent.id, { toolId: "no-such-tool" }), ZabyValidationError, 422, "VALIDATION_ERROR");
  });
});
