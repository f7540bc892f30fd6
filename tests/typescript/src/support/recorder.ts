/**
 * Coverage by recording what the SDK sends: a `ZabyTransport` (`docs/testing.md`) that
 * forwards every attempt with the global `fetch` and remembers `(method, path,
 * status)`. Requests are mapped to endpoint ids with the path templates of the SDK's
 * own endpoint table (the native addon's `endpoints()`).
 */
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ZabyConnectionError, type TransportRequest, type TransportResponse, type ZabyTransport } from "@zaby/sdk";

export interface Recorded {
  method: string;
  path: string;
  status: number;
}

/** Every request the recording clients sent, in order. */
export const recorded: Recorded[] = [];

/** Headers the platform's fetch sets itself. */
const OWN_HEADERS = new Set(["host", "content-length", "connection", "transfer-encoding"]);

export class RecordingTransport implements ZabyTransport {
  async send(request: TransportRequest): Promise<TransportResponse> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = value;
    }
    let body: string | undefined;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers["content-type"] ??= "application/json";
    }
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (err) {
      // An abort comes from the core itself (deadline, cancellation): hand it back as is.
      if (request.signal?.aborted) throw err;
      throw new ZabyConnectionError(`fetch ${request.method} ${request.path} failed: ${String(err)}`, { cause: err });
    }
    recorded.push({ method: request.method, path: request.path, status: response.status });
    const responseHeaders: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value;
    });
    if (request.stream && response.ok && response.body) {
      return { status: response.status, headers: responseHeaders, bodyStream: response.body };
    }
    return { status: response.status, headers: responseHeaders, body: await response.text() };
  }
}

/** One row of the SDK's endpoint table, as far as coverage needs it. */
export interface EndpointRow {
  id: string;
  method: string;
  path: string;
}

/**
 * The endpoint table of the installed package. `endpoints()` is exported by the native
 * addon, which the package loads in its internal `dist/native.js` (not a public
 * entry point), so it is imported by file from the resolved package.
 */
export async function endpointTable(): Promise<EndpointRow[]> {
  const entry = fileURLToPath(import.meta.resolve("@zaby/sdk"));
  const nativeModule = pathToFileURL(join(dirname(entry), "native.js")).href;
  // `native()` loads the addon on first use and returns it.
  const loaded = (await import(nativeModule)) as { native(): { endpoints(): EndpointRow[] } };
  return loaded.native().endpoints().map(({ id, method, path }) => ({ id, method, path }));
}

interface Matcher {
  id: string;
  method: string;
  pattern: RegExp;
  params: number;
}

/** Maps `(method, path)` to an endpoint id; the most literal template wins. */
export function endpointMatcher(table: EndpointRow[]): (method: string, path: string) => string | undefined {
  const matchers: Matcher[] = table.map((row) => {
    const source = row.path
      .split("/")
      .map((segment) => (/^\{[^}]+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    return {
      id: row.id,
      method: row.method.toUpperCase(),
      pattern: new RegExp(`^${source}$`),
      params: (row.path.match(/\{/g) ?? []).length,
    };
  });
  return (method, path) => {
    const bare = path.split("?")[0];
    const hits = matchers.filter((m) => m.method === method.toUpperCase() && m.pattern.test(bare));
    hits.sort((a, b) => a.params - b.params);
    return hits[0]?.id;
  };
}
