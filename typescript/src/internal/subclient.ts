/**
 * What a generated sub-client needs from its core. Both the native core
 * (`internal/core.ts`) and the web core (`web/core.ts`) provide it, so the generated
 * clients serve both builds without importing either.
 */
import type { Query, RequestOptions, StreamOptions, StreamQuery } from "../options.js";
import type { RunEvent } from "../types.js";

export interface Core {
  call<T>(client: string, method: string, params: string[], input: unknown, options?: RequestOptions): Promise<T>;
  iter<T>(client: string, iter: string, params: string[], query: Query | undefined, options?: RequestOptions): AsyncGenerator<T, undefined, unknown>;
  stream(runId: string, query: StreamQuery | undefined, options?: StreamOptions): AsyncGenerator<RunEvent, undefined, unknown>;
  /** `deployments.waitUntilActive` (`wait.ts`). */
  waitUntilActive<T>(deploymentId: string, timeoutMs: number, options?: RequestOptions): Promise<T>;
}

/** Base of every generated sub-client. */
export abstract class SubClient {
  /** @internal */
  protected readonly _core: Core;

  constructor(core: Core) {
    this._core = core;
  }
}
