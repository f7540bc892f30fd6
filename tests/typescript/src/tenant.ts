/**
 * Tenant routes (E98–E118) with a tenant access token minted by `zaby-server tokens
 * issue-tenant` for the server's default tenant.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZabyAuthError, ZabyConflictError, ZabyNotFoundError } from "@zaby/sdk";
import type { Provisioning } from "@zaby/sdk/types";
import { ctx } from "./support/context.js";
import { builtinTool, eventually, expectApiError, uniq } from "./support/helpers.js";

describe("tenant routes", () => {
  test("an API key alone is not a tenant credential", async () => {
    await expectApiError(ctx().zaby.tenantAgents.list(), ZabyAuthError, 401, "UNAUTHORIZED");
  });

  test("E98–E105, E113–E116 agents managed with a tenant token", async () => {
    const t = ctx().tenant;
    const z = ctx().zaby;
    const slug = uniq("tenant");
    const agent = await t.tenantAgents.create({ slug, name: "Tenant agent" });
    assert.equal(agent.status, "DRAFT");
    assert.equal((await z.agents.get(agent.id)).slug, slug, "the provisioning routes see the same agent");
    const listed = await t.tenantAgents.list({ q: slug });
    assert.deepEqual(listed.items.map((a) => a.id), [agent.id]);
    const iterated: string[] = [];
    for await (const a of t.tenantAgents.iter({ q: slug })) iterated.push(a.id);
    assert.deepEqual(iterated, [agent.id]);
    const updated = await t.tenantAgents.update(agent.id, { instructions: "Be brief." });
    assert.equal(updated.instructions, "Be brief.");
    assert.equal((await t.tenantAgents.get(agent.id)).instructions, "Be brief.");

    await expectApiError(t.tenantAgents.redeploy(agent.id), ZabyConflictError, 409, "NO_PUBLISHED_VERSION");
    const skill = await t.tenantAgents.attachSkill(agent.id, { skillId: "summarize" });
    assert.equal(skill.key, "summarize");
    const sum = await builtinTool(z, "sum");
    const tool = await t.tenantAgents.attachMcpTool(agent.id, { toolId: sum.toolId, key: "tenant-sum", approvalMode: "AUTO" });
    assert.equal(tool.key, "tenant-sum");
    const kb = await z.knowledgeBases.create({ name: uniq("Tenant kb") });
    const att = await t.tenantAgents.attachKnowledgeBase(agent.id, { knowledgeBaseId: kb.id, key: "tenant-kb" });
    assert.equal(att.key, "tenant-kb");
    const got = await t.tenantAgents.get(agent.id);
    assert.deepEqual(got.skills?.map((s) => s.key), ["summarize"]);
    assert.deepEqual(got.mcpTools?.map((m) => m.key), ["tenant-sum"]);
    assert.deepEqual(got.knowledgeBases?.map((k) => k.key), ["tenant-kb"]);

    const v1 = await t.tenantAgents.publish(agent.id);
    assert.equal(v1.version, 1);
    const dep = await t.tenantAgents.deploy(agent.id, { agentVersionId: v1.id, environment: "STAGING" });
    assert.equal(dep.status, "PENDING");
    const prov = await eventually<Provisioning>("the tenant deployment to become ACTIVE", async () => {
      try {
        return await t.tenantAgents.getDeploymentProvisioning(dep.id);
      } catch (err) {
        if (err instanceof ZabyNotFoundError) return undefined;
        throw err;
      }
    });
    assert.equal(prov.status, "ACTIVE");
    assert.equal(prov.deploymentId, dep.id);
    const again = await t.tenantAgents.redeploy(agent.id);
    assert.equal(again.agentVersionId, v1.id, "the latest published version");
    assert.equal(again.environment, "STAGING", "the newest deployment's environment");
    assert.equal(again.status, "PENDING");

    await expectApiError(t.tenantAgents.delete(agent.id), ZabyConflictError, 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS");
    const gone = await t.tenantAgents.delete(agent.id, { force: true });
    assert.deepEqual(gone, { id: agent.id, deleted: true });
    await expectApiError(t.tenantAgents.get(agent.id), ZabyNotFoundError, 404, "NOT_FOUND");
  });

  test("E106–E112 runs and approvals; E117 apps; E118 playground tokens", async () => {
    const t = ctx().tenant;
    const z = ctx().zaby;
    const echo = await builtinTool(z, "echo");
    const agent = await t.tenantAgents.create({ slug: uniq("tenant-runs"), name: "Tenant runs" });
    await t.tenantAgents.attachMcpTool(agent.id, {
      tenantInstallationId: echo.installationId,
      toolDefinitionId: echo.toolId,
      approvalMode: "MANUAL",
    });
    const version = await t.tenantAgents.publish(agent.id);
    const dep = await t.tenantAgents.deploy(agent.id, { agentVersionId: version.id, environment: "PRODUCTION" });
    await eventually("the tenant deployment to become ACTIVE", async () => {
      try {
        return await t.tenantAgents.getDeploymentProvisioning(dep.id);
      } catch (err) {
        if (err instanceof ZabyNotFoundError) return undefined;
        throw err;
      }
    });

    const draft = await t.tenantAgents.testRun(agent.id, { input: "try the draft" });
    assert.equal(draft.finalOutput, "You said: try the draft");
    assert.equal(draft.deploymentId, null);
    const run = await t.tenantAgents.startRun(agent.id, { input: "hello tenant" });
    assert.equal(run.status, "COMPLETED");
    assert.equal(run.deploymentId, dep.id);
    const progress = await t.tenantAgents.getRunProgress(run.runId);
    assert.equal(progress.finalOutput, "You said: hello tenant");
    const events = await t.tenantAgents.listRunEvents(run.runId);
    assert.equal(events.items[events.items.length - 1].event, "RunFinished");
    const ids: (string | undefined)[] = [];
    for await (const ev of t.tenantAgents.iterRunEvents(run.runId, { limit: 2 })) ids.push(ev.id);
    assert.deepEqual(ids, events.items.map((e) => e.id));

    const waitingA = await t.tenantAgents.startRun(agent.id, { input: '/tool echo {"n": 1}' });
    const waitingB = await t.tenantAgents.startRun(agent.id, { input: '/tool echo {"n": 2}' });
    assert.equal(waitingA.status, "WAITING_FOR_APPROVAL");
    assert.equal(waitingB.status, "WAITING_FOR_APPROVAL");
    const approvalA = (await t.tenantAgents.getRunProgress(waitingA.runId)).pendingApproval!;
    const approvalB = (await t.tenantAgents.getRunProgress(waitingB.runId)).pendingApproval!;
    const approved = await t.tenantAgents.approveRunApproval(waitingA.runId, approvalA.id, { decidedBy: "alice" });
    assert.equal(approved.status, "APPROVED");
    assert.equal(approved.decidedBy, "alice");
    const rejected = await t.tenantAgents.rejectRunApproval(waitingB.runId, approvalB.id, { reason: "no" });
    assert.equal(rejected.status, "REJECTED");
    const doneA = await eventually("run A to complete", async () => {
      const r = await t.tenantAgents.getRunProgress(waitingA.runId);
      return r.status === "COMPLETED" ? r : undefined;
    });
    assert.equal(doneA.finalOutput, 'Tool echo returned: {"n":1}');

    const runs = await t.tenantAgents.listRuns(agent.id, { limit: 100 });
    assert.deepEqual(
      [...runs.items.map((r) => r.runId)].sort(),
      [draft.runId, run.runId, waitingA.runId, waitingB.runId].sort(),
    );
    const completed: string[] = [];
    for await (const r of t.tenantAgents.iterRuns(agent.id, { status: "COMPLETED", limit: 1 })) completed.push(r.runId);
    assert.ok(completed.includes(run.runId) && completed.includes(waitingA.runId));

    const appSlug = uniq("tenant-app");
    const app = await z.externalApps.create({ name: appSlug, slug: appSlug });
    const apps = await t.tenantAgents.listExternalApps({ limit: 100 });
    assert.ok(apps.items.some((a) => a.id === app.id));
    const appIds: string[] = [];
    for await (const a of t.tenantAgents.iterExternalApps({ limit: 1 })) appIds.push(a.id);
    assert.equal(appIds.length, apps.total);

    const minted = await t.tenantAgents.mintPlaygroundRuntimeToken(agent.id, { deploymentId: dep.id, externalUserId: "tenant-dev" });
    assert.equal(minted.deploymentId, dep.id);
    const played = await ctx().runtime(minted.token).runs.start({ input: "from the playground" });
    assert.equal(played.finalOutput, "You said: from the playground");
  });
});
