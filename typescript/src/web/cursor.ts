/**
 * The async generators the web core hands out (pages, run events), with the
 * behaviour of the native build's `CursorGenerator` (`internal/ops.ts`): arguments are
 * checked and the connection opened on the first `next()`; `return()` ends the
 * iteration at once, even while a `next()` is pending, and closes the connection;
 * an `AbortSignal` rejects the pending `next()` with its reason.
 */
import { abortable, abortReason } from "./abort.js";

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

export class WebCursor<T> implements AsyncGenerator<T, undefined, unknown> {
  private inner: AsyncGenerator<T, undefined, unknown> | undefined;
  private finished = false;
  /** Aborted by `return()` and by the caller's signal: the inner work stops and closes its connection. */
  private readonly stop = new AbortController();
  private stopped: () => void = () => {};
  private readonly whenStopped = new Promise<IteratorReturnResult<undefined>>((resolve) => {
    this.stopped = () => resolve(DONE);
  });

  /** `open(stop)` checks the arguments and returns the work; `stop` aborts when the caller leaves. */
  constructor(
    private readonly open: (stop: AbortSignal) => AsyncGenerator<T, undefined, unknown>,
    private readonly signal: AbortSignal | undefined,
  ) {
    signal?.addEventListener("abort", () => this.stop.abort(abortReason(signal)), { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.finished) return DONE;
    if (this.signal?.aborted) {
      this.finish();
      throw abortReason(this.signal);
    }
    try {
      this.inner ??= this.open(this.stop.signal);
      const step = this.inner.next();
      step.catch(() => {}); // settles after `return()` too; nobody waits then
      const result = await Promise.race([abortable(step, this.signal), this.whenStopped]);
      if (result.done) this.finish();
      return result;
    } catch (e) {
      this.finish();
      throw e;
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopped();
    this.stop.abort();
    void this.inner?.return(undefined).catch(() => {});
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.finish();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<T, undefined>> {
    this.finish();
    throw error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.finish();
  }
}
