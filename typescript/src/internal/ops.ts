/**
 * Native operations as Promises and async generators, with `AbortSignal` support.
 * An abort cancels the core's token; the core stops with `ABORTED`, which surfaces
 * as the signal's reason, unwrapped (`docs/configuration.md`).
 */
import { native, type BatchOutcome, type Done, type ErrorPayload, type NativeCancel, type NativeCursor, type Outcome } from "../native.js";
import { errorFromPayload, fromNativeThrow } from "./convert.js";
import { operation } from "./liveness.js";

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

function failure(outcome: Extract<Outcome, { ok: false }>, signal: AbortSignal | undefined): unknown {
  const payload = outcome.error;
  if (signal?.aborted && "code" in payload && payload.code === "ABORTED") return abortReason(signal);
  return errorFromPayload(payload);
}

/** Wires `signal` to a fresh native cancel handle; returns it and the unhook function. */
function linkSignal(signal: AbortSignal | undefined): [NativeCancel | undefined, () => void] {
  if (!signal) return [undefined, () => {}];
  const cancel = new (native().NativeCancel)();
  const onAbort = () => cancel.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  return [cancel, () => signal.removeEventListener("abort", onAbort)];
}

/** Runs one native operation that reports to a callback, as a Promise. */
export function runNative(start: (done: Done, cancel: NativeCancel | undefined) => void, signal?: AbortSignal): Promise<unknown> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const [cancel, unlink] = linkSignal(signal);
    operation(true);
    let settled = false;
    const done: Done = (outcome) => {
      if (settled) return;
      settled = true;
      operation(false);
      unlink();
      if (outcome.ok) resolve((outcome.json !== undefined ? JSON.parse(outcome.json) : outcome.value) ?? undefined);
      else reject(failure(outcome, signal));
    };
    try {
      start(done, cancel);
    } catch (e) {
      settled = true;
      operation(false);
      unlink();
      reject(fromNativeThrow(e));
    }
  });
}

/**
 * An async generator over a native cursor. It opens the cursor on the first `next()`
 * (streams connect lazily), serialises `next()` calls, and `return()` closes the
 * cursor at once — even while a `next()` is in flight — so `break` in `for await`
 * drops the HTTP connection immediately.
 *
 * A `batched` cursor (a run's events) is read a batch at a time: as soon as one batch
 * arrives the next is requested, so the core reads and parses ahead while the caller
 * handles events, and `next()` answers from the batch without crossing into native
 * code. At most one batch is held and one requested, so memory stays flat. The request
 * made ahead keeps the process alive only while a caller waits for it.
 */
export class CursorGenerator<T> implements AsyncGenerator<T, undefined, unknown> {
  private cursor: NativeCursor | undefined;
  private finished = false;
  private unlink: () => void = () => {};
  private queue: Promise<unknown> = Promise.resolve();
  /** `next()` calls queued behind a step that waits on native code. */
  private waiting = 0;
  private items: T[] = [];
  private index = 0;
  /** The batch requested ahead, if any. */
  private ahead: Promise<BatchOutcome> | undefined;
  /** What follows the held batch: the end, or a failure to throw. */
  private tail: { error?: ErrorPayload } | undefined;

  constructor(
    private readonly open: (cancel: NativeCancel | undefined) => NativeCursor,
    private readonly signal: AbortSignal | undefined,
    private readonly batched = false,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.waiting === 0 && this.index < this.items.length && !this.finished && !this.signal?.aborted) {
      return Promise.resolve({ done: false, value: this.take() });
    }
    this.waiting += 1;
    const step = this.queue.then(() => this.step());
    const settled = step.then(
      () => {
        this.waiting -= 1;
      },
      () => {
        this.waiting -= 1;
      },
    );
    this.queue = settled;
    return step;
  }

  private take(): T {
    const value = this.items[this.index] as T;
    this.items[this.index] = undefined as T; // the caller holds it now; the batch does not
    this.index += 1;
    if (this.batched) {
      // A decimal event id crosses as a number (cursor.rs); events carry it as a string.
      const event = value as { id?: unknown };
      if (typeof event.id === "number") event.id = String(event.id);
    }
    return value;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.items = [];
    this.index = 0;
    this.ahead = undefined;
    this.unlink();
    this.cursor?.close();
  }

  private requestBatch(cursor: NativeCursor): Promise<BatchOutcome> {
    return new Promise<BatchOutcome>((resolve) => cursor.nextBatch(resolve));
  }

  /** Waits on native work, keeping the process alive meanwhile. */
  private async awaitNative<O>(work: Promise<O>): Promise<O> {
    operation(true);
    try {
      return await work;
    } finally {
      operation(false);
    }
  }

  private async step(): Promise<IteratorResult<T, undefined>> {
    if (this.finished) return { done: true, value: undefined };
    const signal = this.signal;
    if (!this.cursor) {
      if (signal?.aborted) {
        this.finish();
        throw abortReason(signal);
      }
      const [cancel, unlink] = linkSignal(signal);
      this.unlink = unlink;
      try {
        this.cursor = this.open(cancel);
      } catch (e) {
        this.finish();
        throw fromNativeThrow(e);
      }
    } else if (signal?.aborted) {
      this.finish();
      throw abortReason(signal);
    }
    const cursor = this.cursor;
    if (this.batched) return this.stepBatched(cursor);
    const outcome = await this.awaitNative(new Promise<Outcome>((resolve) => cursor.next(resolve)));
    if (!outcome.ok) {
      this.finish();
      throw failure(outcome, signal);
    }
    if (outcome.done || this.finished) {
      this.finish();
      return { done: true, value: undefined };
    }
    return { done: false, value: outcome.value as T };
  }

  private async stepBatched(cursor: NativeCursor): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      if (this.finished) return { done: true, value: undefined };
      if (this.index < this.items.length) return { done: false, value: this.take() };
      const tail = this.tail;
      if (tail) {
        this.finish();
        if (tail.error) throw failure({ ok: false, error: tail.error }, this.signal);
        return { done: true, value: undefined };
      }
      const pending = this.ahead ?? this.requestBatch(cursor);
      this.ahead = undefined;
      const outcome = await this.awaitNative(pending);
      if (this.finished) return { done: true, value: undefined };
      this.items = JSON.parse(outcome.batch) as T[];
      this.index = 0;
      if (outcome.done) this.tail = outcome.error ? { error: outcome.error } : {};
      else this.ahead = this.requestBatch(cursor);
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.finish();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<T, undefined>> {
    this.finish();
    throw error;
  }
}
