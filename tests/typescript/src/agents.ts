/** Agents & deployments (E1–E8, E11–E19) and the system route. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZabyConflictError, ZabyNotFoundError, ZabyValidationError } from "@zaby/sdk";
import { ctx } from "./support/context.js";
import { deployedAgent, errorFields, eventually, expectApiError, uniq, waitActive, waitRun } from "./support/helpers.js";

describe("system", () => {
  test("E1 health answers ok with the server's version", async () => {
    const health = await ctx().zaby.health.check();
    assert.equal(health.status, "ok");
    const version = ctx().server.cli(["--version"]);
    assert.ok(typeof health.version === "string" && version.includes(health.version), `${version} vs ${health.version}`);
  });
});

describe("agents & deployments", () => {
  test("E2–E6 create, list, iterate, get, update and delete agents", async () => {
    const z = ctx().zaby;
    const slug = uniq("crud");
    const agent = await z.agents.create({ slug, name: "Crud agent", description: "first", tags: ["e2e"] });
    assert.equal(agent.slug, slug);
    assert.equal(agent.status, "DRAFT");
    assert.equal(agent.visibility, "PRIVATE");
    assert.deepEqual(agent.tags, ["e2e"]);

    const dup = await expectApiError(z.agents.create({ slug, name: "again" }), ZabyConflictError, 409, "SLUG_ALREADY_EXISTS");
    assert.ok(dup.requestId, "the error carries the request id");
    const bad = await expectApiError(z.agents.create({ slug: "Not A Slug", name: "x" }), ZabyValidationError, 422, "VALIDATION_ERROR");
    assert.deepEqual(errorFields(bad), ["slug"]);

    const found = await z.agents.list({ q: slug });
    assert.equal(found.total, 1);
    assert.equal(found.items[0].id, agent.id);
    const second = await z.agents.create({ slug: `${slug}-b`, name: "Crud agent b" });
    const ids: string[] = [];
    for await (const a of z.agents.iter({ q: slug, limit: 1 })) ids.push(a.id);
    assert.deepEqual(ids, [agent.id, second.id], "one item per page, in creation order");

    const got = await z.agents.get(agent.id);
    assert.equal(got.name, "Crud agent");
    assert.equal(got.description, "first");
    const updated = await z.agents.update(agent.id, { name: "Renamed", description: null });
    assert.equal(updated.name, "Renamed");
    assert.equal(updated.description, null);
    assert.deepEqual(updated.tags, ["e2e"], "fields not sent are kept");
    assert.equal((await z.agents.get(agent.id)).name, "Renamed");

    const deleted = await z.agents.delete(second.id);
    assert.deepEqual(deleted, { id: second.id, deleted: true });
    await expectApiError(z.agents.get(second.id), ZabyNotFoundError, 404, "NOT_FOUND");
    assert.equal((await z.agents.list({ q: slug })).total, 1);
  });

  test("E7, E8, E19 publish and deploy: PENDING, then ACTIVE; E11 skills in the snapshot", async () => {
    const z = ctx().zaby;
    const slug = uniq("deploy");
    const agent = await z.agents.create({ slug, name: slug });
    const skill = await z.agents.attachSkill(agent.id, { skillId: "summarize" });
    assert.equal(skill.key, "summarize");
    assert.equal(skill.enabled, true);
    const v1 = await z.agents.publish(agent.id);
    assert.equal(v1.version, 1);
    assert.equal(v1.status, "PUBLISHED");
    const snapshot = v1.snapshot as { skills: Array<{ skillId: string }> };
    assert.deepEqual(snapshot.skills.map((s) => s.skillId), ["summarize"]);
    assert.equal((await z.agents.get(agent.id)).status, "ACTIVE");

    const dep = await z.agents.deploy(agent.id, { agentVersionId: v1.id, environment: "PRODUCTION" });
    assert.equal(dep.status, "PENDING");
    assert.equal(dep.agentVersionId, v1.id);
    const prov = await waitActive(z, dep.id);
    assert.equal(prov.status, "ACTIVE");
    assert.equal(prov.deploymentId, dep.id);
    assert.equal((await z.agents.get(agent.id)).activeDeployments?.[0]?.id, dep.id);

    // The deployments client's create is the same route (E8): a new deployment in
    // the same environment supersedes the first one.
    await z.agents.attachSkill(agent.id, { skillId: "translate" });
    const v2 = await z.agents.publish(agent.id);
    assert.equal(v2.version, 2);
    const dep2 = await z.deployments.create(agent.id, { agentVersionId: v2.id, environment: "PRODUCTION" });
    await waitActive(z, dep2.id);
    await eventually("the first deployment to be superseded", async () => {
      try {
        await z.deployments.getProvisioning(dep.id);
        return undefined;
      } catch (err) {
        if (err instanceof ZabyConflictError && err.code === "DEPLOYMENT_NOT_ACTIVE") return true;
        throw err;
      }
    });
    await expectApiError(z.agents.deploy(agent.id, { agentVersionId: "nope" }), ZabyValidationError, 422, "VALIDATION_ERROR");
  });

  test("E14, E15 playground runtime tokens for the active deployment", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "play");
    const fromGet = await z.agents.playgroundRuntimeTokens(d.agent.id);
    assert.equal(fromGet.deploymentId, d.deployment.id);
    assert.equal(fromGet.externalAppId, null);
    const minted = await z.agents.playgroundRuntimeTokens(d.agent.id, {
      deploymentId: d.deployment.id,
      externalUserId: "dev-1",
      maxUses: 3,
    });
    assert.equal(minted.remainingUses, 3);
    assert.notEqual(minted.token, fromGet.token);
    // The minted token works on the runtime routes.
    const runtime = ctx().runtime(minted.token);
    const run = await runtime.runs.start({ input: "hello playground" });
    assert.equal(run.status, "COMPLETED");
    assert.equal(run.finalOutput, "You said: hello playground");
    await expectApiError(
      z.agents.playgroundRuntimeTokens(d.agent.id, { deploymentId: d.deployment.id }),
      ZabyValidationError,
      422,
      "VALIDATION_ERROR",
    );
  });

  test("E12, E13, E16, E17, E18 runs through the provisioning routes", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "prov-runs");

    const test1 = await z.agents.testRun(d.agent.id, { input: "draft question" });
    assert.equal(test1.status, "COMPLETED");
    assert.equal(test1.deploymentId, null, "test runs use the draft");
    assert.equal(test1.finalOutput, "You said: draft question");
    const testRun = await z.agents.getRunProgress(test1.runId);
    assert.equal(testRun.isTestRun, true);

    const started = await z.agents.startRun(d.agent.id, { input: "hello there world", respondAsync: true });
    assert.equal(started.deploymentId, d.deployment.id);
    const done = await waitRun(z, started.runId, "COMPLETED");
    assert.equal(done.finalOutput, "You said: hello there world");
    const page = await z.agents.listRunEvents(started.runId, { limit: 100 });
    const names = page.items.map((e) => e.event);
    assert.equal(names[0], "RunStarted");
    assert.equal(names[names.length - 1], "RunFinished");
    const text = page.items.filter((e) => e.event === "text").map((e) => e.data.content as string).join("");
    assert.equal(text, "You said: hello there world");
    assert.equal(page.total, page.items.length);
    const iterated: (string | undefined)[] = [];
    for await (const ev of z.agents.iterRunEvents(started.runId, { limit: 2 })) iterated.push(ev.id);
    assert.deepEqual(iterated, page.items.map((e) => e.id));

    const slow = await z.agents.startRun(d.agent.id, {
      input: { message: "a b c d e f g h", simulate: { delayMs: 300 } },
      respondAsync: true,
    });
    const cancelled = await z.agents.cancelRun(slow.runId, { reason: "enough" });
    assert.equal(cancelled.status, "CANCELLED");
    const after = await z.agents.getRunProgress(slow.runId);
    assert.equal(after.status, "CANCELLED");
    await expectApiError(z.agents.cancelRun(started.runId), ZabyConflictError, 409, "RUN_ALREADY_FINISHED");
  });

  test("E6 a deployed agent needs force to be deleted", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "doomed");
    await expectApiError(z.agents.delete(d.agent.id), ZabyConflictError, 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS");
    const gone = await z.agents.delete(d.agent.id, { force: true });
    assert.deepEqual(gone, { id: d.agent.id, deleted: true });
    await expectApiError(z.deployments.getProvisioning(d.deployment.id), ZabyConflictError, 409, "DEPLOYMENT_NOT_ACTIVE");
  });
});
