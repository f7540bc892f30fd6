/**
 * Runs, streams, approvals and feedback (E28, E37–E40, E119–E125): the runtime routes
 * with a runtime token, the provisioning approval routes, and the same flows over the
 * SDK's built-in transport.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ZabyConflictError, ZabyPermissionError, type ZabyRuntime } from "@zaby/sdk";
import type { RunEvent } from "@zaby/sdk/types";
import { ctx } from "./support/context.js";
import { appFor, builtinTool, deployedAgent, eventually, expectApiError, waitRun, type Deployed } from "./support/helpers.js";

const ECHO = '/tool echo {"say": "hi"}';

interface Fixture {
  deployed: Deployed;
  /** A token whose binding allows runtime approvals. */
  token: string;
  /** A token of an app whose binding does not. */
  plainToken: string;
}

let fx: Fixture;

async function collect(runtime: ZabyRuntime, runId: string, onEvent?: (ev: RunEvent) => Promise<void>): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const ev of runtime.runs.stream(runId)) {
    events.push(ev);
    if (onEvent) await onEvent(ev);
  }
  return events;
}

function textOf(events: RunEvent[]): string {
  return events
    .filter((e) => e.event === "text")
    .map((e) => (e.data as { content: string }).content)
    .join("");
}

/** Streams a run that asks for `echo`, approving or rejecting through `decide`. */
async function streamWithDecision(
  runtime: ZabyRuntime,
  decide: (runId: string, approvalId: string) => Promise<unknown>,
): Promise<{ runId: string; events: RunEvent[] }> {
  const started = await runtime.runs.start({ input: ECHO, respondAsync: true });
  const events = await collect(runtime, started.runId, async (ev) => {
    if (ev.event === "approval_required") {
      const data = ev.data as { approvalId: string; toolName: string };
      assert.equal(data.toolName, "echo");
      await decide(started.runId, data.approvalId);
    }
  });
  return { runId: started.runId, events };
}

describe("runs, streams, approvals & feedback", () => {
  before(async () => {
    const z = ctx().zaby;
    const echo = await builtinTool(z, "echo");
    const deployed = await deployedAgent(z, "runs", {}, async (agent) => {
      await z.agents.attachMcpTool(agent.id, {
        tenantInstallationId: echo.installationId,
        toolDefinitionId: echo.toolId,
        approvalMode: "MANUAL",
      });
    });
    const withApprovals = await appFor(z, deployed.deployment.id, { allowApprovals: true });
    const plain = await appFor(z, deployed.deployment.id);
    const mint = async (setup: typeof plain, user: string) =>
      (
        await z.runtimeTokens.create({
          externalAppId: setup.app.id,
          deploymentId: deployed.deployment.id,
          quotaPolicyId: setup.policy.id,
          externalUserId: user,
        })
      ).token;
    fx = { deployed, token: await mint(withApprovals, "runner"), plainToken: await mint(plain, "plain-user") };
  });

  test("E119, E121 a run streamed as it happens; E120 the same events stored", async () => {
    const runtime = ctx().runtime(fx.token);
    const started = await runtime.runs.start({ input: "hello streaming world", respondAsync: true });
    assert.equal(started.deploymentId, fx.deployed.deployment.id);
    const events = await collect(runtime, started.runId);
    assert.equal(events[0].event, "RunStarted");
    const last = events[events.length - 1];
    assert.equal(last.event, "RunFinished");
    assert.equal((last.data as { status: string }).status, "COMPLETED");
    assert.equal(textOf(events), "You said: hello streaming world");
    const page = await runtime.runs.events(started.runId, { limit: 100 });
    assert.deepEqual(page.items.map((e) => e.id), events.map((e) => e.id));
    const iterated: string[] = [];
    for await (const ev of runtime.runs.iterEvents(started.runId, { limit: 2 })) iterated.push(String(ev.event));
    assert.deepEqual(iterated, events.map((e) => e.event));
  });

  test("E123 approve from the runtime while streaming: the tool runs", async () => {
    const runtime = ctx().runtime(fx.token);
    const { runId, events } = await streamWithDecision(runtime, (id, approvalId) =>
      runtime.approvals.approve(id, approvalId, { reason: "fine" }),
    );
    const names = events.map((e) => e.event);
    assert.deepEqual(names.slice(0, 4), ["RunStarted", "tool_call", "approval_required", "tool_result"]);
    const result = events.find((e) => e.event === "tool_result")!.data as { result: unknown; isError: boolean };
    assert.deepEqual(result.result, { say: "hi" });
    assert.equal(result.isError, false);
    assert.equal(textOf(events), 'Tool echo returned: {"say":"hi"}');
    const approvals = await ctx().zaby.approvals.list({ runId, status: "APPROVED" });
    assert.equal(approvals.total, 1);
  });

  test("E124 reject from the runtime: the model gets APPROVAL_REJECTED", async () => {
    const runtime = ctx().runtime(fx.token);
    const waiting = await runtime.runs.start({ input: ECHO });
    assert.equal(waiting.status, "WAITING_FOR_APPROVAL");
    const progress = await ctx().zaby.agents.getRunProgress(waiting.runId);
    const pending = progress.pendingApproval;
    assert.ok(pending, "the run shows its pending approval");
    assert.deepEqual(pending.arguments, { say: "hi" });
    const rejected = await runtime.approvals.reject(waiting.runId, pending.id, { reason: "not now" });
    assert.equal(rejected.status, "REJECTED");
    const done = await waitRun(ctx().zaby, waiting.runId, "COMPLETED");
    assert.match(done.finalOutput ?? "", /APPROVAL_REJECTED/);
    await expectApiError(
      runtime.approvals.approve(waiting.runId, pending.id),
      ZabyConflictError,
      409,
      "APPROVAL_ALREADY_DECIDED",
    );
  });

  test("E123 refused when the binding does not allow runtime approvals", async () => {
    const runtime = ctx().runtime(fx.plainToken);
    const waiting = await runtime.runs.start({ input: ECHO });
    assert.equal(waiting.status, "WAITING_FOR_APPROVAL");
    const pending = (await ctx().zaby.agents.getRunProgress(waiting.runId)).pendingApproval!;
    await expectApiError(runtime.approvals.approve(waiting.runId, pending.id), ZabyPermissionError, 403, "APPROVALS_NOT_ALLOWED");
    await ctx().zaby.approvals.reject(waiting.runId, pending.id, { reason: "cleanup" });
    await waitRun(ctx().zaby, waiting.runId, "COMPLETED");
  });

  test("E37 pending approvals listed; E38 approve and E39 reject with the API key", async () => {
    const z = ctx().zaby;
    const runtime = ctx().runtime(fx.token);
    const a = await runtime.runs.start({ input: ECHO });
    const b = await runtime.runs.start({ input: ECHO });
    const pendingA = await z.approvals.list({ runId: a.runId });
    assert.equal(pendingA.total, 1);
    assert.equal(pendingA.items[0].status, "PENDING");
    assert.equal(pendingA.items[0].toolName, "echo");
    const open: string[] = [];
    for await (const ap of z.approvals.iter({ agentId: fx.deployed.agent.id, limit: 1 })) open.push(ap.runId);
    assert.ok(open.includes(a.runId) && open.includes(b.runId), "both runs wait");

    const approved = await z.approvals.approve(a.runId, pendingA.items[0].id, { reason: "ok", decidedBy: "ops" });
    assert.equal(approved.status, "APPROVED");
    const doneA = await waitRun(z, a.runId, "COMPLETED");
    assert.equal(doneA.finalOutput, 'Tool echo returned: {"say":"hi"}');

    const pendingB = (await z.approvals.list({ runId: b.runId })).items[0];
    const rejected = await z.approvals.reject(b.runId, pendingB.id, { reason: "no" });
    assert.equal(rejected.status, "REJECTED");
    await waitRun(z, b.runId, "COMPLETED");
    assert.equal((await z.approvals.list({ runId: b.runId, status: "REJECTED" })).total, 1);
    assert.equal((await z.approvals.list({ runId: b.runId })).total, 0, "nothing pending any more");
  });

  test("E122 cancel from the runtime", async () => {
    const runtime = ctx().runtime(fx.token);
    const slow = await runtime.runs.start({
      input: { message: "one two three four five six", simulate: { delayMs: 300 } },
      respondAsync: true,
    });
    const cancelled = await runtime.runs.cancel(slow.runId, { reason: "user left" });
    assert.equal(cancelled.status, "CANCELLED");
    const page = await eventually("the terminal event", async () => {
      const p = await runtime.runs.events(slow.runId, { limit: 100 });
      return p.items.some((e) => e.event === "RunFinished") ? p : undefined;
    });
    const finished = page.items.find((e) => e.event === "RunFinished")!;
    assert.equal(finished.data.status, "CANCELLED");
  });

  test("E125 runtime feedback, E28 feedback with the API key, E40 usage", async () => {
    const z = ctx().zaby;
    const runtime = ctx().runtime(fx.token);
    const run = await runtime.runs.start({ input: "rate me" });
    assert.equal(run.status, "COMPLETED");
    const fb = await runtime.feedback.create(run.runId, { rating: 4, comment: "good" });
    assert.equal(fb.rating, 4);
    assert.equal(fb.runId, run.runId);
    const fb2 = await z.runtimeTokens.recordFeedback(run.runId, { rating: 5, comment: "better" });
    assert.equal(fb2.rating, 5);
    const signals = await z.intelligence.listSignals({ runId: run.runId, type: "user_feedback" });
    assert.deepEqual(signals.items.map((s) => s.value).sort(), [4, 5]);

    const usage = await z.usage.getAgentUsage({ agentId: fx.deployed.agent.id });
    assert.equal(usage.agentId, fx.deployed.agent.id);
    const totals = usage.totals!;
    assert.ok(totals.runs >= 7, `runs: ${totals.runs}`);
    assert.ok(totals.toolCalls >= 3, `tool calls: ${totals.toolCalls}`);
    assert.ok(totals.approvalsRequested >= 5, `approvals: ${totals.approvalsRequested}`);
    assert.ok(totals.cancelledRuns >= 1);
    assert.equal(totals.feedbackCount, 2);
    assert.equal(totals.averageRating, 4.5);
  });

  test("the built-in transport: a streamed run with an approval, end to end", async () => {
    const runtime = ctx().nativeRuntime(fx.token);
    const plain = await runtime.runs.start({ input: "native hello", respondAsync: true });
    const events = await collect(runtime, plain.runId);
    assert.equal(textOf(events), "You said: native hello");
    assert.equal(events[events.length - 1].event, "RunFinished");

    const { runId, events: withTool } = await streamWithDecision(runtime, (id, approvalId) =>
      runtime.approvals.approve(id, approvalId),
    );
    assert.equal(textOf(withTool), 'Tool echo returned: {"say":"hi"}');
    const run = await ctx().nativeZaby.agents.getRunProgress(runId);
    assert.equal(run.status, "COMPLETED");
  });
});
