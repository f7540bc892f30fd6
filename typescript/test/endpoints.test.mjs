// Every endpoint E1–E135, every binding and iterator, through MockTransport. The list
// comes from the core's endpoint table (the addon exports it), so none can be skipped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sdk, native, clients, collect } from "./helpers.mjs";

// The table is read from the addon even when the suite runs against the web build, so
// the web build's generated routes are checked against the core's table.
const ENDPOINTS = (native ?? (await import("../dist/native.js")).native()).endpoints();

/** Path template filled like the core does (values here need no encoding). */
function fill(template, values) {
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => values[i++]);
}

const QUERY = { limit: 2, q: "a b", flag: true, skip: null };
const QUERY_TEXT = "limit=2&q=a+b&flag=true";

test("the table has 135 endpoints, each with at least one binding", () => {
  const ids = Array.from({ length: 135 }, (_, i) => i + 1);
  assert.equal(ENDPOINTS.length, 135);
  assert.deepEqual(ENDPOINTS.map((e) => e.id), ids.map((n) => `E${n}`));
  for (const e of ENDPOINTS) assert.ok(e.bindings.length > 0, e.id);
});

for (const e of ENDPOINTS) {
  for (const b of e.bindings) {
    test(`${e.id} ${e.method} ${e.path} as ${b.attr}.${b.tsMethod}`, async () => {
      const { transport, zaby, runtime } = clients();
      const owner = b.owner === "runtime" ? runtime : zaby;
      const sub = owner[b.attr];
      assert.ok(sub instanceof sdk[b.class], `${b.attr} is a ${b.class}`);
      const fn = sub[b.tsMethod];
      assert.equal(typeof fn, "function", `${b.class}.${b.tsMethod} exists`);
      const params = b.params.map((p, i) => `${p.replaceAll("_", "-")}-${i + 1}`);
      let pathParams = params;
      let input;
      let expectedBody;
      let expectedQuery = "";
      switch (b.input) {
        case "None":
        case "WhenOmitted":
          break;
        case "Query":
        case "Stream":
          input = QUERY;
          expectedQuery = `?${QUERY_TEXT}`;
          break;
        case "OptionalBody":
        case "BodyOrEmpty":
        case "WhenGiven":
        case "Body":
          input = { name: "x", nested: { a: [1, 2] }, requestId: "idem-1" };
          expectedBody = input;
          break;
        default: {
          // BodyMovingToPath: externalAppId moves from the body into the path.
          assert.match(b.input, /^BodyMovingToPath/);
          input = { externalAppId: "app-9", deploymentId: "dep-1" };
          expectedBody = { deploymentId: "dep-1" };
          pathParams = ["app-9", ...params];
        }
      }
      const path = fill(e.path, pathParams);
      // E15 shares E14's method, whose input slot stays empty before the options.
      const args = b.input === "None" ? params : [...params, input];
      if (e.sse) {
        transport.setSse("GET", path, [
          { id: "1", event: "text", data: { content: "hi" } },
          { id: "2", event: "RunFinished", data: { status: "COMPLETED" } },
        ]);
        const events = await collect(fn.call(sub, ...args));
        assert.deepEqual(events.map((ev) => ev.event), ["text", "RunFinished"]);
      } else {
        transport.setResponse(e.method, path, 200, { ok: e.id });
        const answer = await fn.call(sub, ...args, { requestId: `req-${e.id}` });
        assert.deepEqual(answer, { ok: e.id });
      }
      assert.equal(transport.pending, 0);
      const [sent] = transport.requests;
      assert.equal(sent.method, e.method);
      assert.equal(sent.path, path + expectedQuery);
      assert.deepEqual(sent.json, expectedBody);
      assert.equal(sent.stream, e.sse);
      if (expectedBody !== undefined) assert.equal(sent.headers["content-type"], "application/json");
      else assert.equal(sent.headers["content-type"], undefined);
      if (!e.sse) assert.equal(sent.headers["x-request-id"], `req-${e.id}`);
      const auth = b.owner === "runtime" ? "Bearer test-token" : "Bearer tenant-jwt";
      assert.equal(sent.headers.authorization, auth);
      assert.equal(sent.headers["x-zaby-api-key"], b.owner === "runtime" ? undefined : "test-key");

      // Optional inputs: omitting them sends no body, or `{}`.
      if (b.input === "OptionalBody" || b.input === "BodyOrEmpty") {
        transport.setResponse(e.method, path, 200, {});
        await fn.call(sub, ...params);
        assert.deepEqual(transport.requests[1].json, b.input === "BodyOrEmpty" ? {} : undefined);
      }

      if (b.tsIter) {
        transport.reset();
        transport.setResponse("GET", path, 200, { items: [1, 2], nextCursor: "c-2", total: 3 });
        transport.setResponse("GET", path, 200, { items: [3], nextCursor: null, total: 3 });
        const items = await collect(sub[b.tsIter](...params, { limit: 2 }));
        assert.deepEqual(items, [1, 2, 3]);
        assert.deepEqual(transport.requests.map((r) => r.path), [`${path}?limit=2`, `${path}?limit=2&cursor=c-2`]);
      }
    });
  }
}

test("E14/E15 share playgroundRuntimeTokens: POST with input, GET without", async () => {
  const { transport, zaby } = clients();
  const base = "/api/v1/provisioning/agentic-os/agents/a1/playground/runtime-tokens";
  transport.setResponse("POST", base, 201, { token: "t1" });
  transport.setResponse("GET", base, 200, { token: "t2" });
  assert.deepEqual(await zaby.agents.playgroundRuntimeTokens("a1", { channel: "web" }), { token: "t1" });
  assert.deepEqual(await zaby.agents.playgroundRuntimeTokens("a1"), { token: "t2" });
  assert.deepEqual(transport.requests.map((r) => r.method), ["POST", "GET"]);
});

test("path parameters are percent-encoded; empty ones are rejected before any I/O", async () => {
  const { transport, zaby } = clients();
  transport.setResponse("GET", "/api/v1/provisioning/agentic-os/agents/a%2Fb%20c%3A(d)", 200, {});
  await zaby.agents.get("a/b c:(d)");
  const err = await zaby.agents.get("").catch((e) => e);
  assert.ok(err instanceof sdk.ZabyError);
  assert.equal(err.code, "INVALID_ARGUMENT");
  assert.equal(transport.requests.length, 1);
});

test("nested query objects are rejected with INVALID_ARGUMENT", async () => {
  const { transport, zaby } = clients();
  const err = await zaby.agents.list({ filter: { a: 1 } }).catch((e) => e);
  assert.equal(err.code, "INVALID_ARGUMENT");
  assert.equal(transport.requests.length, 0);
});
