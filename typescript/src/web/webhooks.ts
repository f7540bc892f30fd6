/**
 * `webhooks.verify` and `verifySignature` in the web build (`docs/webhooks.md`,
 * `docs/function-tools.md`), mirroring `crates/zaby/src/webhooks.rs` (`verify`,
 * `verify_signature`, `check_signature`, `SignedHeaders::find`, `decode_secret`,
 * `check_timestamp`) and `tolerance_from_secs`, over WebCrypto: the same checks in the
 * same order, with the same errors and messages. The core's vectors replay against both
 * builds (test/conformance.test.mjs). WebCrypto is asynchronous, so here both functions
 * return a Promise where the Node build returns the value.
 *
 * ```ts
 * import { webhooks } from "@zaby/sdk";
 * const event = await webhooks.verify(await request.text(), request.headers, env.ZABY_WEBHOOK_SECRET);
 * ```
 */
import { ZabyError, ZabyWebhookVerificationError } from "../error-classes.js";
import { invalidArgument } from "../common.js";
import { signedRequest, type VerifyOptions, type WebhookHeaders } from "../webhooks-input.js";
import type { WebhookEvent, WebhookEventType } from "../types.js";

export { DEFAULT_TOLERANCE_S, type VerifyOptions, type WebhookHeaders } from "../webhooks-input.js";

/**
 * Resolves to the delivery's event once its signature and timestamp check out. `payload`
 * is the request body exactly as received (bytes, or the text they decode to); `secret`
 * the endpoint's `whsec_…` secret. Rejects with `ZabyWebhookVerificationError` (code
 * `WEBHOOK_SIGNATURE_INVALID` or `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`) when the delivery
 * cannot be trusted, `ZabyError` (`INVALID_ARGUMENT`) for a malformed secret.
 */
export async function verify(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyOptions = {},
): Promise<WebhookEvent> {
  return webhookEvent(parseJson(await checkSignature(payload, headers, secret, options), EVENT_SHAPE));
}

/**
 * Resolves to a signed request's body, parsed from JSON, once its signature and timestamp
 * check out: the check of `verify`, for bodies that are not webhook events (an http
 * function tool's call). Rejects as `verify` does, and with `ZabyError`
 * (`INVALID_ARGUMENT`) when the signed body is not JSON.
 */
export async function verifySignature(
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyOptions = {},
): Promise<unknown> {
  return parseJson(await checkSignature(payload, headers, secret, options), "JSON");
}

/** What `verify` reads the body as, named in its error. */
const EVENT_SHAPE = "a webhook event (id, type, createdAt, tenantId, data)";

/** `WebhookEventType`'s values (the core's `WebhookEventType::VALUES`; the vectors list them). */
const EVENT_TYPES: ReadonlySet<string> = new Set<WebhookEventType>([
  "run.started",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "run.waiting_for_approval",
  "run.waiting_for_tool_result",
  "approval.decided",
  "feedback.created",
  "deployment.active",
  "deployment.failed",
  "knowledge.job.succeeded",
  "knowledge.job.failed",
]);

/** The secret, the three headers, the timestamp, then one signature matching: the signed body. */
async function checkSignature(
  payload: unknown,
  headers: unknown,
  secret: unknown,
  options: VerifyOptions | undefined,
): Promise<Uint8Array> {
  const request = signedRequest(payload, headers, secret, options);
  const toleranceS = toleranceSecs(request.toleranceS);
  const key = decodeSecret(request.secret);
  const signed = signedHeaders(request.headers);
  checkTimestamp(signed.timestamp, toleranceS, BigInt(Math.floor(Date.now() / 1000)));

  const prefix = new TextEncoder().encode(`${signed.id}.${signed.timestamp}.`);
  const content = new Uint8Array(prefix.length + request.payload.length);
  content.set(prefix);
  content.set(request.payload, prefix.length);
  const subtle = webCrypto();
  const hmac = await subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  // `subtle.verify` compares in constant time; every entry is tried so that the time
  // taken does not tell which one matched.
  const candidates = signed.signatures
    .split(" ")
    .flatMap((entry) => (entry.startsWith("v1,") ? [decodeBase64(entry.slice(3))] : []))
    .filter((sig): sig is Uint8Array => sig !== null);
  const matches = await Promise.all(candidates.map((sig) => subtle.verify("HMAC", hmac, sig, content)));
  if (!matches.includes(true)) {
    throw signatureInvalid("no signature in webhook-signature matches the payload and the secret");
  }
  return request.payload;
}

/** What is used of WebCrypto's `SubtleCrypto` (the DOM types are not in this build's lib). */
interface Subtle {
  importKey(
    format: "raw",
    key: Uint8Array,
    algorithm: { name: "HMAC"; hash: "SHA-256" },
    extractable: false,
    usages: ["verify"],
  ): Promise<unknown>;
  verify(algorithm: "HMAC", key: unknown, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

function webCrypto(): Subtle {
  const subtle = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (subtle === undefined) {
    // Browsers give WebCrypto to secure contexts only.
    throw new ZabyError("webhooks need WebCrypto (crypto.subtle), which exists only on https:// or localhost pages");
  }
  return subtle;
}

/** `tolerance_from_secs`: whole seconds, refusing what `Duration::try_from_secs_f64` refuses. */
function toleranceSecs(secs: number): bigint {
  if (!(secs >= 0) || secs >= 2 ** 64) {
    throw invalidArgument(`the tolerance must be a finite number of seconds, 0 or more, not ${rustFloat(secs)}`);
  }
  return BigInt(Math.floor(secs));
}

/** A number as Rust's `Display` for `f64` writes it: never with an exponent, `inf`, `NaN`. */
function rustFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const text = String(Math.abs(x));
  const [mantissa = text, exponent] = text.split("e");
  if (exponent === undefined) return (x < 0 ? "-" : "") + text;
  const digits = mantissa.replace(".", "");
  const point = (mantissa.includes(".") ? mantissa.indexOf(".") : mantissa.length) + Number(exponent);
  const plain =
    point <= 0
      ? `0.${"0".repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + "0".repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (x < 0 ? "-" : "") + plain;
}

/** The three headers the scheme signs with (`SignedHeaders::find`): names in any case, the last one wins. */
function signedHeaders(headers: Record<string, string>): { id: string; timestamp: string; signatures: string } {
  const found: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.replace(/[A-Z]/g, (c) => c.toLowerCase()); // ASCII only, as the core
    if (lower === "webhook-id" || lower === "webhook-timestamp" || lower === "webhook-signature") {
      found[lower] = value.trim();
    }
  }
  const present = (name: string): string => {
    const value = found[name];
    if (value === undefined || value === "") throw signatureInvalid(`the ${name} header is missing`);
    return value;
  };
  return { id: present("webhook-id"), timestamp: present("webhook-timestamp"), signatures: present("webhook-signature") };
}

function decodeSecret(secret: string): Uint8Array {
  const key = decodeBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
  if (key === null || key.length === 0) {
    throw invalidArgument("the webhook secret must be `whsec_` followed by base64, as the server showed it");
  }
  return key;
}

// Literals, not `2n ** 63n`: a bundler keeps an expression that might throw even when unused.
const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

function checkTimestamp(header: string, toleranceS: bigint, now: bigint): void {
  const sent = /^[+-]?[0-9]+$/.test(header) ? BigInt(header) : null;
  if (sent === null || sent < I64_MIN || sent > I64_MAX) {
    throw signatureInvalid(`webhook-timestamp ${rustDebug(header)} is not a unix time in seconds`);
  }
  const skew = sent < now ? now - sent : sent - now;
  if (skew > toleranceS) {
    const when = sent < now ? "old" : "ahead of this clock";
    throw new ZabyWebhookVerificationError(
      `webhook-timestamp is ${skew} s ${when}; at most ${toleranceS} s is accepted`,
      { code: "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE" },
    );
  }
}

/** A string quoted as Rust's `{:?}` writes it (control characters as `\u{…}`). */
function rustDebug(text: string): string {
  const escaped = text.replace(/[\\"\n\r\t\0]|[\x01-\x1f\x7f]/g, (c) => {
    const named: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0" };
    return named[c] ?? `\\u{${c.charCodeAt(0).toString(16)}}`;
  });
  return `"${escaped}"`;
}

function signatureInvalid(message: string): ZabyWebhookVerificationError {
  return new ZabyWebhookVerificationError(message, { code: "WEBHOOK_SIGNATURE_INVALID" });
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 as the core's `STANDARD` engine reads it: padded, nothing else
 * (no whitespace), unused trailing bits zero; null when it is not.
 */
function decodeBase64(text: string): Uint8Array | null {
  if (!CANONICAL_BASE64.test(text)) return null;
  const digits = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((digits.length * 6) / 8));
  let bits = 0;
  let buffer = 0;
  let n = 0;
  for (const c of digits) {
    buffer = (buffer << 6) | BASE64.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (buffer >> bits) & 0xff;
    }
  }
  return (buffer & ((1 << bits) - 1)) === 0 ? out : null;
}

/** `serde_json::from_slice`: UTF-8 text holding one JSON value whose numbers are finite. */
function parseJson(body: Uint8Array, shape: string): unknown {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
    return JSON.parse(text, (_, value: unknown) => {
      if (typeof value === "number" && !Number.isFinite(value)) throw new RangeError("number out of range");
      return value;
    });
  } catch (e) {
    throw invalidArgument(`the signed payload is not ${shape}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The body read as the catalogue's `WebhookEvent`: the four named strings, `data` an object (`{}` when absent). */
function webhookEvent(body: unknown): WebhookEvent {
  const notEvent = (why: string) => invalidArgument(`the signed payload is not ${EVENT_SHAPE}: ${why}`);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw notEvent(`expected an object, got ${body === null ? "null" : Array.isArray(body) ? "an array" : typeof body}`);
  }
  const event = { ...(body as Record<string, unknown>) };
  for (const field of ["id", "type", "createdAt", "tenantId"]) {
    if (!Object.hasOwn(event, field)) throw notEvent(`missing field \`${field}\``);
    if (typeof event[field] !== "string") throw notEvent(`\`${field}\` must be a string`);
  }
  if (!EVENT_TYPES.has(event.type as string)) throw notEvent(`unknown event type ${JSON.stringify(event.type)}`);
  const data = Object.hasOwn(event, "data") ? event.data : {};
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw notEvent("`data` must be an object");
  event.data = data;
  return event as unknown as WebhookEvent;
}
