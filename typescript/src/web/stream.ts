/**
 * A run's SSE stream (`docs/streaming.md`) with reconnection and de-duplication (`docs/streaming.md`, steps
 * 7/7a as amended) and the stream errors of `docs/streaming.md`, mirroring
 * `crates/zaby/src/stream.rs`. Streams use `fetch` + `ReadableStream` (through the
 * transport), never `EventSource`, which cannot send the `authorization` header.
 */
import { ZabyError, ZabyStreamError, ZabyTimeoutError, type ZabyApiError } from "../error-classes.js";
import type { StreamOptions } from "../options.js";
import type { TransportResponse } from "../transport.js";
import type { RunEvent } from "../types.js";
import { abortable, sleep } from "./abort.js";
import { BodyReader, isTransient, type Call, type CallOptions, type WebCore } from "./core.js";
import { isTerminal, SseParser, toEvent, type RawSseEvent } from "./sse.js";

const DEFAULT_MAX_RECONNECTS = 5;
/** The idle timeout never drops below this: heartbeats come at most 15 s apart. */
const MIN_IDLE_TIMEOUT_MS = 45_000;
/** Statuses that a reconnect treats as one more transient failure. */
const TRANSIENT_STATUSES = [408, 429, 500, 502, 503, 504];

/** Why a connection ended without a terminal event. */
type Failure = { kind: "dropped"; cause?: unknown } | { kind: "idle" } | { kind: "status"; error: ZabyApiError };

/** A non-negative decimal id (digits only), for de-duplication; long ones compare as huge. */
function decimal(id: string): bigint | undefined {
  return /^\d+$/.test(id) ? BigInt(id) : undefined;
}

const IDLE = Symbol("idle");

export async function* runStream(core: WebCore, call: Call, runId: string, options: StreamOptions): AsyncGenerator<RunEvent, undefined, unknown> {
  const maxReconnects = options.maxReconnects ?? DEFAULT_MAX_RECONNECTS;
  const callOptions: CallOptions = { requestId: options.requestId, timeoutMs: options.timeoutMs, signal: options.signal };
  const idleMs = Math.max(core.attemptTimeout(callOptions), MIN_IDLE_TIMEOUT_MS);
  const closing = core.closing.signal;
  let lastId: string | undefined;
  const seen = new Set<string>();
  let failures = 0;
  let delivered = false;
  let ready: RawSseEvent[] = [];
  let body: BodyReader | undefined;
  let parser = new SseParser();

  const extra = (): Record<string, string> => (lastId === undefined ? {} : { "last-event-id": lastId });

  const streamError = (code: string, message: string, status: number, cause?: unknown): ZabyStreamError => {
    const fields = {
      status,
      code,
      message,
      requestId: options.requestId ?? null,
      details: null as unknown,
      headers: {} as Record<string, string>,
      retryAfter: null as number | null,
      runId,
      lastEventId: lastId ?? null,
      cause,
    };
    const src = cause as ZabyApiError | undefined;
    if (status !== 0 && src instanceof ZabyError && "status" in src) {
      // A reconnect refused with a non-transient status: the server's own fields.
      Object.assign(fields, {
        code: src.code,
        message: src.message,
        details: src.details,
        headers: src.headers,
        requestId: src.requestId ?? fields.requestId,
        retryAfter: src.retryAfter,
      });
    }
    return new ZabyStreamError(fields);
  };

  const timeoutError = () => new ZabyTimeoutError(`Zaby API request timed out after ${idleMs} ms.`, { timeoutMs: idleMs });

  const attach = (response: TransportResponse) => {
    parser = new SseParser();
    if (response.bodyStream !== undefined && response.bodyStream !== null) {
      body = new BodyReader(response.bodyStream);
    } else {
      // A complete body (what `MockTransport` supplies): parsed at once, final block included.
      ready.push(...SseParser.parseComplete(response.body ?? ""));
      body = undefined;
    }
  };

  const drop = () => {
    body?.close();
    body = undefined;
  };

  /** Reads the next chunk into `ready`, or says why the connection ended. */
  const readMore = async (): Promise<Failure | undefined> => {
    if (body === undefined) return { kind: "dropped" };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<typeof IDLE>((resolve) => {
      timer = setTimeout(() => resolve(IDLE), idleMs);
    });
    try {
      // `options.signal` aborts when the caller leaves (`return()`, its own signal).
      const step = await Promise.race([abortable(abortable(body.next(), closing), options.signal), idle]);
      if (step === IDLE) return { kind: "idle" };
      if (step.done) return { kind: "dropped" };
      ready.push(...parser.feed(step.value));
      return undefined;
    } catch (e) {
      if (closing.aborted || options.signal?.aborted) throw e;
      return { kind: "dropped", cause: e };
    } finally {
      clearTimeout(timer);
    }
  };

  const budgetExhausted = (failure: Failure): ZabyStreamError => {
    let code = "STREAM_DISCONNECTED";
    let cause: unknown;
    if (failure.kind === "idle") [code, cause] = ["STREAM_TIMEOUT", timeoutError()];
    else if (failure.kind === "dropped") [code, cause] = [failure.cause instanceof ZabyTimeoutError ? "STREAM_TIMEOUT" : code, failure.cause];
    else cause = failure.error;
    return streamError(code, `the run stream of ${runId} was interrupted ${failures} time(s) and could not be resumed`, 0, cause);
  };

  /** `docs/streaming.md` steps 3–6: count the failure, wait, reconnect, until the budget runs out. */
  const reconnectAfter = async (first: Failure): Promise<void> => {
    drop();
    if (delivered && lastId === undefined) {
      // `docs/streaming.md` step 7a: events went out without ids; a replay could not be de-duplicated.
      const cause = first.kind === "idle" ? timeoutError() : first.kind === "dropped" ? first.cause : first.error;
      throw streamError(
        "STREAM_DISCONNECTED",
        `the run stream of ${runId} was interrupted after events without ids; it cannot be resumed without delivering them twice`,
        0,
        cause,
      );
    }
    let failure = first;
    for (;;) {
      failures += 1;
      if (failures > maxReconnects) throw budgetExhausted(failure);
      const retryAfter = failure.kind === "status" ? failure.error.retryAfter ?? 0 : 0;
      const backoff = Math.min(250 * 2 ** Math.min(failures - 1, 16), 4000);
      await sleep(Math.max(backoff, retryAfter * 1000), options.signal, closing);
      let response: TransportResponse & { headers: Record<string, string> };
      try {
        response = await core.sendOnce(call, callOptions, true, extra());
      } catch (e) {
        if (isTransient(e)) {
          failure = { kind: "dropped", cause: e };
          continue;
        }
        if (e instanceof ZabyError && e.code === "CLIENT_CLOSED") throw e;
        const message = e instanceof Error ? e.message : String(e);
        throw streamError("STREAM_ERROR", `the run stream failed: ${message}`, 0, e);
      }
      if (response.status >= 200 && response.status < 300) {
        attach(response);
        return;
      }
      const error = await core.errorOf(response, callOptions);
      if (TRANSIENT_STATUSES.includes(error.status)) {
        failure = { kind: "status", error };
        continue;
      }
      throw streamError("STREAM_ERROR", error.message, error.status, error);
    }
  };

  try {
    // The first connection: an ordinary request with the retry policy of `docs/configuration.md`.
    attach(await core.sendWithRetries(call, callOptions, true, extra()));
    for (;;) {
      while (ready.length > 0) {
        const ev = ready.shift() as RawSseEvent;
        // De-duplication (`docs/streaming.md` step 8).
        if (ev.id !== undefined) {
          const n = decimal(ev.id);
          const last = lastId === undefined ? undefined : decimal(lastId);
          const duplicate = n !== undefined ? last !== undefined && n <= last : seen.has(ev.id);
          if (duplicate) {
            if (isTerminal(ev)) return undefined;
            continue;
          }
        }
        delivered = true;
        // Only an event with an id is progress (`docs/streaming.md` step 7).
        if (ev.id !== undefined) {
          if (decimal(ev.id) === undefined) seen.add(ev.id);
          lastId = ev.id;
          failures = 0;
        }
        const terminal = isTerminal(ev);
        yield toEvent(ev);
        if (terminal) return undefined;
      }
      const failure = await readMore();
      if (failure) await reconnectAfter(failure);
    }
  } finally {
    ready = [];
    drop();
  }
}
