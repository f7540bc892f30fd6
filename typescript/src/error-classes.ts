/**
 * The error hierarchy of `docs/errors.md`, as real `Error` subclasses: `instanceof` works
 * along the tree and `err.name` is the class name. Shared by the native and the web
 * build (no native import here); each core fills the fields and picks the class.
 */
export interface ZabyErrorOptions {
  code?: string | null;
  cause?: unknown;
}

/** Base of everything the SDK throws. */
export class ZabyError extends Error {
  /** Machine-readable code: the server's for API errors, the SDK's own otherwise (`docs/errors.md`). */
  code: string | null;

  constructor(message: string, options: ZabyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? null;
  }
}

/** Input of `new ZabyApiError(...)` and `createZabyApiError(...)`. */
export interface ZabyApiErrorInput {
  status: number;
  message: string;
  code?: string | null;
  requestId?: string | null;
  retryAfter?: number | null;
  details?: unknown;
  headers?: Record<string, string> | null;
  cause?: unknown;
}

/** The server answered with a non-2xx status. */
export class ZabyApiError extends ZabyError {
  status: number;
  requestId: string | null;
  /** Seconds from `retry-after`, or null. */
  retryAfter: number | null;
  /** The whole parsed response body, or null. */
  details: unknown;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;

  constructor(input: ZabyApiErrorInput) {
    super(input.message, { code: input.code ?? null, cause: input.cause });
    this.status = input.status;
    this.requestId = input.requestId ?? null;
    this.retryAfter = input.retryAfter ?? null;
    this.details = input.details ?? null;
    this.headers = { ...(input.headers ?? {}) };
  }

  /** Alias of `details`. */
  get body(): unknown {
    return this.details;
  }
}

export class ZabyAuthError extends ZabyApiError {}
export class ZabyRuntimeTokenExpiredError extends ZabyAuthError {}
export class ZabyPermissionError extends ZabyApiError {}
export class ZabyRuntimeTokenExhaustedError extends ZabyPermissionError {}
export class ZabyNotFoundError extends ZabyApiError {}
export class ZabyConflictError extends ZabyApiError {}
export class ZabyValidationError extends ZabyApiError {}
export class ZabyRateLimitError extends ZabyApiError {}

export interface ZabyStreamErrorInput extends ZabyApiErrorInput {
  runId: string;
  lastEventId?: string | null;
}

/** A failure while consuming the SSE stream (`docs/streaming.md`). */
export class ZabyStreamError extends ZabyApiError {
  runId: string;
  /** Id of the last event delivered before the failure (resume from it). */
  lastEventId: string | null;

  constructor(input: ZabyStreamErrorInput) {
    super(input);
    this.runId = input.runId;
    this.lastEventId = input.lastEventId ?? null;
  }
}

/** Network or transport failure: no HTTP response. */
export class ZabyConnectionError extends ZabyError {
  constructor(message: string, options: ZabyErrorOptions = {}) {
    super(message, { code: options.code ?? "CONNECTION_ERROR", cause: options.cause });
  }
}

/** An attempt exceeded its deadline. */
export class ZabyTimeoutError extends ZabyError {
  /** The deadline that was exceeded, in milliseconds. */
  timeoutMs: number;

  constructor(message: string, options: ZabyErrorOptions & { timeoutMs: number }) {
    super(message, { code: options.code ?? "TIMEOUT", cause: options.cause });
    this.timeoutMs = options.timeoutMs;
  }
}

/** `MockTransport` found no matching response (`docs/testing.md`). */
export class MockTransportError extends ZabyError {
  constructor(message: string, options: ZabyErrorOptions = {}) {
    super(message, { code: options.code ?? "MOCK_TRANSPORT", cause: options.cause });
  }
}

/**
 * `webhooks.verify` refused a delivery: no signature matches, a signed header is missing
 * (`WEBHOOK_SIGNATURE_INVALID`), or its timestamp is outside the tolerance
 * (`WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`).
 */
export class ZabyWebhookVerificationError extends ZabyError {
  constructor(message: string, options: ZabyErrorOptions = {}) {
    super(message, { code: options.code ?? "WEBHOOK_SIGNATURE_INVALID", cause: options.cause });
  }
}

/** The API classes by name, for `createZabyApiError`. */
const API_CLASSES = {
  ZabyApiError,
  ZabyAuthError,
  ZabyRuntimeTokenExpiredError,
  ZabyPermissionError,
  ZabyRuntimeTokenExhaustedError,
  ZabyNotFoundError,
  ZabyConflictError,
  ZabyValidationError,
  ZabyRateLimitError,
} as const;

const ALL_CLASSES = {
  ZabyError,
  ...API_CLASSES,
  ZabyStreamError,
  ZabyConnectionError,
  ZabyTimeoutError,
  MockTransportError,
  ZabyWebhookVerificationError,
};

// `name` is the class name on every instance, and survives minifiers that rename classes.
for (const [name, cls] of Object.entries(ALL_CLASSES)) {
  Object.defineProperty(cls.prototype, "name", { value: name, writable: true, configurable: true, enumerable: false });
}

/** @internal The API class named `className` (the core names it). */
export function apiErrorClass(className: string): typeof ZabyApiError {
  return (API_CLASSES as Record<string, typeof ZabyApiError>)[className] ?? ZabyApiError;
}

/** Parent of every class by name (`docs/errors.md`), for the `isZaby…` helpers. */
const PARENTS: Record<string, string> = {
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

/**
 * Whether `value` is an error of class `name` or one of its subclasses, by `instanceof`
 * or by `name` along the hierarchy: an error thrown by the other build of the package
 * (native or web, two copies of the classes) is recognised too.
 */
function isA<T>(cls: abstract new (...args: never[]) => T, name: string, value: unknown): value is T {
  if (value instanceof cls) return true;
  if (!(value instanceof Error)) return false;
  for (let n: string | undefined = value.name; n !== undefined; n = PARENTS[n]) {
    if (n === name) return true;
  }
  return false;
}

export const isZabyError = (v: unknown): v is ZabyError => isA(ZabyError, "ZabyError", v);
export const isZabyApiError = (v: unknown): v is ZabyApiError => isA(ZabyApiError, "ZabyApiError", v);
export const isZabyAuthError = (v: unknown): v is ZabyAuthError => isA(ZabyAuthError, "ZabyAuthError", v);
export const isZabyRuntimeTokenExpiredError = (v: unknown): v is ZabyRuntimeTokenExpiredError =>
  isA(ZabyRuntimeTokenExpiredError, "ZabyRuntimeTokenExpiredError", v);
export const isZabyPermissionError = (v: unknown): v is ZabyPermissionError =>
  isA(ZabyPermissionError, "ZabyPermissionError", v);
export const isZabyRuntimeTokenExhaustedError = (v: unknown): v is ZabyRuntimeTokenExhaustedError =>
  isA(ZabyRuntimeTokenExhaustedError, "ZabyRuntimeTokenExhaustedError", v);
export const isZabyNotFoundError = (v: unknown): v is ZabyNotFoundError => isA(ZabyNotFoundError, "ZabyNotFoundError", v);
export const isZabyConflictError = (v: unknown): v is ZabyConflictError => isA(ZabyConflictError, "ZabyConflictError", v);
export const isZabyValidationError = (v: unknown): v is ZabyValidationError =>
  isA(ZabyValidationError, "ZabyValidationError", v);
export const isZabyRateLimitError = (v: unknown): v is ZabyRateLimitError =>
  isA(ZabyRateLimitError, "ZabyRateLimitError", v);
export const isZabyStreamError = (v: unknown): v is ZabyStreamError => isA(ZabyStreamError, "ZabyStreamError", v);
export const isZabyConnectionError = (v: unknown): v is ZabyConnectionError =>
  isA(ZabyConnectionError, "ZabyConnectionError", v);
export const isZabyTimeoutError = (v: unknown): v is ZabyTimeoutError => isA(ZabyTimeoutError, "ZabyTimeoutError", v);
export const isMockTransportError = (v: unknown): v is MockTransportError =>
  isA(MockTransportError, "MockTransportError", v);
export const isZabyWebhookVerificationError = (v: unknown): v is ZabyWebhookVerificationError =>
  isA(ZabyWebhookVerificationError, "ZabyWebhookVerificationError", v);
