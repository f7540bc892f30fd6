/**
 * Client function tools (E126, E127): the end user's stream answers them through
 * `stream(runId, { tools })` with sync, async and throwing functions; the API key answers
 * one by hand after finding it among the run's stored events.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RunEvent } from "@zaby/sdk/types";
import { ctx } from "./support/context.js";
import { appFor, deployedAgent, eventually, waitRun, type Deployed } from "./support/helpers.js";

/** The development model calls a tool when the message is `/tool NAME {json}`. */
const callTool = (name: string, args: Record<string, unknown>): string => `/tool ${name} ${JSON.stringify(args)}`;

interface ToolResultData {
  toolCallId: string;
  result: unknown;
  isError: boolean;
}

let deployed: Deployed;
let token: string;

describe("function tools", () => {
  before(async () => {
    const z = ctx().zaby;
    const functionTools = [{ name: "getWeather", description: "The weather in a city" }, { name: "getTime" }, { name: "readSensor" }];
    deployed = await deployedAgent(z, "fn-tools", { functionTools });
    const setup = await appFor(z, deployed.deployment.id);
    const minted = await z.runtimeTokens.create({
      externalAppId: setup.app.id,
      deploymentId: deployed.deployment.id,
      quotaPolicyId: setup.policy.id,
      externalUserId: "fn-user",
    });
    token = minted.token;
  });

  test("E126 through stream(runId, { tools }): sync, async and throwing functions answer their calls", async () => {
    const runtime = ctx().runtime(token);
    const tools = {
      getWeather: (args: Record<string, unknown>) => ({ city: args.city, celsius: 21 }),
      getTime: async (args: Record<string, unknown>) => `12:00 in ${String(args.zone)}`,
      readSensor: () => {
        throw new Error("the sensor is offline");
      },
    };
    const cases: [string, Partial<ToolResultData>][] = [
      [callTool("getWeather", { city: "Lyon" }), { isError: false, result: { city: "Lyon", celsius: 21 } }],
      [callTool("getTime", { zone: "CET" }), { isError: false, result: "12:00 in CET" }],
      [callTool("readSensor", {}), { isError: true }],
    ];
    for (const [input, expected] of cases) {
      const started = await runtime.runs.start({ input, respondAsync: true });
      const events: RunEvent[] = [];
      for await (const ev of runtime.runs.stream(started.runId, { tools })) events.push(ev);
      assert.deepEqual(events.slice(0, 3).map((e) => e.event), ["RunStarted", "tool_call", "tool_result"]);
      assert.equal((events[1].data as { execution?: string }).execution, "client");
      const result = events[2].data as ToolResultData;
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(result[key as keyof ToolResultData], value, key);
      if (result.isError) assert.match(JSON.stringify(result.result), /the sensor is offline/);
      const last = events[events.length - 1];
      assert.equal(last.event, "RunFinished");
      assert.equal((last.data as { status: string }).status, "COMPLETED");
    }
  });

  test("E127 the API key answers a client tool found among the stored events", async () => {
    const z = ctx().zaby;
    const started = await z.agents.startRun(deployed.agent.id, {
      input: callTool("getWeather", { city: "Oslo" }),
      deploymentId: deployed.deployment.id,
      respondAsync: true,
    });
    const runId = started.runId;
    const toolCallId = await eventually("the client tool call", async () => {
      const page = await z.agents.listRunEvents(runId, { limit: 100 });
      const call = page.items.find((e) => e.event === "tool_call");
      return call ? (call.data as { toolCallId: string }).toolCallId : undefined;
    });
    await waitRun(z, runId, "WAITING_FOR_TOOL_RESULT");
    const run = await z.agents.submitToolResult(runId, { toolCallId, result: { celsius: -3 } });
    assert.equal(run.runId, runId);
    await waitRun(z, runId, "COMPLETED");
    const page = await z.agents.listRunEvents(runId, { limit: 100 });
    const result = page.items.find((e) => e.event === "tool_result")!.data as ToolResultData;
    assert.deepEqual([result.result, result.isError], [{ celsius: -3 }, false]);
  });
});
