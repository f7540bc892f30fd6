// runtime.runs.stream(runId, { tools }) (`docs/function-tools.md`): sync, async and throwing
// functions answer client tool calls through E126; every event still arrives; calls the map
// does not name are left alone; a refused result ends the stream. Native and web builds.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clients, collect, rejection, RT } from "./helpers.mjs";

const AIUI = `${RT}/runs/run-42/aiui`;
const RESULTS = `${RT}/runs/run-42/tool-results`;
const RUN = { id: "run-42", status: "RUNNING" };
const done = { id: "9", event: "RunFinished", data: { runId: "run-42", status: "COMPLETED" } };
const call = (id, toolCallId, toolName, args, execution = "client") => ({
  id,
  event: "tool_call",
  data: { toolCallId, toolName, arguments: args, ...(execution ? { execution } : {}) },
});
const submitted = (transport) =>
  transport.requests
    .filter((r) => r.path === RESULTS)
    .map((r) => r.json)
    .sort((a, b) => a.toolCallId.localeCompare(b.toolCallId));

test("sync, async and throwing tools answer their calls; every event still arrives", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", AIUI, [
    call("1", "c1", "getWeather", { city: "Lyon" }),
    call("2", "c2", "getTime", { zone: "CET" }),
    call("3", "c3", "broken", {}),
    done,
  ]);
  for (let i = 0; i < 3; i++) transport.setResponse("POST", RESULTS, 200, RUN);
  const tools = {
    getWeather: (args) => ({ city: args.city, celsius: 21 }),
    getTime: async (args) => `12:00 in ${args.zone}`,
    broken: () => {
      throw new Error("the sensor is offline");
    },
  };
  const events = await collect(runtime.runs.stream("run-42", { tools }));
  assert.deepEqual(events.map((e) => e.event), ["tool_call", "tool_call", "tool_call", "RunFinished"]);
  assert.deepEqual(submitted(transport), [
    { toolCallId: "c1", result: { city: "Lyon", celsius: 21 } },
    { toolCallId: "c2", result: "12:00 in CET" },
    { toolCallId: "c3", isError: true, message: "the sensor is offline" },
  ]);
});

test("tools in the options, next to a query; calls the map does not name are left alone", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", `${AIUI}?afterSeq=0`, [call("1", "c1", "lookup", {}), call("2", "c2", "getWeather", {}, "http"), done]);
  const events = await collect(runtime.runs.stream("run-42", { afterSeq: 0 }, { tools: { getWeather: () => 1 } }));
  assert.deepEqual(events.map((e) => e.data.toolName ?? e.event), ["lookup", "getWeather", "RunFinished"]);
  assert.deepEqual(submitted(transport), []);
});

test("the calls of one step run at the same time", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", AIUI, [call("1", "c1", "meet", {}), call("2", "c2", "meet", {}), done]);
  transport.setResponse("POST", RESULTS, 200, RUN);
  transport.setResponse("POST", RESULTS, 200, RUN);
  // Each call waits for the other: one after the other, they would never finish.
  let arrived = 0;
  let release;
  const both = new Promise((resolve) => (release = resolve));
  const meet = async () => {
    if (++arrived === 2) release();
    await both;
    return arrived;
  };
  await collect(runtime.runs.stream("run-42", { tools: { meet } }));
  assert.deepEqual(submitted(transport).map((b) => b.result), [2, 2]);
});

test("a refused result ends the stream with its error", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", AIUI, [call("1", "c1", "getWeather", { city: "Lyon" }), done]);
  transport.setResponse("POST", RESULTS, 409, { code: "RUN_NOT_WAITING_FOR_TOOL_RESULT", message: "not waiting" });
  const seen = [];
  const err = await rejection(
    (async () => {
      for await (const ev of runtime.runs.stream("run-42", { tools: { getWeather: (a) => a } })) seen.push(ev.event);
    })(),
  );
  assert.equal(err.code, "RUN_NOT_WAITING_FOR_TOOL_RESULT");
  // The mock sends the end right behind the call; a server would wait for the result.
  assert.equal(seen[0], "tool_call");
});

test("tools must be functions", async () => {
  const { runtime } = clients();
  const err = await rejection(collect(runtime.runs.stream("run-42", undefined, { tools: { getWeather: 42 } })));
  assert.equal(err.code, "INVALID_ARGUMENT");
  assert.match(err.message, /tools\.getWeather must be a function/);
});
