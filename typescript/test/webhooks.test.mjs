// webhooks.verify (and verifySignature, at the end) against requests signed by the independent `standardwebhooks` package:
// what it signs verifies; a tampered body, an old timestamp or a foreign secret does not;
// after a rotation both signatures travel and either secret verifies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { sdk } from "./helpers.mjs";

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

function refusal(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected webhooks.verify to throw");
}

test("a delivery signed by the reference implementation verifies, as text or bytes, with plain or fetch headers", () => {
  const headers = signed();
  assert.deepEqual(webhooks.verify(BODY, headers, OLD), EVENT);
  assert.deepEqual(webhooks.verify(new TextEncoder().encode(BODY), new Headers(headers), OLD), EVENT);
  assert.deepEqual(new Webhook(OLD).verify(BODY, headers), EVENT);
});

test("a tampered body is refused with WEBHOOK_SIGNATURE_INVALID", () => {
  const err = refusal(() => webhooks.verify(BODY.replace("COMPLETED", "FAILED"), signed(), OLD));
  assert.ok(err instanceof ZabyWebhookVerificationError && err instanceof ZabyError);
  assert.ok(isZabyWebhookVerificationError(err));
  assert.equal(err.name, "ZabyWebhookVerificationError");
  assert.equal(err.code, "WEBHOOK_SIGNATURE_INVALID");
});

test("an old timestamp is refused, unless the tolerance is widened", () => {
  const headers = signed({ sentMs: Date.now() - 600_000 });
  const err = refusal(() => webhooks.verify(BODY, headers, OLD));
  assert.equal(err.code, "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE");
  assert.match(err.message, /old/);
  assert.equal(webhooks.verify(BODY, headers, OLD, { toleranceS: 900 }).id, EVENT.id);
});

test("after a rotation both signatures are sent and either secret verifies", () => {
  const headers = signed({ secrets: [OLD, NEW] });
  assert.equal(headers["Webhook-Signature"].split(" ").length, 2);
  assert.equal(webhooks.verify(BODY, headers, OLD).id, EVENT.id);
  assert.equal(webhooks.verify(BODY, headers, NEW).id, EVENT.id);
  assert.equal(refusal(() => webhooks.verify(BODY, headers, secret())).code, "WEBHOOK_SIGNATURE_INVALID");
});

test("a missing header is named; a malformed secret or tolerance is an invalid argument", () => {
  const { "Webhook-Signature": _, ...unsigned } = signed();
  assert.match(refusal(() => webhooks.verify(BODY, unsigned, OLD)).message, /webhook-signature header is missing/);
  const badSecret = refusal(() => webhooks.verify(BODY, signed(), "whsec_***"));
  assert.equal(badSecret.code, "INVALID_ARGUMENT");
  assert.ok(!(badSecret instanceof ZabyWebhookVerificationError));
  assert.equal(refusal(() => webhooks.verify(BODY, signed(), OLD, { toleranceS: -1 })).code, "INVALID_ARGUMENT");
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

test("a signed tool call verifies and its body is returned; verify refuses it as not an event", () => {
  assert.deepEqual(webhooks.verifySignature(CALL_BODY, signedCall(), OLD), CALL);
  assert.deepEqual(webhooks.verifySignature(new TextEncoder().encode(CALL_BODY), new Headers(signedCall()), OLD), CALL);
  const notAnEvent = refusal(() => webhooks.verify(CALL_BODY, signedCall(), OLD));
  assert.equal(notAnEvent.code, "INVALID_ARGUMENT");
  assert.match(notAnEvent.message, /not a webhook event/);
});

test("a tool call is refused as a delivery is: tampered body, wrong secret, stale timestamp", () => {
  const tampered = refusal(() => webhooks.verifySignature(CALL_BODY.replace("Oslo", "Bergen"), signedCall(), OLD));
  assert.ok(tampered instanceof ZabyWebhookVerificationError);
  assert.equal(tampered.code, "WEBHOOK_SIGNATURE_INVALID");
  const foreign = refusal(() => webhooks.verifySignature(CALL_BODY, signedCall(), NEW));
  assert.ok(foreign instanceof ZabyWebhookVerificationError);
  assert.equal(foreign.code, "WEBHOOK_SIGNATURE_INVALID");
  const stale = refusal(() => webhooks.verifySignature(CALL_BODY, signedCall({ sentMs: Date.now() - 600_000 }), OLD));
  assert.ok(stale instanceof ZabyWebhookVerificationError);
  assert.equal(stale.code, "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE");
});

test("a tool call signed with both secrets during a rotation verifies with either", () => {
  const headers = signedCall({ secrets: [OLD, NEW] });
  assert.deepEqual(webhooks.verifySignature(CALL_BODY, headers, OLD), CALL);
  assert.deepEqual(webhooks.verifySignature(CALL_BODY, headers, NEW), CALL);
});

test("a signed body that is not JSON is an invalid argument", () => {
  const text = "sunny, probably";
  const err = refusal(() => webhooks.verifySignature(text, signedCall({ body: text }), OLD));
  assert.equal(err.code, "INVALID_ARGUMENT");
  assert.match(err.message, /not JSON/);
  assert.ok(!(err instanceof ZabyWebhookVerificationError));
});
