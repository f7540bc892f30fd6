// webhooks.verify (and verifySignature, at the end) against requests signed by the independent `standardwebhooks` package,
// in both builds (the web build's functions return Promises, awaited here as the native values are):
// what it signs verifies; a tampered body, an old timestamp or a foreign secret does not;
// after a rotation both signatures travel and either secret verifies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { BUILD, sdk } from "./helpers.mjs";

const { webhooks, ZabyError, ZabyWebhookVerificationError, isZabyWebhookVerificationError } = sdk;
const secret = () => `whsec_${randomBytes(32).toString("base64")}`;
const OLD = secret();
const NEW = secret();
const EVENT = {
  id: "evt_ts_1",
  type: "run.completed",
  createdAt: "2026-12-06T15:00:00Z",
  tenantId: "ten_1",
  data: { run: { id: "run_1", status: "COMPLETED" } },
};
const BODY = JSON.stringify(EVENT);

function signed({ body = BODY, secrets = [OLD], sentMs = Date.now() } = {}) {
  const at = new Date(sentMs);
  return {
    "Webhook-Id": EVENT.id,
    "Webhook-Timestamp": String(Math.floor(sentMs / 1000)),
    "Webhook-Signature": secrets.map((s) => new Webhook(s).sign(EVENT.id, at, body)).join(" "),
  };
}

async function refusal(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected webhooks.verify to throw");
}

test("a delivery signed by the reference implementation verifies, as text or bytes, with plain or fetch headers", async () => {
  const headers = signed();
  assert.deepEqual(await webhooks.verify(BODY, headers, OLD), EVENT);
  assert.deepEqual(await webhooks.verify(new TextEncoder().encode(BODY), new Headers(headers), OLD), EVENT);
  assert.deepEqual(new Webhook(OLD).verify(BODY, headers), EVENT);
});

test("a tampered body is refused with WEBHOOK_SIGNATURE_INVALID", async () => {
  const err = await refusal(() => webhooks.verify(BODY.replace("COMPLETED", "FAILED"), signed(), OLD));
  assert.ok(err instanceof ZabyWebhookVerificationError && err instanceof ZabyError);
  assert.ok(isZabyWebhookVerificationError(err));
  assert.equal(err.name, "ZabyWebhookVerificationError");
  assert.equal(err.code, "WEBHOOK_SIGNATURE_INVALID");
});

test("an old timestamp is refused, unless the tolerance is widened", async () => {
  const headers = signed({ sentMs: Date.now() - 600_000 });
  const err = await refusal(() => webhooks.verify(BODY, headers, OLD));
  assert.equal(err.code, "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE");
  assert.match(err.message, /old/);
  assert.equal((await webhooks.verify(BODY, headers, OLD, { toleranceS: 900 })).id, EVENT.id);
});

test("after a rotation both signatures are sent and either secret verifies", async () => {
  const headers = signed({ secrets: [OLD, NEW] });
  assert.equal(headers["Webhook-Signature"].split(" ").length, 2);
  assert.equal((await webhooks.verify(BODY, headers, OLD)).id, EVENT.id);
  assert.equal((await webhooks.verify(BODY, headers, NEW)).id, EVENT.id);
  assert.equal((await refusal(() => webhooks.verify(BODY, headers, secret()))).code, "WEBHOOK_SIGNATURE_INVALID");
});

test("a missing header is named; a malformed secret or tolerance is an invalid argument", async () => {
  const { "Webhook-Signature": _, ...unsigned } = signed();
  assert.match((await refusal(() => webhooks.verify(BODY, unsigned, OLD))).message, /webhook-signature header is missing/);
  const badSecret = await refusal(() => webhooks.verify(BODY, signed(), "whsec_***"));
  assert.equal(badSecret.code, "INVALID_ARGUMENT");
  assert.ok(!(badSecret instanceof ZabyWebhookVerificationError));
  assert.equal((await refusal(() => webhooks.verify(BODY, signed(), OLD, { toleranceS: -1 }))).code, "INVALID_ARGUMENT");
});

// verifySignature: an http function tool's call (docs/function-tools.md), signed the way the
// server signs it — the same scheme, here by the reference implementation — with the agent's
// function-tool secret. It is not a webhook event, so verify refuses its body.
const CALL = { toolCallId: "call_ts_1", runId: "run_1", agentId: "agt_1", name: "get_weather", arguments: { city: "Oslo" } };
const CALL_BODY = JSON.stringify(CALL);

function signedCall({ body = CALL_BODY, secrets = [OLD], sentMs = Date.now() } = {}) {
  const at = new Date(sentMs);
  return {
    "webhook-id": CALL.toolCallId,
    "webhook-timestamp": String(Math.floor(sentMs / 1000)),
    "webhook-signature": secrets.map((s) => new Webhook(s).sign(CALL.toolCallId, at, body)).join(" "),
  };
}

test("a signed tool call verifies and its body is returned; verify refuses it as not an event", async () => {
  assert.deepEqual(await webhooks.verifySignature(CALL_BODY, signedCall(), OLD), CALL);
  assert.deepEqual(await webhooks.verifySignature(new TextEncoder().encode(CALL_BODY), new Headers(signedCall()), OLD), CALL);
  const notAnEvent = await refusal(() => webhooks.verify(CALL_BODY, signedCall(), OLD));
  assert.equal(notAnEvent.code, "INVALID_ARGUMENT");
  assert.match(notAnEvent.message, /not a webhook event/);
});

test("a tool call is refused as a delivery is: tampered body, wrong secret, stale timestamp", async () => {
  const tampered = await refusal(() => webhooks.verifySignature(CALL_BODY.replace("Oslo", "Bergen"), signedCall(), OLD));
  assert.ok(tampered instanceof ZabyWebhookVerificationError);
  assert.equal(tampered.code, "WEBHOOK_SIGNATURE_INVALID");
  const foreign = await refusal(() => webhooks.verifySignature(CALL_BODY, signedCall(), NEW));
  assert.ok(foreign instanceof ZabyWebhookVerificationError);
  assert.equal(foreign.code, "WEBHOOK_SIGNATURE_INVALID");
  const stale = await refusal(() => webhooks.verifySignature(CALL_BODY, signedCall({ sentMs: Date.now() - 600_000 }), OLD));
  assert.ok(stale instanceof ZabyWebhookVerificationError);
  assert.equal(stale.code, "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE");
});

test("a tool call signed with both secrets during a rotation verifies with either", async () => {
  const headers = signedCall({ secrets: [OLD, NEW] });
  assert.deepEqual(await webhooks.verifySignature(CALL_BODY, headers, OLD), CALL);
  assert.deepEqual(await webhooks.verifySignature(CALL_BODY, headers, NEW), CALL);
});

test("a signed body that is not JSON is an invalid argument", async () => {
  const text = "sunny, probably";
  const err = await refusal(() => webhooks.verifySignature(text, signedCall({ body: text }), OLD));
  assert.equal(err.code, "INVALID_ARGUMENT");
  assert.match(err.message, /not JSON/);
  assert.ok(!(err instanceof ZabyWebhookVerificationError));
});

test("the web build's functions return Promises, the native build's the values", async () => {
  const pending = webhooks.verify(BODY, signed(), OLD);
  assert.equal(pending instanceof Promise, BUILD === "web");
  assert.deepEqual(await pending, EVENT);
  assert.equal(webhooks.DEFAULT_TOLERANCE_S, 300);
});

test("arguments of the wrong type are invalid arguments naming them", async () => {
  const cases = [
    [() => webhooks.verify(42, signed(), OLD), /^payload must be the raw body as a string or a Uint8Array, got number 42$/],
    [() => webhooks.verify(BODY, null, OLD), /^headers must be a Headers or an object of header values, got null$/],
    [() => webhooks.verify(BODY, { ...signed(), "x-n": 5 }, OLD), /^headers\["x-n"\] must be a string or an array of strings, got number 5$/],
    [() => webhooks.verify(BODY, signed(), undefined), /^secret must be a string, got undefined$/],
    [() => webhooks.verifySignature(CALL_BODY, signedCall(), OLD, { toleranceS: "300" }), /^toleranceS must be a number, got string "300"$/],
  ];
  for (const [call, message] of cases) {
    const err = await refusal(call);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.ok(err instanceof ZabyError && !(err instanceof ZabyWebhookVerificationError));
    assert.match(err.message, message);
  }
});

// The web build reads the clock and WebCrypto from the page; the native build from the core
// (whose own tests pin the boundary: crates/zaby/src/webhooks/tests.rs).
test("web build: a skew equal to the tolerance passes, one second more does not; a fraction is cut", { skip: BUILD !== "web" }, async (t) => {
  const sentMs = 1_796_000_000_000;
  const headers = signed({ sentMs });
  const at = (ms) => t.mock.method(Date, "now", () => ms);
  at(sentMs + 300_999);
  assert.equal((await webhooks.verify(BODY, headers, OLD)).id, EVENT.id);
  at(sentMs + 301_000);
  const late = await refusal(() => webhooks.verify(BODY, headers, OLD, { toleranceS: 300.9 }));
  assert.equal(late.message, "webhook-timestamp is 301 s old; at most 300 s is accepted");
  at(sentMs - 301_000);
  const early = await refusal(() => webhooks.verify(BODY, headers, OLD));
  assert.equal(early.message, "webhook-timestamp is 301 s ahead of this clock; at most 300 s is accepted");
});

test("web build: without WebCrypto (an insecure page) verify says so", { skip: BUILD !== "web" }, async () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
  try {
    const err = await refusal(() => webhooks.verify(BODY, signed(), OLD));
    assert.ok(err instanceof ZabyError && !(err instanceof ZabyWebhookVerificationError));
    assert.match(err.message, /WebCrypto \(crypto\.subtle\)/);
  } finally {
    Object.defineProperty(globalThis, "crypto", original);
  }
});
