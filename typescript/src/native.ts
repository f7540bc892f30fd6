/**
 * Loads the native addon (`native/zaby.<platform>.node`, built by `napi build
 * --platform`) on first use and declares the internal API it exports. Nothing here is public.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import type { ToolAnswer } from "./client-tools.js";

/** What every asynchronous native operation reports to its callback. */
export type Outcome =
  | { ok: true; value?: unknown; json?: string; done?: boolean }
  | { ok: false; error: ErrorPayload };

/** A batch of a cursor: the items as JSON array text, then whether it ended or failed. */
export interface BatchOutcome {
  batch: string;
  done?: boolean;
  error?: ErrorPayload;
}

/** A core error as data (`bindings/node/src/errors.rs`). */
export type ErrorPayload =
  | { host: number; message: string }
  | {
      className: string;
      message: string;
      code: string | null;
      status?: number | null;
      requestId?: string | null;
      retryAfter?: number | null;
      details?: unknown;
      headers?: Record<string, string> | null;
      timeoutMs?: number | null;
      runId?: string | null;
      lastEventId?: string | null;
      cause?: ErrorPayload | null;
    };

export type Done = (outcome: Outcome) => void;

export interface CallOptions {
  requestId?: string | undefined;
  timeoutMs?: number | undefined;
  maxReconnects?: number | undefined;
}

export interface HostAnswer {
  ok: boolean;
  [key: string]: unknown;
}

export interface PullAnswer {
  ok: boolean;
  done?: boolean;
  chunk?: Uint8Array;
  errorId?: number;
  message?: string;
  connectionError?: boolean;
}

export interface TransportParts {
  send(request: Record<string, unknown>): Promise<HostAnswer>;
  pull(id: number): Promise<PullAnswer>;
  cancel(id: number): void;
}

export type CredentialArg = string | (() => Promise<HostAnswer>) | undefined;

export interface NativeCancel {
  cancel(): void;
  readonly cancelled: boolean;
}

export interface NativeCursor {
  next(done: Done): void;
  nextBatch(done: (outcome: BatchOutcome) => void): void;
  close(): void;
}

export interface NativeClient {
  call(
    client: string,
    method: string,
    params: string[],
    input: unknown,
    options: CallOptions | undefined,
    cancel: NativeCancel | undefined,
    done: Done,
  ): void;
  paginate(
    client: string,
    iter: string,
    params: string[],
    query: unknown,
    options: CallOptions | undefined,
    cancel: NativeCancel | undefined,
  ): NativeCursor;
  stream(
    runId: string,
    query: unknown,
    options: CallOptions | undefined,
    cancel: NativeCancel | undefined,
    toolNames?: string[],
    callTool?: (call: { name: string; arguments: unknown }) => Promise<ToolAnswer>,
  ): NativeCursor;
  waitUntilActive(
    deploymentId: string,
    timeoutMs: number,
    options: CallOptions | undefined,
    cancel: NativeCancel | undefined,
    done: Done,
  ): void;
  close(done: Done): void;
  readonly closed: boolean;
  readonly config: Record<string, unknown>;
}

export interface NativeMockTransport {
  addResponse(response: unknown): void;
  setResponse(method: string, path: string, status?: unknown, body?: unknown, headers?: unknown): void;
  setSse(method: string, path: string, events: unknown, status?: unknown, headers?: unknown): void;
  reset(): void;
  send(request: unknown, done: Done): void;
  readonly pending: number;
  readonly requests: unknown[];
}

export interface EndpointRow {
  id: string;
  method: string;
  path: string;
  list: boolean;
  idempotent: boolean;
  sse: boolean;
  request: string | null;
  response: string;
  bindings: Array<{
    client: string;
    owner: "zaby" | "runtime";
    attr: string;
    class: string;
    method: string;
    tsMethod: string;
    params: string[];
    input: string;
    takesBody: boolean;
    iter: string | null;
    tsIter: string | null;
  }>;
}

export interface NativeAddon {
  NativeClient: new (
    kind: "zaby" | "runtime",
    apiKey: CredentialArg,
    accessToken: CredentialArg,
    token: CredentialArg,
    tenantId: string | undefined,
    mock: NativeMockTransport | undefined,
    transport: TransportParts | undefined,
    config: unknown,
    backoff: ((attempt: number) => number) | undefined,
  ) => NativeClient;
  NativeCancel: new () => NativeCancel;
  NativeMockTransport: new (responses?: unknown[]) => NativeMockTransport;
  configureZaby(config: unknown, backoff: ((attempt: number) => number) | undefined): void;
  resetZabyConfigForTests(): void;
  resolveZabyConfig(config: unknown, backoff: ((attempt: number) => number) | undefined): Record<string, unknown>;
  classifyApiError(status: number, code: string | null | undefined): string;
  endpoints(): EndpointRow[];
  version(): string;
  verifyWebhook(payload: Uint8Array, headers: Record<string, string>, secret: string, toleranceS: number): unknown;
  verifySignature(payload: Uint8Array, headers: Record<string, string>, secret: string, toleranceS: number): unknown;
}

/** Whether this Linux process runs on glibc (a diagnostic report costs ~10 ms: asked only when needed). */
function glibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return Boolean(report?.header?.glibcVersionRuntime);
}

/** File names `napi build --platform` gives the addon, most specific first. */
function candidates(dir: string): string[] {
  const { platform, arch } = process;
  if (platform === "linux") {
    const gnu = `zaby.linux-${arch}-gnu.node`;
    const musl = `zaby.linux-${arch}-musl.node`;
    // A package built for one libc has one file; only when both are there does it matter which.
    if (!existsSync(join(dir, musl))) return [gnu];
    if (!existsSync(join(dir, gnu))) return [musl];
    return glibc() ? [gnu, musl] : [musl, gnu];
  }
  if (platform === "win32") return [`zaby.win32-${arch}-msvc.node`];
  if (platform === "darwin") return [`zaby.darwin-${arch}.node`, "zaby.darwin-universal.node"];
  return [`zaby.${platform}-${arch}.node`];
}

function load(): NativeAddon {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, "..", "native");
  const tried = candidates(dir).map((name) => join(dir, name));
  const found = tried.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `@zaby/sdk: no native addon for ${process.platform}-${process.arch}; looked for ${tried.join(", ")}. ` +
        "Build it with `npm run build:native` (needs Rust) or install a package built for this platform.",
    );
  }
  return createRequire(import.meta.url)(found) as NativeAddon;
}

let addon: NativeAddon | undefined;

/**
 * The addon, loaded by the first call that needs it (a client, `configureZaby`, …):
 * `import("@zaby/sdk")`, the error classes and the types never load it, so importing
 * the package costs what a pure-TypeScript one does (issue 23, BENCHMARKS.md).
 */
export function native(): NativeAddon {
  return (addon ??= load());
}
