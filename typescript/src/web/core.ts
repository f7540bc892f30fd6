/**
 * The web core: what the Rust core does for the native build (`core.rs`,
 * `request.rs`, `paginate.rs`, `wait.rs`), over a `ZabyTransport` — by default
 * `FetchTransport` on the global `fetch`. Generated clients call it by client id and
 * method name, exactly as they call the native core.
 */
import { checkString, describe, invalidArgument } from "../common.js";
import { ZabyConnectionError, ZabyError, ZabyTimeoutError, type ZabyApiError } from "../error-classes.js";
import { FetchTransport } from "../fetch.js";
import type { Core } from "../internal/subclient.js";
import type { Query, RequestOptions, StreamOptions, StreamQuery } from "../options.js";
import type { RunEvent } from "../types.js";
import type { TransportRequest, TransportResponse, ZabyTransport } from "../transport.js";
import { resolveZabyConfig, type ResolvedZabyConfig, type ZabyGlobalConfig } from "./config.js";
import { apiErrorFrom } from "./mapping.js";
import type { Route, Routes } from "./generated/routes.js";
import { runStream } from "./stream.js";
import { withTools } from "./tools.js";
import { streamTools } from "../client-tools.js";
import { buildQuery, fillPath, pathWithQuery } from "./wire.js";
import { abortable, abortReason, sleep } from "./abort.js";
import { WebCursor } from "./cursor.js";

const USER_AGENT = "zaby-web/0.1.0";
/** Longest wait a `retry-after` header can impose between attempts. */
const RETRY_AFTER_CAP_MS = 60_000;
const NOT_READY = "DEPLOYMENT_PROVISIONING_NOT_READY";

type Credential = string | (() => string | Promise<string>) | undefined;

export interface CoreSpec {
  kind: "zaby" | "runtime";
  /** The generated routes of this kind of client (`ZABY_ROUTES` / `RUNTIME_ROUTES`). */
  routes: Routes;
  apiKey?: unknown;
  accessToken?: unknown;
  token?: unknown;
  tenantId?: unknown;
  transport?: ZabyTransport | undefined;
  config?: ZabyGlobalConfig | undefined;
  apiOrigin?: unknown;
  baseURL?: unknown;
}

/** A call with its route resolved and its request parts built (`core.rs` `Call`). */
export interface Call {
  method: string;
  path: string;
  query: unknown;
  body: Record<string, unknown> | undefined;
  idempotent: boolean;
}

/** Per-call options as the core reads them. */
export interface CallOptions {
  requestId?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

function credential(name: string, value: unknown): Credential {
  if (value === undefined || value === null) return undefined;
  if (value === "") throw invalidArgument(`${name} must not be an empty string`);
  if (typeof value === "string" || typeof value === "function") return value as Credential;
  throw invalidArgument(`${name} must be a string or a function returning one, got ${typeof value}`);
}

const kindOfInput = (v: unknown): string =>
  Array.isArray(v) ? "a list" : typeof v === "string" ? "a string" : typeof v === "number" ? "a number" : typeof v === "boolean" ? "a boolean" : "null";

function requireObject(input: unknown, method: string): Record<string, unknown> {
  if (input === undefined || input === null) throw invalidArgument(`${method}: input is required`);
  if (typeof input !== "object" || Array.isArray(input)) {
    throw invalidArgument(`${method}: input must be an object (a mapping of field names to values), got ${kindOfInput(input)}`);
  }
  return input as Record<string, unknown>;
}

/** Checks per-call options before any I/O. */
function checkOptions(options: (RequestOptions & { maxReconnects?: number }) | undefined): void {
  if (options === undefined || options === null) return;
  const { timeoutMs, requestId, maxReconnects } = options;
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs >= 1 && Number.isFinite(timeoutMs))) {
    throw invalidArgument(`timeoutMs must be a number of milliseconds ≥ 1, got ${describe(timeoutMs)}`);
  }
  if (requestId !== undefined && typeof requestId !== "string") checkString("requestId", requestId);
  if (maxReconnects !== undefined && !(Number.isInteger(maxReconnects) && maxReconnects >= 0)) {
    throw invalidArgument(`maxReconnects must be a non-negative integer, got ${describe(maxReconnects)}`);
  }
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

export class WebCore implements Core {
  readonly config: ResolvedZabyConfig;
  private readonly kind: "zaby" | "runtime";
  private readonly routes: Routes;
  private readonly apiKey: Credential;
  private readonly accessToken: Credential;
  private readonly token: Credential;
  private readonly tenantId: string | undefined;
  private readonly transport: ZabyTransport;
  private readonly userAgent: string | undefined;
  /** Aborted on close, so that open streams and calls end. */
  readonly closing = new AbortController();

  constructor(spec: CoreSpec) {
    if (spec.kind === "zaby" && spec.apiKey == null && spec.accessToken == null) {
      throw invalidArgument("apiKey is required (or accessToken)");
    }
    if (spec.kind === "runtime" && spec.token == null) throw invalidArgument("token is required");
    this.kind = spec.kind;
    this.routes = spec.routes;
    this.apiKey = credential("apiKey", spec.apiKey);
    this.accessToken = credential("accessToken", spec.accessToken);
    this.token = credential("token", spec.token);
    if (spec.tenantId != null) checkString("tenantId", spec.tenantId);
    const [name, origin] = spec.apiOrigin != null ? ["apiOrigin", spec.apiOrigin] : ["baseURL", spec.baseURL];
    let overrides = spec.config;
    if (origin != null) {
      checkString(name, origin);
      overrides = { ...(spec.config ?? {}), apiOrigin: origin as string };
    }
    this.config = resolveZabyConfig(overrides);
    this.tenantId = (spec.tenantId as string | undefined) ?? this.config.tenantId ?? undefined;
    if (spec.transport !== undefined && spec.transport !== null && typeof spec.transport.send !== "function") {
      throw invalidArgument("transport must be an object with a send(request) method");
    }
    // A given transport wins; otherwise `fetch` (configured, or the global one).
    this.transport = spec.transport ?? new FetchTransport(this.config.fetch ?? globalThis.fetch);
    // A browser sends its own user agent, and a custom one would need a CORS preflight
    // entry the server does not list: only a configured one is sent from a page.
    this.userAgent = this.config.userAgent ?? (inBrowser() ? undefined : USER_AGENT);
  }

  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  close(): Promise<void> {
    if (!this.closed) this.closing.abort(new ZabyError("the client has been closed", { code: "CLIENT_CLOSED" }));
    return Promise.resolve();
  }

  ensureOpen(): void {
    if (this.closed) throw new ZabyError("the client has been closed", { code: "CLIENT_CLOSED" });
  }

  /** Resolves `client.method` and builds its request parts (`Core::prepare`). */
  prepare(client: string, method: string, params: string[], input: unknown): Call {
    const given = input !== undefined && input !== null;
    const routes = this.routes[`${client}.${method}`];
    const route = routes?.length === 2 ? routes[given ? 0 : 1] : routes?.[0];
    if (!route) throw invalidArgument(`unknown SDK method ${client}.${method}`);
    return this.prepareFor(route, method, params, given ? input : undefined);
  }

  private prepareFor(route: Route, method: string, params: string[], input: unknown): Call {
    const [httpMethod, template, kind, names, flags] = route;
    params.forEach((value, i) => checkString(names[i] ?? `argument ${i + 1}`, value));
    if (params.length !== names.length) {
      throw invalidArgument(`${method} takes ${names.length} path parameter(s) (${names.join(", ")}), got ${params.length}`);
    }
    let query: unknown;
    let body: Record<string, unknown> | undefined;
    const pathNames = [...names];
    const values = [...params];
    if (kind === "query" || kind === "stream") query = input;
    else if (kind === "body") body = requireObject(input, method);
    else if (kind === "given" || kind === "optional") body = input === undefined ? undefined : requireObject(input, method);
    else if (kind === "orEmpty") body = input === undefined ? {} : requireObject(input, method);
    else if (kind.startsWith("move:")) {
      const [, field, param] = kind.split(":") as [string, string, string];
      const { [field]: moved, ...rest } = requireObject(input, method);
      if (typeof moved !== "string" || moved === "") throw invalidArgument(`input.${field} is required (a non-empty string)`);
      // The moved member fills the path parameter at its position.
      const placeholders = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
      const position = Math.max(0, placeholders.indexOf(param));
      values.splice(Math.min(position, values.length), 0, moved);
      pathNames.splice(Math.min(position, pathNames.length), 0, param);
      body = rest;
    }
    const path = fillPath(template, pathNames, values);
    buildQuery(query); // an unrepresentable query fails before any I/O
    return { method: httpMethod, path, query, body, idempotent: flags.includes("i") };
  }

  private async resolveCredential(value: Credential): Promise<string | undefined> {
    if (typeof value !== "function") return value;
    let answer: unknown;
    try {
      answer = await value();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      throw new ZabyError(`credential provider failed: ${message}`, { code: "CREDENTIAL_PROVIDER_FAILED", cause: e });
    }
    if (typeof answer !== "string") {
      const cause = new TypeError(`the provider must return a string, got ${describe(answer)}`);
      throw new ZabyError(`credential provider failed: ${cause.message}`, { code: "CREDENTIAL_PROVIDER_FAILED", cause });
    }
    if (answer === "") {
      throw new ZabyError("credential provider returned an empty value", {
        code: "CREDENTIAL_PROVIDER_FAILED",
        cause: new Error("empty credential"),
      });
    }
    return answer;
  }

  /** Headers of one attempt; credentials are resolved anew every time. */
  private async headers(call: Call, options: CallOptions, stream: boolean): Promise<Record<string, string>> {
    const h: Record<string, string> = { accept: stream ? "text/event-stream" : "application/json" };
    if (this.kind === "zaby") {
      const key = await this.resolveCredential(this.apiKey);
      if (key !== undefined) h["x-zaby-api-key"] = key;
      const token = await this.resolveCredential(this.accessToken);
      if (token !== undefined) h.authorization = `Bearer ${token}`;
    } else {
      const token = await this.resolveCredential(this.token);
      if (token !== undefined) h.authorization = `Bearer ${token}`;
    }
    if (call.body !== undefined) h["content-type"] = "application/json";
    if (this.userAgent !== undefined) h["user-agent"] = this.userAgent;
    if (this.kind === "zaby" && this.tenantId !== undefined) h["x-tenant-id"] = this.tenantId;
    if (options.requestId !== undefined) h["x-request-id"] = options.requestId;
    return h;
  }

  attemptTimeout(options: CallOptions): number {
    return options.timeoutMs ?? this.config.timeoutMs;
  }

  /** Sends one attempt. For streams the deadline covers the response headers only. */
  async sendOnce(call: Call, options: CallOptions, stream: boolean, extra: Record<string, string> = {}): Promise<TransportResponse & { headers: Record<string, string> }> {
    this.ensureOpen();
    const path = pathWithQuery(call.path, buildQuery(call.query));
    const headers = { ...(await this.headers(call, options, stream)), ...extra };
    const timeoutMs = this.attemptTimeout(options);
    const controller = new AbortController();
    const request: TransportRequest = {
      method: call.method,
      url: `${this.config.apiOrigin}${path}`,
      path,
      headers,
      stream,
      timeoutMs,
      signal: controller.signal,
    };
    if (call.body !== undefined) request.json = call.body;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ZabyTimeoutError(`Zaby API request timed out after ${timeoutMs} ms.`, { timeoutMs });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    const stop = () => controller.abort(abortReason(options.signal ?? this.closing.signal));
    const signals = [options.signal, this.closing.signal].filter((s): s is AbortSignal => s !== undefined);
    for (const s of signals) s.addEventListener("abort", stop, { once: true });
    try {
      const sending = this.transport.send(request);
      sending.catch(() => {}); // may settle after the deadline won; nobody waits then
      const response = await Promise.race([sending, deadline]);
      if (!response || typeof response !== "object") {
        throw invalidArgument(`the custom transport must resolve to a TransportResponse, got ${String(response)}`);
      }
      const lower: Record<string, string> = {};
      for (const [k, v] of Object.entries(response.headers ?? {})) lower[k.toLowerCase()] = String(v);
      return { ...response, headers: lower };
    } finally {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener("abort", stop);
    }
  }

  /** Delay before retry `attempt + 1`, honouring `retry-after` on 429 and 503 (`request.rs`). */
  retryDelay(attempt: number, status?: number, retryAfter?: number | null): number {
    let backoff: number;
    try {
      backoff = this.config.retries.backoffMs(attempt);
    } catch {
      backoff = Number.NaN;
    }
    if (typeof backoff !== "number" || !(backoff >= 0) || !Number.isFinite(backoff)) backoff = Math.min(100 * 2 ** attempt, 1000);
    backoff = Math.round(backoff);
    if ((status === 429 || status === 503) && retryAfter != null) return Math.max(backoff, Math.min(retryAfter * 1000, RETRY_AFTER_CAP_MS));
    return backoff;
  }

  /** The retry loop of `docs/configuration.md`: the first 2xx response, or the last attempt's error. */
  async sendWithRetries(call: Call, options: CallOptions, stream: boolean, extra: Record<string, string> = {}): Promise<TransportResponse> {
    const policy = this.config.retries;
    const keyed =
      call.method === "POST" && call.idempotent && typeof call.body?.requestId === "string" && call.body.requestId !== "";
    const eligible = policy.retryMethods.some((m) => m.toUpperCase() === call.method) || keyed;
    for (let attempt = 0; ; attempt++) {
      const canRetry = eligible && attempt < policy.attempts;
      let response: TransportResponse & { headers: Record<string, string> };
      try {
        response = await this.sendOnce(call, options, stream, extra);
      } catch (e) {
        if (canRetry && isTransient(e)) {
          await sleep(this.retryDelay(attempt), options.signal, this.closing.signal);
          continue;
        }
        throw e;
      }
      if (response.status >= 200 && response.status < 300) return response;
      const error = await this.errorOf(response, options);
      if (canRetry && policy.retryStatuses.includes(error.status)) {
        await sleep(this.retryDelay(attempt, error.status, error.retryAfter), options.signal, this.closing.signal);
        continue;
      }
      throw error;
    }
  }

  /** The error of a non-2xx response; a streamed body is read to its end first. */
  async errorOf(response: TransportResponse & { headers: Record<string, string> }, options: CallOptions): Promise<ZabyApiError> {
    let body: unknown;
    if (response.bodyStream !== undefined && response.bodyStream !== null) {
      let text = "";
      const decoder = new TextDecoder();
      const reader = new BodyReader(response.bodyStream);
      try {
        for (let step = await reader.next(); !step.done; step = await reader.next()) {
          text += typeof step.value === "string" ? step.value : decoder.decode(step.value, { stream: true });
        }
      } catch {
        // A body cut short: what arrived is all there is.
      } finally {
        reader.close();
      }
      body = parseJson(text);
    } else {
      body = responseJson(response);
    }
    return apiErrorFrom(response.status, response.headers, body ?? null, options.requestId);
  }

  call<T>(client: string, method: string, params: string[], input: unknown, options?: RequestOptions): Promise<T> {
    let call: Call;
    return checked(
      () => {
        checkOptions(options);
        call = this.prepare(client, method, params, input);
      },
      () => abortable(this.execute(call, options ?? {}), options?.signal) as Promise<T>,
    );
  }

  /** Sends a non-stream call with retries and answers its JSON body. */
  async execute(call: Call, options: CallOptions): Promise<unknown> {
    const response = await this.sendWithRetries(call, options, false);
    return responseJson(response) ?? undefined;
  }

  iter<T>(client: string, iter: string, params: string[], query: Query | undefined, options?: RequestOptions): AsyncGenerator<T, undefined, unknown> {
    return new WebCursor((stop) => {
      checkOptions(options);
      return this.paginate(this.prepare(client, iter, params, query), { ...options, signal: stop });
    }, options?.signal) as AsyncGenerator<T, undefined, unknown>;
  }

  /** Items across pages, fetched lazily (`paginate.rs`). */
  private async *paginate(call: Call, options: CallOptions): AsyncGenerator<unknown, undefined, unknown> {
    const cursorText = (v: unknown): string | undefined =>
      typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
    const base = (call.query ?? {}) as Record<string, unknown>;
    let cursor = cursorText(base.cursor);
    for (let page = 0; ; page++) {
      const query = page === 0 ? call.query : { ...base, ...(cursor === undefined ? {} : { cursor }) };
      const answer = (await abortable(this.execute({ ...call, query }, options), options.signal)) as Record<string, unknown> | undefined;
      const items = Array.isArray(answer?.items) ? answer.items : [];
      if (items.length === 0) return undefined;
      const next = cursorText(answer?.nextCursor);
      yield* items;
      if (next === undefined) return undefined;
      if (next === cursor) {
        throw new ZabyError(
          `the server returned the cursor ${JSON.stringify(next)} that was just sent; stopping instead of looping forever`,
          { code: "PAGINATION_CURSOR_REPEATED" },
        );
      }
      cursor = next;
    }
  }

  stream(runId: string, query: StreamQuery | undefined, options?: StreamOptions): AsyncGenerator<RunEvent, undefined, unknown> {
    return new WebCursor((stop) => {
      checkOptions(options);
      checkString("runId", runId);
      const [rest, tools] = streamTools(query, options);
      const call = this.prepare("runtime_runs", "stream", [runId], rest);
      const events = runStream(this, call, runId, { ...options, signal: stop });
      if (!tools) return events;
      const submit = (body: Record<string, unknown>) =>
        this.execute(this.prepare("runtime_runs", "submit_tool_result", [runId], body), { requestId: options?.requestId, signal: stop });
      return withTools(events, tools, submit);
    }, options?.signal);
  }

  /** `deployments.waitUntilActive` (`wait.rs`): polls E19 until it answers 200. */
  waitUntilActive<T>(deploymentId: string, timeoutMs: number, options?: RequestOptions): Promise<T> {
    let call: Call;
    return checked(
      () => {
        checkString("deploymentId", deploymentId);
        if (typeof timeoutMs !== "number" || !(timeoutMs >= 0) || !Number.isFinite(timeoutMs)) {
          throw invalidArgument(`timeoutMs must be a non-negative number of milliseconds, got ${String(timeoutMs)}`);
        }
        checkOptions(options);
        call = this.prepare("deployments", "get_provisioning", [deploymentId], undefined);
      },
      () => abortable(this.poll(call, deploymentId, timeoutMs, options ?? {}), options?.signal) as Promise<T>,
    );
  }

  private async poll(call: Call, deploymentId: string, timeoutMs: number, options: CallOptions): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    let last: ZabyApiError | undefined;
    let timedOut: ZabyError | undefined;
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<typeof timedOut>((resolve) => {
        timer = setTimeout(() => resolve((timedOut = new ZabyError("deadline"))), left);
      });
      try {
        const polling = this.execute(call, options);
        polling.catch(() => {}); // may fail after the deadline won; nobody waits then
        const answer = await Promise.race([polling, expired]);
        if (answer !== timedOut) return answer;
        break;
      } catch (e) {
        const api = e as ZabyApiError;
        if (!(api instanceof ZabyError && api.status === 404 && api.code === NOT_READY)) throw e;
        last = api;
      } finally {
        clearTimeout(timer);
      }
      const now = Date.now();
      if (now >= deadline) break;
      await sleep(Math.min(Math.min(100 * 2 ** attempt, 1000), deadline - now), options.signal, this.closing.signal);
    }
    const lastText = last ? `the last answer was ${last.status} ${last.code ?? ""}: ${last.message}` : "no answer arrived in time";
    throw new ZabyTimeoutError(`deployment ${deploymentId} was not ACTIVE after ${timeoutMs} ms; ${lastText}`, { timeoutMs });
  }
}

/** A page or a worker in a browser (where `globalThis.document` or `WorkerGlobalScope` exists). */
export function inBrowser(): boolean {
  const g = globalThis as { document?: unknown; WorkerGlobalScope?: unknown };
  return g.document !== undefined || g.WorkerGlobalScope !== undefined;
}

/** Connection errors and timeouts: the failures that retries and reconnects absorb. */
export function isTransient(e: unknown): boolean {
  return e instanceof ZabyConnectionError || e instanceof ZabyTimeoutError;
}

function parseJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  try {
    return JSON.parse(trimmed);
  } catch {
    return null;
  }
}

/** A non-stream body: `json` if given, else `body` as JSON; empty or invalid → null. */
export function responseJson(response: TransportResponse): unknown {
  if (response.json !== undefined && response.json !== null) return response.json;
  return typeof response.body === "string" ? parseJson(response.body) : null;
}

/** Reads a `bodyStream` (a `ReadableStream` or an async iterable); `close()` takes effect at once. */
export class BodyReader {
  private readonly read: () => Promise<IteratorResult<Uint8Array | string>>;
  readonly close: () => void;

  constructor(body: NonNullable<TransportResponse["bodyStream"]>) {
    const source = body as ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>;
    if (typeof source.getReader === "function") {
      const reader = source.getReader();
      this.read = () => reader.read() as Promise<IteratorResult<Uint8Array>>;
      this.close = () => void reader.cancel().catch(() => {});
    } else if (typeof source[Symbol.asyncIterator] === "function") {
      const iterator = source[Symbol.asyncIterator]();
      this.read = () => iterator.next();
      this.close = () => void iterator.return?.(undefined)?.catch(() => {});
    } else {
      throw invalidArgument("TransportResponse.bodyStream must be a ReadableStream or an AsyncIterable of Uint8Array");
    }
  }

  next(): Promise<IteratorResult<Uint8Array | string>> {
    return this.read();
  }
}
