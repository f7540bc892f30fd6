/** Per-call options, queries and stream events (`docs/configuration.md`, `docs/streaming.md`). */

/** Options every SDK method accepts as its last argument. */
export interface RequestOptions {
  /** Sent as `x-request-id` (correlation only; not the idempotency key). */
  requestId?: string;
  /** Deadline of each attempt in ms, overriding the configured `timeoutMs`. */
  timeoutMs?: number;
  /** Aborts the request or stream; the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of `runtime.runs.stream`. */
export type StreamOptions = RequestOptions & {
  /** Reconnections allowed after failures (default 5; 0 disables reconnection). */
  maxReconnects?: number;
};

/** A query-string value: `null`/`undefined` are dropped, arrays repeat the key. */
export type QueryScalar = string | number | boolean | null | undefined;
export type QueryValue = QueryScalar | readonly QueryScalar[];
/** A flat query mapping (nested objects are rejected). */
export type Query = { readonly [key: string]: QueryValue };

export type { SseEvent } from "./types.js";
