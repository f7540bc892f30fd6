/** Memory (E85–E92): candidates proposed by runs, review, items, retrieval, disable and delete. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZabyConflictError, ZabyNotFoundError } from "@zaby/sdk";
import { ctx } from "./support/context.js";
import { appFor, deployedAgent, eventually } from "./support/helpers.js";

describe("memory", () => {
  test("E90–E92 candidates from runs, E85–E89 items and retrieval, per end user", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "memo");
    const { app, policy } = await appFor(z, d.deployment.id);
    const mint = async (user: string) =>
      (await z.runtimeTokens.create({ externalAppId: app.id, deploymentId: d.deployment.id, quotaPolicyId: policy.id, externalUserId: user }))
        .token;
    const green = ctx().runtime(await mint("u-green"));
    const other = ctx().runtime(await mint("u-other"));

    const said = await green.runs.start({ input: "remember that my favourite colour is green" });
    assert.equal(said.status, "COMPLETED");
    const proposed = await green.runs.start({ input: { message: "ok", simulate: { memoryCandidates: ["I like tea"] } } });
    assert.equal(proposed.status, "COMPLETED");
    const candidates = await eventually("two memory candidates", async () => {
      const page = await z.memory.listCandidates({ externalUserId: "u-green", agentId: d.agent.id });
      return page.total === 2 ? page : undefined;
    });
    const byContent = (content: string) => {
      const c = candidates.items.find((i) => i.content === content);
      assert.ok(c, `a candidate "${content}"`);
      return c;
    };
    const colour = byContent("my favourite colour is green");
    assert.equal(colour.status, "PENDING");
    assert.equal(colour.runId, said.runId);
    assert.equal(colour.kind, "FACT");
    const tea = byContent("I like tea");
    const iterated: string[] = [];
    for await (const c of z.memory.iterCandidates({ externalUserId: "u-green", limit: 1 })) iterated.push(c.id);
    assert.deepEqual([...iterated].sort(), [colour.id, tea.id].sort());

    const approved = await z.memory.approveCandidate(colour.id, { reviewedBy: "ops" });
    assert.equal(approved.status, "APPROVED");
    assert.equal(approved.reviewedBy, "ops");
    await expectReviewed(z.memory.approveCandidate(colour.id));
    const rejected = await z.memory.rejectCandidate(tea.id, { reason: "not useful" });
    assert.equal(rejected.status, "REJECTED");
    await expectReviewed(z.memory.rejectCandidate(tea.id));
    assert.equal((await z.memory.listCandidates({ externalUserId: "u-green" })).total, 0, "nothing left to review");

    const itemId = approved.memoryItemId!;
    const item = await z.memory.getItem(itemId);
    assert.equal(item.content, "my favourite colour is green");
    assert.equal(item.status, "ACTIVE");
    const items = await z.memory.listItems({ externalUserId: "u-green" });
    assert.deepEqual(items.items.map((i) => i.id), [itemId]);
    const iteratedItems: string[] = [];
    for await (const i of z.memory.iterItems({ agentId: d.agent.id })) iteratedItems.push(i.id);
    assert.deepEqual(iteratedItems, [itemId]);

    const found = await z.memory.retrieve({ query: "favourite colour", externalUserId: "u-green" });
    assert.deepEqual(found.items.map((i) => i.id), [itemId]);
    assert.deepEqual((await z.memory.retrieve({ query: "favourite colour", externalUserId: "u-other" })).items, []);
    // The agent remembers for this end user only.
    const later = await green.runs.start({ input: "what is my favourite colour?" });
    assert.equal(later.finalOutput, "From memory: my favourite colour is green");
    const elsewhere = await other.runs.start({ input: "what is my favourite colour?" });
    assert.equal(elsewhere.finalOutput, "You said: what is my favourite colour?");

    const disabled = await z.memory.disableItem(itemId, { reason: "stale" });
    assert.equal(disabled.status, "DISABLED");
    assert.equal(disabled.disableReason, "stale");
    assert.deepEqual((await z.memory.retrieve({ query: "favourite colour", externalUserId: "u-green" })).items, []);
    const deleted = await z.memory.deleteItem(itemId, { reason: "user asked" });
    assert.deepEqual(deleted, { id: itemId, deleted: true });
    await expectNotFound(z.memory.getItem(itemId));
  });
});

async function expectReviewed(call: Promise<unknown>): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof ZabyConflictError);
    assert.equal(err.code, "CANDIDATE_ALREADY_REVIEWED");
    return true;
  });
}

async function expectNotFound(call: Promise<unknown>): Promise<void> {
  await assert.rejects(call, (err: unknown) => err instanceof ZabyNotFoundError && err.status === 404);
}
