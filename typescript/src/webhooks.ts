/**
 * Checking that a webhook delivery (`docs/webhooks.md`) or an http function tool's call
 * (`docs/function-tools.md`) comes from the Zaby server.
 * The check — the Standard Webhooks signature scheme, several signatures after a secret
 * rotation, constant-time comparison, the timestamp tolerance — happens in the Rust core;
 * this module only hands the delivery to it.
 *
 * ```ts
 * import { webhooks } from "@zaby/sdk";
 * const event = webhooks.verify(rawBody, req.headers, process.env.ZABY_WEBHOOK_SECRET!);
 * if (event.type === "run.completed") { … }
 * const call = webhooks.verifySignature(rawBody, req.headers, process.env.ZABY_TOOL_SECRET!);
 * ```
 */
import { native } from "./native.js";
import { nativeSync } from "./internal/convert.js";
import { signedRequest, type VerifyOptions, type WebhookHeaders } from "./webhooks-input.js";
import type { WebhookEvent } from "./types.js";

export { DEFAULT_TOLERANCE_S, type VerifyOptions, type WebhookHeaders } from "./webhooks-input.js";

/**
 * Returns the delivery's event once its signature and timestamp check out. `payload` is
 * the request body exactly as received (bytes, or the text they decode to); `secret` the
 * endpoint's `whsec_…` secret. Throws `ZabyWebhookVerificationError` (code
 * `WEBHOOK_SIGNATURE_INVALID` or `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`) when the delivery
 * cannot be trusted, `ZabyError` (`INVALID_ARGUMENT`) for a malformed secret.
 */
export function verify(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyOptions = {},
): WebhookEvent {
  return nativeSync(() => {
    const r = signedRequest(payload, headers, secret, options);
    return native().verifyWebhook(r.payload, r.headers, r.secret, r.toleranceS);
  }) as WebhookEvent;
}

/**
 * Returns a signed request's body, parsed from JSON, once its signature and timestamp
 * check out: the check of `verify`, for bodies that are not webhook events. An http
 * function tool's receiver gives it the call as received and the agent's
 * `functionToolSecret`, and gets `{ toolCallId, runId, agentId, name, arguments }` back.
 * Throws as `verify` does, and `ZabyError` (`INVALID_ARGUMENT`) when the signed body is
 * not JSON.
 */
export function verifySignature(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyOptions = {},
): unknown {
  return nativeSync(() => {
    const r = signedRequest(payload, headers, secret, options);
    return native().verifySignature(r.payload, r.headers, r.secret, r.toleranceS);
  });
}
