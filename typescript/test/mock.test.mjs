// MockTransport (`docs/testing.md`): both ways of queuing, matching, exact failure messages, records.
import { test } from "node:test";
import assert from "node:assert/strict";
import { testing, sdk, MockTransport, rejection } from "./helpers.mjs";

const AGENTS = "/api/v1/provisioning/agentic-os/agents";

test("exports of @zaby/sdk/testing", () => {
  assert.equal(testing.MockTransportError, sdk.MockTransportError);
  assert.equal(typeof testing.MockTransport, "function");
});

test("constructor queue and imperative helpers, freely mixed, FIFO", async () => {
  const transport = new MockTransport([
    { method: "GET", path: "/health", json: { status: "ok" } },
    { method: "get", path: `${AGENTS}/a1`, status: 200, body: "not json", headers: { "X-Mock": "1" } },
  ]);
  transport.setResponse("POST", AGENTS, 201, { id: "agt-7", status: "DRAFT" });
  transport.addResponse({ method: "DELETE", path: `${AGENTS}/a1`, status: 200, json: { deleted: true } });
  transport.setResponse("GET", AGENTS, 200, "raw text");
  assert.equal(transport.pending, 5);
  const zaby = new sdk.Zaby({ apiKey: "test-key", transport });
  assert.deepEqual(await zaby.health.check(), { status: "ok" });
  assert.equal(await zaby.agents.get("a1"), undefined, "a 2xx body that is not JSON returns undefined");
  assert.deepEqual(await zaby.agents.create({ name: "Helper", slug: "helper" }), { id: "agt-7", status: "DRAFT" });
  assert.deepEqual(await zaby.agents.delete("a1"), { deleted: true });
  assert.equal(await zaby.agents.list(), undefined);
  assert.equal(transport.pending, 0);
  const create = transport.requests[2];
  assert.deepEqual(
    { method: create.method, path: create.path, url: create.url, json: create.json, body: create.body, stream: create.stream },
    {
      method: "POST",
      path: AGENTS,
      url: `https://genapi.zaby.io${AGENTS}`,
      json: { name: "Helper", slug: "helper" },
      body: { name: "Helper", slug: "helper" },
      stream: false,
    },
  );
  assert.equal(create.headers["x-zaby-api-key"], "test-key");
  assert.equal("json" in transport.requests[0], false, "no body → no json key");
  transport.reset();
  assert.deepEqual([transport.pending, transport.requests.length], [0, 0]);
});

test("exact failure messages; a mismatch does not consume the head; requests are recorded first", async () => {
  const transport = new MockTransport();
  const zaby = new sdk.Zaby({ apiKey: "k", transport });
  const empty = await rejection(zaby.agents.list({ limit: 5 }));
  assert.equal(empty.constructor, sdk.MockTransportError);
  assert.equal(empty.name, "MockTransportError");
  assert.equal(empty.code, "MOCK_TRANSPORT");
  assert.equal(empty.message, `No mock response configured for GET ${AGENTS}?limit=5`);
  transport.setResponse("POST", AGENTS, 201, {});
  const mismatch = await rejection(zaby.agents.get("a1"));
  assert.equal(mismatch.message, `Expected POST ${AGENTS}, received GET ${AGENTS}/a1`);
  assert.equal(transport.pending, 1);
  assert.equal(transport.requests.length, 2);
});

test("query matching: ignored without '?', multiset-equal with '?'", async () => {
  const transport = new MockTransport([
    { method: "GET", path: AGENTS, json: 1 },
    { method: "GET", path: `${AGENTS}?status=ACTIVE&limit=2`, json: 2 },
    { method: "GET", path: `${AGENTS}?limit=3`, json: 3 },
  ]);
  const zaby = new sdk.Zaby({ apiKey: "k", transport });
  assert.equal(await zaby.agents.list({ anything: "x" }), 1);
  assert.equal(await zaby.agents.list({ limit: 2, status: "ACTIVE" }), 2);
  const err = await rejection(zaby.agents.list({ limit: 4 }));
  assert.equal(err.message, `Expected GET ${AGENTS}?limit=3, received GET ${AGENTS}?limit=4`);
});

test("bad mock responses are rejected with a clear INVALID_ARGUMENT", () => {
  assert.throws(() => new MockTransport([{ method: "GET" }]), /responses\[0\]\.path is required/);
  assert.throws(() => new MockTransport([{ method: "GET", path: "/", jsn: {} }]), /unknown field "jsn"/);
  const t = new MockTransport();
  assert.throws(() => t.setResponse("GET", "/", 1000), (e) => e.code === "INVALID_ARGUMENT" && /HTTP status/.test(e.message));
  assert.throws(() => t.setSse("GET", "/", "nope"), /array of events/);
});

test("MockTransport is a transport: send() answers from the queue", async () => {
  const t = new MockTransport([{ method: "GET", path: "/x", json: { a: 1 }, headers: { "X-H": "v" } }]);
  const res = await t.send({ method: "GET", url: "http://h/x", path: "/x", headers: {}, timeoutMs: 100 });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { a: 1 });
  assert.equal(res.headers["x-h"], "v");
  assert.equal(res.headers["content-type"], "application/json");
  const err = await rejection(t.send({ method: "GET", url: "http://h/y", path: "/y", headers: {}, timeoutMs: 100 }));
  assert.equal(err.message, "No mock response configured for GET /y");
});
