/** Intelligence (E93–E97): signals of real runs and feedback, rollups, improvements and their review. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZabyConflictError, ZabyValidationError } from "@zaby/sdk";
import { ctx } from "./support/context.js";
import { deployedAgent, expectApiError, waitRun } from "./support/helpers.js";

describe("intelligence & usage", () => {
  test("E93 signals, E94 rollups, E95–E97 improvements from a low rating", async () => {
    const z = ctx().zaby;
    const d = await deployedAgent(z, "intel");
    const agentId = d.agent.id;
    const finished = async (input: string) => {
      const started = await z.agents.startRun(agentId, { input, respondAsync: true });
      await waitRun(z, started.runId, "COMPLETED");
      return started.runId;
    };
    const good = await finished("all fine");
    await z.runtimeTokens.recordFeedback(good, { rating: 5 });
    assert.equal((await z.intelligence.listImprovements({ agentId })).total, 0, "a good rating proposes nothing");

    const bad = await finished("hello");
    const fb = await z.runtimeTokens.recordFeedback(bad, { rating: 1, comment: "wrong answer" });
    const signals = await z.intelligence.listSignals({ runId: bad, type: "user_feedback" });
    assert.equal(signals.total, 1);
    assert.equal(signals.items[0].value, 1);
    assert.equal(signals.items[0].deploymentId, d.deployment.id);
    const payload = signals.items[0].payload as { feedbackId: string; comment: string };
    assert.equal(payload.feedbackId, fb.id);
    assert.equal(payload.comment, "wrong answer");
    const kinds: string[] = [];
    for await (const s of z.intelligence.iterSignals({ agentId, limit: 2 })) kinds.push(s.type);
    assert.deepEqual(
      [...kinds].sort(),
      ["run_completed", "run_completed", "user_feedback", "user_feedback"],
      "two runs and two ratings",
    );

    // Summed over the daily buckets, so a run that ends after midnight UTC changes nothing.
    const rollups = await z.intelligence.listRollups({ agentId, granularity: "daily", limit: 100 });
    const total = (name: string) => rollups.items.filter((r) => r.metric === name).reduce((sum, r) => sum + (r.value ?? 0), 0);
    assert.equal(total("run_count"), 2);
    assert.equal(total("feedback_count"), 2);
    assert.equal(total("failure_rate"), 0);
    const ratings = rollups.items.filter((r) => r.metric === "avg_rating");
    assert.equal(ratings.reduce((sum, r) => sum + (r.value ?? 0) * (r.count ?? 0), 0), 6, "ratings 5 and 1");
    const iterated: string[] = [];
    for await (const r of z.intelligence.iterRollups({ agentId, granularity: "daily", limit: 1 })) iterated.push(r.metric);
    assert.deepEqual(iterated, rollups.items.map((r) => r.metric));
    await expectApiError(z.intelligence.listRollups({ agentId, granularity: "yearly" }), ZabyValidationError, 422, "VALIDATION_ERROR");

    const proposed = await z.intelligence.listImprovements({ agentId });
    assert.equal(proposed.total, 1);
    const imp = proposed.items[0];
    assert.equal(imp.category, "QUALITY");
    assert.equal(imp.status, "PROPOSED");
    assert.deepEqual(imp.suggestedChange, { type: "instructions", runId: bad, feedbackId: fb.id });
    assert.deepEqual(imp.signalIds, [signals.items[0].id]);
    assert.match(imp.description ?? "", /wrong answer/);

    const approved = await z.intelligence.approveImprovement(imp.id, { comment: "will do" });
    assert.equal(approved.status, "APPROVED");
    assert.equal(approved.comment, "will do");
    const implemented = await z.intelligence.approveImprovement(imp.id, { status: "IMPLEMENTED" });
    assert.equal(implemented.status, "IMPLEMENTED");
    await expectApiError(z.intelligence.rejectImprovement(imp.id), ZabyConflictError, 409, "CANDIDATE_ALREADY_REVIEWED");

    const worse = await finished("again");
    await z.runtimeTokens.recordFeedback(worse, { rating: 2 });
    const open: string[] = [];
    for await (const i of z.intelligence.iterImprovements({ agentId, status: "PROPOSED" })) open.push(i.id);
    assert.equal(open.length, 1);
    assert.notEqual(open[0], imp.id);
    const rejected = await z.intelligence.rejectImprovement(open[0], { reason: "noise" });
    assert.equal(rejected.status, "REJECTED");
    assert.equal(rejected.reason, "noise");
    assert.equal((await z.intelligence.listImprovements({ agentId, status: "REJECTED" })).total, 1);
  });
});
