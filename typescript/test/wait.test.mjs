// deployments.waitUntilActive: the core polls E19 until 200, times out with the last
// answer, and raises any other error at once. Argument errors name the argument.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sdk, clients, rejection } from "./helpers.mjs";

const E19 = "/api/v1/provisioning/managed-agents/deployments/dep-1/provisioning";
const notReady = { code: "DEPLOYMENT_PROVISIONING_NOT_READY", message: "still PENDING" };

test("polls until the deployment is active and resolves with its provisioning", async () => {
  const { transport, zaby } = clients();
  transport.setResponse("GET", E19, 404, notReady);
  transport.setResponse("GET", E19, 404, notReady);
  transport.setResponse("GET", E19, 200, { deploymentId: "dep-1", status: "ACTIVE" });
  const started = Date.now();
  const provisioning = await zaby.deployments.waitUntilActive("dep-1");
  assert.deepEqual(provisioning, { deploymentId: "dep-1", status: "ACTIVE" });
  assert.equal(transport.requests.length, 3);
  assert.ok(Date.now() - started >= 290, "100 ms then 200 ms between polls");
});

test("timeoutMs bounds the wait: ZabyTimeoutError carrying the last answer", async () => {
  const { transport, zaby } = clients();
  for (let i = 0; i < 10; i++) transport.setResponse("GET", E19, 404, notReady);
  const err = await rejection(zaby.deployments.waitUntilActive("dep-1", { timeoutMs: 250 }));
  assert.ok(err instanceof sdk.ZabyTimeoutError);
  assert.equal(err.code, "TIMEOUT");
  assert.equal(err.timeoutMs, 250);
  assert.match(err.message, /^deployment dep-1 was not ACTIVE after 250 ms; the last answer was 404 DEPLOYMENT_PROVISIONING_NOT_READY: still PENDING$/);
});

test("any other error is raised at once", async () => {
  const { transport, zaby } = clients();
  transport.setResponse("GET", E19, 409, { code: "DEPLOYMENT_NOT_ACTIVE", message: "FAILED", details: { status: "FAILED" } });
  const err = await rejection(zaby.deployments.waitUntilActive("dep-1"));
  assert.ok(err instanceof sdk.ZabyConflictError);
  assert.equal(err.code, "DEPLOYMENT_NOT_ACTIVE");
  assert.equal(transport.requests.length, 1);
});

test("an AbortSignal stops the wait", async () => {
  const { transport, zaby } = clients();
  for (let i = 0; i < 10; i++) transport.setResponse("GET", E19, 404, notReady);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  const err = await rejection(zaby.deployments.waitUntilActive("dep-1", { signal: controller.signal }));
  assert.equal(err.name, "AbortError");
});

test("argument errors name the argument as written, never Rust types or snake_case", async () => {
  const { transport, zaby, runtime } = clients();
  const cases = [
    [zaby.agents.get(42), "agentId must be a string, got number 42"],
    [zaby.agents.get(""), "agentId must not be empty"],
    [zaby.deployments.getProvisioning(undefined), "deploymentId must be a string, got undefined"],
    [zaby.deployments.waitUntilActive(null), "deploymentId must be a string, got null"],
    [zaby.deployments.waitUntilActive("dep-1", { timeoutMs: -1 }), "timeoutMs must be a non-negative number of milliseconds, got -1"],
    [zaby.externalApps.bindDeployment({ id: 1 }, {}), "externalAppId must be a string, got an object"],
    [zaby.agents.iterRunEvents(7).next(), "runId must be a string, got number 7"],
    [runtime.runs.stream(5).next(), "runId must be a string, got number 5"],
  ];
  for (const [promise, message] of cases) {
    const err = await rejection(promise);
    assert.equal(err.constructor, sdk.ZabyError, message);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.equal(err.message, message);
  }
  assert.equal(transport.requests.length, 0, "nothing was sent");
});
