/** The native client behind `Zaby` / `ZabyRuntime`, called generically by method name. */
import { splitConfig, type ZabyGlobalConfig } from "../config.js";
import { native, type CallOptions, type NativeClient } from "../native.js";
import type { Query, RequestOptions, SseEvent, StreamOptions } from "../options.js";
import type { ZabyTransport } from "../transport.js";
import { nativeSync } from "./convert.js";
import { wrapCredential, wrapTransport } from "./host.js";
import { CursorGenerator, runNative } from "./ops.js";

/** The native handle of a `MockTransport` (so the core's mock is used directly). */
export const MOCK_HANDLE: unique symbol = Symbol("zaby.mockTransport");

export interface CoreSpec {
  kind: "zaby" | "runtime";
  apiKey?: unknown;
  accessToken?: unknown;
  token?: unknown;
  tenantId?: string | undefined;
  transport?: ZabyTransport | undefined;
  config?: ZabyGlobalConfig | undefined;
}

function callOptions(options: (RequestOptions & { maxReconnects?: number }) | undefined): CallOptions | undefined {
  if (!options) return undefined;
  return { requestId: options.requestId, timeoutMs: options.timeoutMs, maxReconnects: options.maxReconnects };
}

export class Core {
  private readonly client: NativeClient;

  constructor(spec: CoreSpec) {
    const [config, backoff] = splitConfig(spec.config);
    const apiKey = wrapCredential(spec.apiKey, "apiKey");
    const accessToken = wrapCredential(spec.accessToken, "accessToken");
    const token = wrapCredential(spec.token, "token");
    const transport = spec.transport;
    const mock = transport ? (transport as { [MOCK_HANDLE]?: unknown })[MOCK_HANDLE] : undefined;
    const parts = transport && !mock ? wrapTransport(transport) : undefined;
    this.client = nativeSync(
      () =>
        new native.NativeClient(
          spec.kind,
          apiKey,
          accessToken,
          token,
          spec.tenantId ?? undefined,
          mock as never,
          parts,
          config,
          backoff,
        ),
    );
  }

  call<T>(client: string, method: string, params: string[], input: unknown, options?: RequestOptions): Promise<T> {
    return runNative(
      (done, cancel) => this.client.call(client, method, params, input, callOptions(options), cancel, done),
      options?.signal,
    ) as Promise<T>;
  }

  iter<T>(client: string, iter: string, params: string[], query: Query | undefined, options?: RequestOptions): AsyncGenerator<T, undefined, unknown> {
    return new CursorGenerator<T>(
      (cancel) => this.client.paginate(client, iter, params, query, callOptions(options), cancel),
      options?.signal,
    );
  }

  stream<T>(runId: string, query: Query | undefined, options?: StreamOptions): AsyncGenerator<SseEvent<T>, undefined, unknown> {
    return new CursorGenerator<SseEvent<T>>(
      (cancel) => this.client.stream(runId, query, callOptions(options), cancel),
      options?.signal,
      true,
    );
  }

  close(): Promise<void> {
    return runNative((done) => this.client.close(done)) as Promise<void>;
  }

  get closed(): boolean {
    return this.client.closed;
  }

  get config(): Record<string, unknown> {
    return this.client.config;
  }
}

/** Base of every generated sub-client. */
export abstract class SubClient {
  /** @internal */
  protected readonly _core: Core;

  constructor(core: Core) {
    this._core = core;
  }
}
