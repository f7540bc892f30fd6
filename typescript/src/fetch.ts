/**
 * `FetchTransport`: a custom transport (`docs/testing.md`) that sends every attempt through
 * a `fetch` function. The core builds the request (URL, headers, JSON body) exactly as
 * for the native transport, so a fake or instrumented `fetch` sees what the native
 * transport would send. Used when a config sets `fetch` and no `transport` is given.
 */
import { describe } from "./common.js";
import { ZabyConnectionError, ZabyError } from "./error-classes.js";
import type { TransportRequest, TransportResponse, ZabyTransport } from "./transport.js";

export class FetchTransport implements ZabyTransport {
  readonly #fetch: typeof fetch;

  /** `fetchFn` defaults to the global `fetch`. */
  constructor(fetchFn: typeof fetch = globalThis.fetch) {
    if (typeof fetchFn !== "function") {
      throw new ZabyError(`fetch must be a function, got ${describe(fetchFn)}`, { code: "INVALID_ARGUMENT" });
    }
    this.#fetch = fetchFn;
  }

  async send(request: TransportRequest): Promise<TransportResponse> {
    const init: RequestInit = {
      method: request.method,
      headers: request.headers,
      // The native transport does not follow redirects either.
      redirect: "manual",
    };
    if (request.json !== undefined) init.body = JSON.stringify(request.json);
    if (request.signal) init.signal = request.signal;
    let response: Response;
    try {
      // Called unbound: a browser's `fetch` throws "Illegal invocation" when its
      // receiver is not the global object.
      const fetchFn = this.#fetch;
      response = await fetchFn(request.url, init);
    } catch (e) {
      if (e instanceof ZabyError) throw e;
      throw connectionError(request, e);
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    // A stream is read from the body as it arrives; so is an error body on a stream.
    if (request.stream && response.body) return { status: response.status, headers, bodyStream: response.body };
    let body: string;
    try {
      body = await response.text();
    } catch (e) {
      throw connectionError(request, e);
    }
    return { status: response.status, headers, body };
  }
}

/** A failed `fetch` is a network failure: retried like the native transport's. */
function connectionError(request: TransportRequest, cause: unknown): ZabyConnectionError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ZabyConnectionError(`${request.method} ${request.url} failed: ${reason}`, {
    code: "CONNECTION_ERROR",
    cause,
  });
}
