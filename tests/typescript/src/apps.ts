/** External apps, runtime tokens, families, grants, policies and token usage (E20–E27, E29–E36). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ZabyAuthError,
  ZabyNotFoundError,
  ZabyPermissionError,
  ZabyRuntimeTokenExhaustedError,
  ZabyValidationError,
} from "@zaby/sdk";
import { ctx } from "./support/context.js";
import { deployedAgent, expectApiError, uniq } from "./support/helpers.js";

/** A runtime call that uses one token use and finds no run. */
async function probe(token: string): Promise<unknown> {
  return ctx().runtime(token).runs.events("00000000-0000-4000-8000-000000000000");
}

describe("apps, runtime tokens & policies", () => {
  test("E20–E24 external apps: create, list, get, update, bind a deployment", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "apps");
    const slug = uniq("web");
    const app = await z.externalApps.create({ name: "Web shop", slug, allowedOrigins: ["https://shop.example.com"] });
    assert.equal(app.status, "ACTIVE");
    assert.equal(app.slug, slug);
    const listed = await z.externalApps.list({ limit: 100 });
    assert.ok(listed.items.some((a) => a.id === app.id));
    const iterated: string[] = [];
    for await (const a of z.externalApps.iter({ limit: 2 })) iterated.push(a.id);
    assert.ok(iterated.includes(app.id));
    assert.equal(iterated.length, listed.total);

    const binding = await z.externalApps.bindDeployment(app.id, { deploymentId: d.deployment.id, allowBrowserRuntime: true });
    assert.equal(binding.allowServerRuntime, true);
    assert.equal(binding.allowBrowserRuntime, true);
    const got = await z.externalApps.get(app.id);
    assert.deepEqual(got.deploymentIds, [d.deployment.id]);
    assert.equal(got.activeDeploymentId, d.deployment.id);

    const renamed = await z.externalApps.update(app.id, { name: "Web shop 2", status: "INACTIVE" });
    assert.equal(renamed.name, "Web shop 2");
    assert.equal(renamed.status, "INACTIVE");
    assert.equal((await z.externalApps.get(app.id)).status, "INACTIVE");
    await expectApiError(z.externalApps.get("missing-app"), ZabyNotFoundError, 404, "NOT_FOUND");
  });

  test("E31–E34 policies, E25 mint, E36 usage, E29 families, E35 grants", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "tokens");
    const slug = uniq("srv");
    const app = await z.externalApps.create({ name: slug, slug });
    await z.externalApps.bindDeployment(app.id, { deploymentId: d.deployment.id });

    const policy = await z.runtimeTokenPolicies.create({
      name: "standard",
      externalAppId: app.id,
      deploymentId: d.deployment.id,
      maxUsesPerToken: 5,
    });
    assert.equal(policy.status, "ACTIVE");
    const off = await z.runtimeTokenPolicies.create({
      name: "off",
      externalAppId: app.id,
      deploymentId: d.deployment.id,
      status: "INACTIVE",
    });
    const got = await z.runtimeTokenPolicies.get(policy.id);
    assert.equal(got.maxUsesPerToken, 5);
    const updated = await z.runtimeTokenPolicies.update(policy.id, { maxConcurrentRuns: 2, metadata: { tier: "gold" } });
    assert.equal(updated.maxConcurrentRuns, 2);
    assert.equal(updated.name, "standard");
    const active = await z.runtimeTokenPolicies.list({ activeOnly: true, limit: 100 });
    assert.ok(active.items.some((p) => p.id === policy.id));
    assert.ok(!active.items.some((p) => p.id === off.id), "activeOnly leaves INACTIVE policies out");
    const all: string[] = [];
    for await (const p of z.runtimeTokenPolicies.iter({ limit: 1 })) all.push(p.id);
    assert.ok(all.includes(off.id) && all.includes(policy.id));

    const base = { externalAppId: app.id, deploymentId: d.deployment.id, quotaPolicyId: policy.id };
    const t1 = await z.runtimeTokens.create({ ...base, externalUserId: "alice" });
    assert.equal(t1.tokenType, "Bearer");
    assert.equal(t1.remainingUses, 5, "uses follow the policy");
    assert.equal(t1.quotaPolicyId, policy.id);
    await expectApiError(z.runtimeTokens.create({ ...base, externalUserId: "alice", maxUses: 6 }), ZabyValidationError, 422, "VALIDATION_ERROR");
    await expectApiError(
      z.runtimeTokens.create({ ...base, externalUserId: "alice", channel: "web" }),
      ZabyPermissionError,
      403,
      "RUNTIME_CHANNEL_NOT_ALLOWED",
    );
    await expectApiError(
      z.runtimeTokens.create({ ...base, quotaPolicyId: off.id, externalUserId: "alice" }),
      ZabyValidationError,
      422,
      "QUOTA_POLICY_MISMATCH",
    );
    // The token authenticates (404: no such run) and a use is counted.
    await expectApiError(probe(t1.token), ZabyNotFoundError, 404, "NOT_FOUND");
    const usage = await z.runtimeTokenUsage.get({ externalAppId: app.id });
    assert.ok(usage.totals, "the report has totals");
    assert.equal(usage.totals.tokensIssued, 1);
    assert.equal(usage.totals.runtimeRequests, 1);

    await z.runtimeTokens.create({ ...base, externalUserId: "alice" });
    await z.runtimeTokens.create({ ...base, externalUserId: "bob" });
    const fams = await z.runtimeTokenFamilies.list({ externalUserId: "alice", externalAppId: app.id });
    assert.equal(fams.total, 1);
    assert.equal(fams.items[0].id, t1.tokenFamilyId);
    assert.equal(fams.items[0].grantCount, 2);
    const famIds: string[] = [];
    for await (const f of z.runtimeTokenFamilies.iter({ externalAppId: app.id, limit: 1 })) famIds.push(f.id);
    assert.equal(famIds.length, 2, "one family per end user");

    const grant = await z.runtimeTokenGrants.revoke(t1.grantId, { reason: "lost device" });
    assert.equal(grant.status, "REVOKED");
    await expectApiError(probe(t1.token), ZabyAuthError, 401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED");
    const again = await z.runtimeTokenGrants.revoke(t1.grantId);
    assert.equal(again.revokedAt, grant.revokedAt, "revoking twice keeps the first time");
  });

  test("E26, E27 rotation and E30 family revocation", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "rotate");
    const slug = uniq("rot");
    const app = await z.externalApps.create({ name: slug, slug });
    await z.externalApps.bindDeployment(app.id, { deploymentId: d.deployment.id });
    const policy = await z.runtimeTokenPolicies.create({ name: "p", externalAppId: app.id, deploymentId: d.deployment.id });
    const first = await z.runtimeTokens.create({
      externalAppId: app.id,
      deploymentId: d.deployment.id,
      quotaPolicyId: policy.id,
      uniqueId: "cust-7",
      maxUses: 2,
    });
    const second = await z.runtimeTokens.rotate({ previousToken: first.token });
    assert.equal(second.tokenFamilyId, first.tokenFamilyId);
    assert.equal(second.agentSessionId, first.agentSessionId);
    assert.notEqual(second.grantId, first.grantId);
    assert.equal(second.remainingUses, 2);
    await expectApiError(probe(first.token), ZabyAuthError, 401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED");
    // Two uses, then the grant is exhausted.
    await expectApiError(probe(second.token), ZabyNotFoundError, 404, "NOT_FOUND");
    await expectApiError(probe(second.token), ZabyNotFoundError, 404, "NOT_FOUND");
    await expectApiError(probe(second.token), ZabyRuntimeTokenExhaustedError, 403, "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED");

    const third = await z.runtimeTokens.rotateByUniqueId({
      externalAppId: app.id,
      deploymentId: d.deployment.id,
      uniqueId: "cust-7",
    });
    assert.equal(third.tokenFamilyId, first.tokenFamilyId);
    assert.equal(third.quotaPolicyId, policy.id);
    await expectApiError(probe(second.token), ZabyAuthError, 401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED");
    await expectApiError(probe(third.token), ZabyNotFoundError, 404, "NOT_FOUND");

    const revoked = await z.runtimeTokenFamilies.revoke(first.tokenFamilyId, { reason: "logout" });
    assert.equal(revoked.status, "REVOKED");
    assert.equal(revoked.revokedGrantCount, 1);
    const viaTokens = await z.runtimeTokens.revokeFamily(first.tokenFamilyId, { reason: "again" });
    assert.equal(viaTokens.revokedAt, revoked.revokedAt);
    assert.equal(viaTokens.reason, "logout");
    const fams = await z.runtimeTokenFamilies.list({ externalAppId: app.id, status: "REVOKED" });
    assert.equal(fams.total, 1);
  });
});
