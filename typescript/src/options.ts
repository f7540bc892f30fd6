/** Per-call options, queries and stream events (`docs/configuration.md`, `docs/streaming.md`). */

import type { ClientTools } from "./client-tools.js";

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
  /**
   * Functions answering the run's client tool calls by name (`docs/function-tools.md`):
   * each gets the call's arguments and its value (or the message of what it throws) is
   * submitted as the result; every event is still yielded.
   */
  tools?: ClientTools;
};

/** A query-string value: `null`/`undefined` are dropped, arrays repeat the key. */
export type QueryScalar = string | number | boolean | null | undefined;
export type QueryValue = QueryScalar | readonly QueryScalar[];
/** A flat query mapping (nested objects are rejected). */
export type Query = { readonly [key: string]: QueryValue };
/** The query of `runtime.runs.stream`, which may carry the stream's `tools` too (`stream(runId, { tools })`). */
export type StreamQuery = Query | { readonly tools: ClientTools; readonly [key: string]: QueryValue | ClientTools };

export type { SseEvent } from "./types.js";
