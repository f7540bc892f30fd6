/**
 * Native operations as Promises and async generators, with `AbortSignal` support.
 * An abort cancels the core's token; the core stops with `ABORTED`, which surfaces
 * as the signal's reason, unwrapped (API.md §1.6).
 */
import { native, type Done, type NativeCancel, type NativeCursor, type Outcome } from "../native.js";
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
  const cancel = new native.NativeCancel();
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
      if (outcome.ok) resolve(outcome.value ?? undefined);
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
 */
export class CursorGenerator<T> implements AsyncGenerator<T, undefined, unknown> {
  private cursor: NativeCursor | undefined;
  private finished = false;
  private unlink: () => void = () => {};
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly open: (cancel: NativeCancel | undefined) => NativeCursor,
    private readonly signal: AbortSignal | undefined,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const step = this.queue.then(() => this.step());
    this.queue = step.catch(() => {});
    return step;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.unlink();
    this.cursor?.close();
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
    }
    const cursor = this.cursor;
    const outcome = await new Promise<Outcome>((resolve) => {
      operation(true);
      cursor.next((o) => {
        operation(false);
        resolve(o);
      });
    });
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

  async return(): Promise<IteratorResult<T, undefined>> {
    this.finish();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<T, undefined>> {
    this.finish();
    throw error;
  }
}
