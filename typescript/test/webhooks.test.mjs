// webhooks.verify against deliveries signed by the independent `standardwebhooks` package:
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
