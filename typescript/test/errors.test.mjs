// The `docs/errors.md` hierarchy: classes, instanceof along the tree, names, fields and causes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { errors, sdk, clients, rejection } from "./helpers.mjs";

const TREE = {
  ZabyError: null,
  ZabyApiError: "ZabyError",
  ZabyAuthError: "ZabyApiError",
  ZabyRuntimeTokenExpiredError: "ZabyAuthError",
  ZabyPermissionError: "ZabyApiError",
  ZabyRuntimeTokenExhaustedError: "ZabyPermissionError",
  ZabyNotFoundError: "ZabyApiError",
  ZabyConflictError: "ZabyApiError",
  ZabyValidationError: "ZabyApiError",
  ZabyRateLimitError: "ZabyApiError",
  ZabyStreamError: "ZabyApiError",
  ZabyConnectionError: "ZabyError",
  ZabyTimeoutError: "ZabyError",
  MockTransportError: "ZabyError",
  ZabyWebhookVerificationError: "ZabyError",
};

test("the hierarchy: every class exported from @zaby/sdk and /errors, with its parent", () => {
  for (const [name, parent] of Object.entries(TREE)) {
    const cls = sdk[name];
    assert.equal(typeof cls, "function", name);
    assert.equal(errors[name], cls, `${name} is the same object in /errors`);
    assert.ok(cls.prototype instanceof Error);
    if (parent) assert.equal(Object.getPrototypeOf(cls), sdk[parent], `${name} extends ${parent}`);
  }
});

const CASES = [
  [401, "UNAUTHORIZED", "ZabyAuthError"],
  [401, "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", "ZabyRuntimeTokenExpiredError"],
  [403, "INSUFFICIENT_SCOPE", "ZabyPermissionError"],
  [403, "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED", "ZabyRuntimeTokenExhaustedError"],
  [404, "NOT_FOUND", "ZabyNotFoundError"],
  [409, "CONFLICT", "ZabyConflictError"],
  [400, "BAD_REQUEST", "ZabyValidationError"],
  [422, "VALIDATION_ERROR", "ZabyValidationError"],
  [429, "RATE_LIMITED", "ZabyRateLimitError"],
  [500, "INTERNAL_ERROR", "ZabyApiError"],
  [302, null, "ZabyApiError"],
];

for (const [status, code, className] of CASES) {
  test(`${status} ${code} → ${className} with every field`, async () => {
    const { transport, zaby } = clients();
    const body = code ? { code, message: `failed: ${code}`, details: { errors: [] } } : { nothing: true };
    transport.setResponse("GET", "/health", status, body, { "x-request-id": "req-srv", "retry-after": "7", "X-Extra": "v" });
    const err = await rejection(zaby.health.check({ requestId: "req-mine" }));
    const cls = sdk[className];
    assert.ok(err instanceof cls);
    assert.ok(err instanceof sdk.ZabyApiError && err instanceof sdk.ZabyError && err instanceof Error);
    assert.equal(err.constructor, cls);
    assert.equal(err.name, className);
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    assert.equal(err.message, code ? `failed: ${code}` : `Zaby API request failed with status ${status}.`);
    assert.equal(err.requestId, "req-srv");
    assert.equal(err.retryAfter, 7);
    assert.deepEqual(err.details, body);
    assert.equal(err.body, err.details);
    assert.equal(err.headers["x-extra"], "v");
    assert.equal(err.headers["content-type"], "application/json");
    assert.match(err.stack, new RegExp(className));
    // createZabyApiError applies the same mapping (the core's).
    const made = sdk.createZabyApiError({ status, message: "m", code });
    assert.equal(made.constructor, cls);
  });
}

test("an error response without x-request-id uses the request id the SDK sent", async () => {
  const { transport, zaby } = clients();
  transport.setResponse("GET", "/health", 503, "", {});
  const err = await rejection(zaby.health.check({ requestId: "mine" }));
  assert.equal(err.requestId, "mine");
  assert.equal(err.details, null);
  assert.equal(err.retryAfter, null);
});

test("constructors and defaults", () => {
  const api = new sdk.ZabyApiError({ status: 418, message: "teapot" });
  assert.deepEqual(
    [api.status, api.code, api.requestId, api.retryAfter, api.details, api.body, api.headers, api.name],
    [418, null, null, null, null, null, {}, "ZabyApiError"],
  );
  const cause = new Error("root");
  const base = new sdk.ZabyError("plain", { code: "X", cause });
  assert.equal(base.cause, cause);
  assert.equal(base.code, "X");
  const timeout = new sdk.ZabyTimeoutError("slow", { timeoutMs: 5 });
  assert.deepEqual([timeout.code, timeout.timeoutMs, timeout.name], ["TIMEOUT", 5, "ZabyTimeoutError"]);
  assert.equal(new sdk.ZabyConnectionError("down").code, "CONNECTION_ERROR");
  assert.equal(new sdk.MockTransportError("m").code, "MOCK_TRANSPORT");
  const stream = new sdk.ZabyStreamError({ status: 0, message: "s", code: "STREAM_ERROR", runId: "r" });
  assert.deepEqual([stream.runId, stream.lastEventId], ["r", null]);
});

test("construction errors: INVALID_ARGUMENT and INVALID_CONFIG as ZabyError", () => {
  const cases = [
    [() => new sdk.Zaby({}), "INVALID_ARGUMENT", /^apiKey is required \(or accessToken\)$/],
    [() => new sdk.Zaby({ apiKey: "" }), "INVALID_ARGUMENT", /^apiKey must not be an empty string$/],
    [() => new sdk.Zaby({ apiKey: "k", accessToken: "" }), "INVALID_ARGUMENT", /^accessToken must not be an empty string$/],
    [() => new sdk.ZabyRuntime({}), "INVALID_ARGUMENT", /^token is required$/],
    [() => new sdk.ZabyRuntime({ token: "" }), "INVALID_ARGUMENT", /^token must not be an empty string$/],
    [() => new sdk.Zaby({ apiKey: "k", apiOrigin: 42 }), "INVALID_ARGUMENT", /^apiOrigin must be a string, got number 42$/],
    [() => new sdk.Zaby({ apiKey: "k", baseURL: "localhost" }), "INVALID_CONFIG", /localhost/],
    [() => new sdk.Zaby({ apiKey: "k", config: { environment: "dev" } }), "INVALID_CONFIG", /"dev".*"production", "staging", "local"/],
    [() => new sdk.Zaby({ apiKey: "k", config: { fetch: "no" } }), "INVALID_CONFIG", /^config.fetch must be a function, got string "no"$/],
    [() => new sdk.Zaby({ apiKey: 42 }), "INVALID_ARGUMENT", /apiKey must be a string or a function/],
    [() => new sdk.Zaby({ apiKey: "k", config: { apiOrigin: "ftp://x" } }), "INVALID_CONFIG", /http:\/\/ or https:\/\//],
    [() => new sdk.Zaby({ apiKey: "k", config: { timeoutMs: 0 } }), "INVALID_CONFIG", /at least 1/],
    [() => new sdk.Zaby({ apiKey: "k", config: { timeout: 5 } }), "INVALID_CONFIG", /unknown config field "timeout"/],
    [() => new sdk.Zaby({ apiKey: "k", config: { retries: "3" } }), "INVALID_CONFIG", /config.retries must be an integer/],
  ];
  for (const [make, code, message] of cases) {
    assert.throws(make, (e) => {
      assert.equal(e.constructor, sdk.ZabyError);
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
  }
});

test("client errors carry code and class; close is idempotent and later calls fail CLIENT_CLOSED", async () => {
  const { zaby, runtime } = clients();
  await zaby.close();
  await zaby.close();
  const err = await rejection(zaby.agents.list());
  assert.equal(err.constructor, sdk.ZabyError);
  assert.equal(err.code, "CLIENT_CLOSED");
  await runtime.close();
  const streamErr = await rejection(runtime.runs.stream("r1").next());
  assert.equal(streamErr.code, "CLIENT_CLOSED");
});
