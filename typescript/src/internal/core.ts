/** The native client behind `Zaby` / `ZabyRuntime`, called generically by method name. */
import { resolvedFetch, shapeResolved, splitConfig, type ResolvedZabyConfig, type ZabyGlobalConfig } from "../config.js";
import { FetchTransport } from "../fetch.js";
import { native, type CallOptions, type NativeClient } from "../native.js";
import type { Query, RequestOptions, StreamOptions, StreamQuery } from "../options.js";
import type { RunEvent } from "../types.js";
import type { ZabyTransport } from "../transport.js";
import { checkCredential, checkParams, checkString, invalidArgument } from "./args.js";
import { nativeSync } from "./convert.js";
import { streamTools } from "../client-tools.js";
import { wrapCredential, wrapTransport } from "./host.js";
import { wrapTools } from "./tools.js";
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
  apiOrigin?: unknown;
  baseURL?: unknown;
}

/** The per-instance layer: `config` with the constructor's origin shorthand on top (`docs/configuration.md`). */
function instanceConfig(spec: CoreSpec): ZabyGlobalConfig | undefined {
  const [name, origin] = spec.apiOrigin != null ? ["apiOrigin", spec.apiOrigin] : ["baseURL", spec.baseURL];
  if (origin == null) return spec.config;
  checkString(name, origin);
  return { ...(spec.config ?? {}), apiOrigin: origin as string };
}

function callOptions(options: (RequestOptions & { maxReconnects?: number }) | undefined): CallOptions | undefined {
  if (!options) return undefined;
  return { requestId: options.requestId, timeoutMs: options.timeoutMs, maxReconnects: options.maxReconnects };
}

/** Runs `check`, turning what it throws into a rejected promise. */
function checked<T>(check: () => void, run: () => Promise<T>): Promise<T> {
  try {
    check();
  } catch (e) {
    return Promise.reject(e);
  }
  return run();
}

export class Core {
  private readonly client: NativeClient;
  private readonly overrides: ZabyGlobalConfig | undefined;
  /** Shaped at construction: later `configureZaby` calls do not change it (`docs/configuration.md`). */
  private readonly resolved: ResolvedZabyConfig;

  constructor(spec: CoreSpec) {
    if (spec.kind === "zaby" && spec.apiKey == null && spec.accessToken == null) {
      throw invalidArgument("apiKey is required (or accessToken)");
    }
    if (spec.kind === "runtime" && spec.token == null) throw invalidArgument("token is required");
    for (const [name, value] of [["apiKey", spec.apiKey], ["accessToken", spec.accessToken], ["token", spec.token]] as const) {
      checkCredential(name, value);
    }
    if (spec.tenantId != null && typeof spec.tenantId !== "string") checkString("tenantId", spec.tenantId);
    this.overrides = instanceConfig(spec);
    const [config, backoff] = splitConfig(this.overrides);
    const apiKey = wrapCredential(spec.apiKey, "apiKey");
    const accessToken = wrapCredential(spec.accessToken, "accessToken");
    const token = wrapCredential(spec.token, "token");
    // A given transport wins; otherwise a configured `fetch` replaces the native one.
    const fetchFn = resolvedFetch(this.overrides);
    const transport = spec.transport ?? (fetchFn ? new FetchTransport(fetchFn) : undefined);
    const mock = transport ? (transport as { [MOCK_HANDLE]?: unknown })[MOCK_HANDLE] : undefined;
    const parts = transport && !mock ? wrapTransport(transport) : undefined;
    this.client = nativeSync(
      () =>
        new (native().NativeClient)(
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
    this.resolved = shapeResolved(this.client.config, this.overrides);
  }

  call<T>(client: string, method: string, params: string[], input: unknown, options?: RequestOptions): Promise<T> {
    return checked(
      () => checkParams(client, method, params),
      () =>
        runNative(
          (done, cancel) => this.client.call(client, method, params, input, callOptions(options), cancel, done),
          options?.signal,
        ) as Promise<T>,
    );
  }

  iter<T>(client: string, iter: string, params: string[], query: Query | undefined, options?: RequestOptions): AsyncGenerator<T, undefined, unknown> {
    return new CursorGenerator<T>((cancel) => {
      checkParams(client, iter, params);
      return this.client.paginate(client, iter, params, query, callOptions(options), cancel);
    }, options?.signal);
  }

  stream(runId: string, query: StreamQuery | undefined, options?: StreamOptions): AsyncGenerator<RunEvent, undefined, unknown> {
    return new CursorGenerator<RunEvent>(
      (cancel) => {
        checkString("runId", runId);
        const [rest, entries] = streamTools(query, options);
        const tools = wrapTools(entries);
        return this.client.stream(runId, rest, callOptions(options), cancel, tools?.names, tools?.call);
      },
      options?.signal,
      true,
    );
  }

  /** `deployments.waitUntilActive`: the core polls E19 until the deployment is ACTIVE. */
  waitUntilActive<T>(deploymentId: string, timeoutMs: number, options?: RequestOptions): Promise<T> {
    return checked(
      () => {
        checkString("deploymentId", deploymentId);
        if (typeof timeoutMs !== "number" || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
          throw invalidArgument(`timeoutMs must be a non-negative number of milliseconds, got ${String(timeoutMs)}`);
        }
      },
      () =>
        runNative(
          (done, cancel) => this.client.waitUntilActive(deploymentId, timeoutMs, callOptions(options), cancel, done),
          options?.signal,
        ) as Promise<T>,
    );
  }

  close(): Promise<void> {
    return runNative((done) => this.client.close(done)) as Promise<void>;
  }

  get closed(): boolean {
    return this.client.closed;
  }

  get config(): ResolvedZabyConfig {
    return this.resolved;
  }
}
