/**
 * What `webhooks.verify` and `verifySignature` accept, the same in both builds (no addon
 * import here): the default tolerance, the argument checks and the headers flattened into
 * one record. The check itself is the Rust core's (`webhooks.ts`) or, in the web build,
 * its mirror over WebCrypto (`web/webhooks.ts`).
 */
import { describe, invalidArgument } from "./common.js";

/** How far `webhook-timestamp` may be from now, either way, by default (seconds). */
export const DEFAULT_TOLERANCE_S = 300;

export interface VerifyOptions {
  /** Seconds `webhook-timestamp` may be from now, either way (default 300). */
  toleranceS?: number;
}

/** Request headers as Node (`req.headers`) or fetch (`Headers`) give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** The arguments of a verify, checked and in the shapes the core takes. */
export interface SignedRequest {
  payload: Uint8Array;
  headers: Record<string, string>;
  secret: string;
  toleranceS: number;
}

/** Checks the arguments' types (their values are the core's to judge) and converts them. */
export function signedRequest(
  payload: unknown,
  headers: unknown,
  secret: unknown,
  options: VerifyOptions | undefined,
): SignedRequest {
  const toleranceS: unknown = options?.toleranceS ?? DEFAULT_TOLERANCE_S;
  if (typeof secret !== "string") throw invalidArgument(`secret must be a string, got ${describe(secret)}`);
  if (typeof toleranceS !== "number") {
    throw invalidArgument(`toleranceS must be a number, got ${describe(toleranceS)}`);
  }
  return { payload: payloadBytes(payload), headers: plainHeaders(headers), secret, toleranceS };
}

function payloadBytes(payload: unknown): Uint8Array {
  if (typeof payload === "string") return new TextEncoder().encode(payload);
  if (payload instanceof Uint8Array) return payload;
  throw invalidArgument(`payload must be the raw body as a string or a Uint8Array, got ${describe(payload)}`);
}

function plainHeaders(headers: unknown): Record<string, string> {
  if (typeof headers !== "object" || headers === null) {
    throw invalidArgument(`headers must be a Headers or an object of header values, got ${describe(headers)}`);
  }
  const plain: Record<string, string> = {};
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    // Node gives a repeated header as an array; HTTP joins repeats with a comma.
    if (Array.isArray(value)) plain[name] = value.join(", ");
    else if (typeof value === "string") plain[name] = value;
    else throw invalidArgument(`headers[${JSON.stringify(name)}] must be a string or an array of strings, got ${describe(value)}`);
  }
  return plain;
}
