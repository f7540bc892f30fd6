// Credential providers (`docs/configuration.md`): strings, sync and async functions, failures.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sdk, MockTransport, rejection } from "./helpers.mjs";

function health(n = 1, status = 200) {
  const t = new MockTransport();
  for (let i = 0; i < n; i++) t.setResponse("GET", "/health", status, {});
  return t;
}

test("static, sync and async providers; called on every attempt", async () => {
  let calls = 0;
  const providers = [
    "static-key",
    () => `sync-${++calls}`,
    async () => {
      await new Promise((r) => setTimeout(r, 5));
      return `async-${++calls}`;
    },
  ];
  const seen = [];
  for (const apiKey of providers) {
    const transport = health(2);
    const zaby = new sdk.Zaby({ apiKey, transport });
    await zaby.health.check();
    await zaby.health.check();
    seen.push(transport.requests.map((r) => r.headers["x-zaby-api-key"]));
  }
  assert.deepEqual(seen, [["static-key", "static-key"], ["sync-1", "sync-2"], ["async-3", "async-4"]]);
});

test("a runtime-token provider is asked again on each retry", async () => {
  let n = 0;
  const transport = new MockTransport();
  transport.setResponse("GET", "/api/v1/agent-runtime/runs/r/events", 503, {});
  transport.setResponse("GET", "/api/v1/agent-runtime/runs/r/events", 200, { items: [] });
  const runtime = new sdk.ZabyRuntime({
    token: () => `tok-${++n}`,
    transport,
    config: { retries: { attempts: 1, backoffMs: () => 0 } },
  });
  await runtime.runs.events("r");
  assert.deepEqual(transport.requests.map((r) => r.headers.authorization), ["Bearer tok-1", "Bearer tok-2"]);
});

for (const [label, provider, check] of [
  ["throwing sync", () => { throw new TypeError("vault down"); }, (cause) => assert.ok(cause instanceof TypeError && cause.message === "vault down")],
  ["rejecting async", async () => { throw new RangeError("expired"); }, (cause) => assert.ok(cause instanceof RangeError)],
  ["non-string", async () => 42, (cause) => assert.ok(cause instanceof Error)],
  ["empty string", () => "", (cause) => assert.ok(cause instanceof Error)],
  ["undefined", () => undefined, (cause) => assert.ok(cause instanceof Error)],
]) {
  test(`a ${label} provider fails with CREDENTIAL_PROVIDER_FAILED, cause attached, nothing sent`, async () => {
    const transport = health(1);
    const zaby = new sdk.Zaby({ apiKey: provider, transport });
    const err = await rejection(zaby.health.check());
    assert.equal(err.constructor, sdk.ZabyError);
    assert.equal(err.code, "CREDENTIAL_PROVIDER_FAILED");
    assert.match(err.message, /credential provider/);
    check(err.cause);
    assert.equal(transport.requests.length, 0);
  });
}

test("the thrown object itself is the cause (identity kept)", async () => {
  const boom = new Error("boom");
  const zaby = new sdk.Zaby({ accessToken: () => { throw boom; }, transport: health(1) });
  const err = await rejection(zaby.health.check());
  assert.equal(err.cause, boom);
});
