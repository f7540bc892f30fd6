/** Native error payloads → instances of the `docs/errors.md` classes (fields filled by the core). */
import {
  apiErrorClass,
  MockTransportError,
  ZabyConnectionError,
  ZabyError,
  ZabyStreamError,
  ZabyTimeoutError,
  ZabyWebhookVerificationError,
  type ZabyApiErrorInput,
} from "../errors.js";
import type { ErrorPayload } from "../native.js";
import { claimHostError } from "./liveness.js";

/** Marks the message of a native error thrown synchronously (`errors.rs`). */
const PAYLOAD_PREFIX = "\u0001zaby-error:";

export function errorFromPayload(p: ErrorPayload): unknown {
  if ("host" in p) {
    const claimed = claimHostError(p.host);
    return claimed.found ? claimed.error : new Error(p.message);
  }
  const cause = p.cause ? errorFromPayload(p.cause) : undefined;
  const code = p.code ?? null;
  switch (p.className) {
    case "ZabyError":
      return new ZabyError(p.message, { code, cause });
    case "ZabyConnectionError":
      return new ZabyConnectionError(p.message, { code, cause });
    case "ZabyTimeoutError":
      return new ZabyTimeoutError(p.message, { code, cause, timeoutMs: p.timeoutMs ?? 0 });
    case "MockTransportError":
      return new MockTransportError(p.message, { code, cause });
    case "ZabyWebhookVerificationError":
      return new ZabyWebhookVerificationError(p.message, { code, cause });
    case "Error":
      return new Error(p.message, cause === undefined ? undefined : { cause });
  }
  const input: ZabyApiErrorInput = {
    status: p.status ?? 0,
    message: p.message,
    code,
    requestId: p.requestId ?? null,
    retryAfter: p.retryAfter ?? null,
    details: p.details ?? null,
    headers: p.headers ?? {},
    cause,
  };
  if (p.className === "ZabyStreamError") {
    return new ZabyStreamError({ ...input, runId: p.runId ?? "", lastEventId: p.lastEventId ?? null });
  }
  return new (apiErrorClass(p.className))(input);
}

/** An exception thrown synchronously by the addon (construction, argument conversion). */
export function fromNativeThrow(e: unknown): unknown {
  if (e instanceof ZabyError) return e; // thrown by a facade check, already named
  const message = e instanceof Error ? e.message : "";
  if (message.startsWith(PAYLOAD_PREFIX)) {
    return errorFromPayload(JSON.parse(message.slice(PAYLOAD_PREFIX.length)) as ErrorPayload);
  }
  // napi rejected an argument before the core saw it (a non-string path parameter,
  // an `undefined` inside an array, a function in an input …).
  return new ZabyError(`invalid argument: ${message}`, { code: "INVALID_ARGUMENT", cause: e });
}

/** Calls the addon, turning a synchronous native exception into a Zaby error. */
export function nativeSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromNativeThrow(e);
  }
}
