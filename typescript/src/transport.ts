/** The transport abstraction (`docs/testing.md`): plug your own to test, proxy or instrument. */

/** One HTTP attempt as the core hands it to a transport. */
export interface TransportRequest {
  /** Upper-case method. */
  method: string;
  /** Origin + path + query. */
  url: string;
  /** Path plus query string, as sent. */
  path: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** The JSON body, when the request has one. */
  json?: unknown;
  /** `true` for the SSE request: answer with `bodyStream` if you can. */
  stream?: boolean;
  /** Deadline of this attempt (for streams: until the response headers). */
  timeoutMs: number;
  /** Aborted when the core gives up on the attempt (timeout, abort, client closed). */
  signal?: AbortSignal;
}

/** What a transport answers. */
export interface TransportResponse {
  status: number;
  /** Header names in any case; the core lower-cases them. */
  headers?: Record<string, string>;
  /** The parsed JSON body; preferred over `body` for ordinary requests. */
  json?: unknown;
  /** The raw text body. */
  body?: string;
  /** The body as bytes, read incrementally (streams). */
  bodyStream?: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
}

/**
 * Sends one HTTP attempt. Throw a `ZabyConnectionError` / `ZabyTimeoutError` for
 * network failures (they are retried like the built-in transport's); anything else you
 * throw reaches the caller unchanged.
 */
export interface ZabyTransport {
  send(request: TransportRequest): Promise<TransportResponse>;
}
