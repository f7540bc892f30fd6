// Retries and backoff (`docs/configuration.md`), timeouts (`docs/configuration.md`) and custom transports (`docs/testing.md`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { sdk, MockTransport, rejection, fnTransport } from "./helpers.mjs";

const AGENTS = "/api/v1/provisioning/agentic-os/agents";

test("GET is retried on retry statuses with the backoff function; the last error surfaces", async () => {
  const transport = new MockTransport();
  for (const s of [503, 429, 500]) transport.setResponse("GET", AGENTS, s, { code: `S${s}`, message: `status ${s}` });
  const delays = [];
  const zaby = new sdk.Zaby({
    apiKey: "k",
    transport,
    config: { retries: { attempts: 2, backoffMs: (attempt) => (delays.push(attempt), 1) } },
  });
  const err = await rejection(zaby.agents.list(undefined, { requestId: "same" }));
  assert.equal(err.status, 500);
  assert.equal(err.constructor, sdk.ZabyApiError);
  assert.deepEqual(delays, [0, 1]);
  assert.equal(transport.requests.length, 3);
  assert.ok(transport.requests.every((r) => r.headers["x-request-id"] === "same"));
});

test("a throwing or non-numeric backoffMs falls back to the default delay", async () => {
  const transport = new MockTransport();
  transport.setResponse("GET", AGENTS, 503, {});
  transport.setResponse("GET", AGENTS, 200, { items: [] });
  const zaby = new sdk.Zaby({ apiKey: "k", transport, config: { retries: { attempts: 1, backoffMs: () => { throw new Error("x"); } } } });
  const started = Date.now();
  assert.deepEqual(await zaby.agents.list(), { items: [] });
  assert.ok(Date.now() - started >= 90, "waited the default 100 ms");
});

test("POST is not retried unless it is an idempotency endpoint with a requestId", async () => {
  const transport = new MockTransport();
  transport.setResponse("POST", AGENTS, 503, {});
  const zaby = new sdk.Zaby({ apiKey: "k", transport, config: { retries: { attempts: 3, backoffMs: () => 0 } } });
  assert.equal((await rejection(zaby.agents.create({ name: "a" }))).status, 503);
  assert.equal(transport.requests.length, 1);
  transport.reset();
  const run = `${AGENTS}/a1/runs`;
  transport.setResponse("POST", run, 503, {});
  transport.setResponse("POST", run, 201, { runId: "r1" });
  assert.deepEqual(await zaby.agents.startRun("a1", { input: "hi", requestId: "idem-1" }), { runId: "r1" });
  assert.equal(transport.requests.length, 2);
});

test("MockTransportError is never retried and reaches the caller unchanged", async () => {
  const transport = new MockTransport();
  const zaby = new sdk.Zaby({ apiKey: "k", transport, config: { retries: 3 } });
  const err = await rejection(zaby.agents.list());
  assert.equal(err.constructor, sdk.MockTransportError);
  assert.equal(err.message, `No mock response configured for GET ${AGENTS}`);
  assert.equal(transport.requests.length, 1);
});

test("timeoutMs bounds an attempt: ZabyTimeoutError, and the transport's signal aborts", async () => {
  let signal;
  const transport = fnTransport((req) => {
    signal = req.signal;
    return new Promise(() => {});
  });
  const zaby = new sdk.Zaby({ apiKey: "k", transport });
  const err = await rejection(zaby.health.check({ timeoutMs: 30 }));
  assert.equal(err.constructor, sdk.ZabyTimeoutError);
  assert.equal(err.code, "TIMEOUT");
  assert.equal(err.timeoutMs, 30);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(signal.aborted, true);
  assert.equal(transport.sent[0].timeoutMs, 30);
});

test("custom transport: request fields, JSON/text/stream bodies, header case", async () => {
  const transport = fnTransport((req, i) => {
    if (i === 0) return { status: 200, headers: { "Content-Type": "application/json" }, json: { via: "json" } };
    if (i === 1) return { status: 200, body: '{"via":"text"}' };
    return {
      status: 200,
      bodyStream: (async function* () {
        yield new TextEncoder().encode('id: 1\nevent: text\ndata: {"content":"a"}\n\n');
        yield 'id: 2\nevent: RunFinished\ndata: {"status":"COMPLETED"}\n\n';
      })(),
    };
  });
  const zaby = new sdk.Zaby({ apiKey: "k", transport, config: { apiOrigin: "https://x.example" } });
  assert.deepEqual(await zaby.agents.create({ name: "n" }), { via: "json" });
  assert.deepEqual(await zaby.agents.get("a"), { via: "text" });
  const runtime = new sdk.ZabyRuntime({ token: "t", transport });
  const events = [];
  for await (const ev of runtime.runs.stream("r1")) events.push(ev);
  assert.deepEqual(events.map((e) => e.id), ["1", "2"]);
  const [create, get, stream] = transport.sent;
  assert.deepEqual(
    { method: create.method, url: create.url, path: create.path, json: create.json, stream: create.stream },
    { method: "POST", url: "https://x.example/api/v1/provisioning/agentic-os/agents", path: AGENTS, json: { name: "n" }, stream: false },
  );
  assert.equal(get.json, undefined);
  assert.equal(stream.stream, true);
  assert.equal(stream.headers.accept, "text/event-stream");
  assert.equal(typeof create.timeoutMs, "number");
  assert.ok(create.signal instanceof AbortSignal);
});

test("errors thrown by a custom transport propagate unchanged; ZabyConnectionError is retried", async () => {
  class Custom extends Error {}
  const custom = new Custom("nope");
  let transport = fnTransport(() => { throw custom; });
  let zaby = new sdk.Zaby({ apiKey: "k", transport, config: { retries: { attempts: 2, backoffMs: () => 0 } } });
  assert.equal(await rejection(zaby.health.check()), custom);
  assert.equal(transport.sent.length, 1);

  const down = new sdk.ZabyConnectionError("connection refused");
  transport = fnTransport(() => { throw down; });
  zaby = new sdk.Zaby({ apiKey: "k", transport, config: { retries: { attempts: 2, backoffMs: () => 0 } } });
  assert.equal(await rejection(zaby.health.check()), down, "the very same object");
  assert.equal(transport.sent.length, 3);
});
