/**
 * `MockTransport` (`docs/testing.md`), backed by the core's `zaby::testing::MockTransport`:
 * matching, ordering, recording and the exact failure messages are the core's.
 * `@zaby/sdk/testing`.
 */
import { native, type NativeMockTransport } from "./native.js";
import { MOCK_HANDLE } from "./internal/core.js";
import { nativeSync } from "./internal/convert.js";
import { runNative } from "./internal/ops.js";
import type { TransportRequest, TransportResponse, ZabyTransport } from "./transport.js";

export { MockTransportError } from "./errors.js";

/** A queued SSE event. */
export type MockSseEvent = { id?: string; event?: string; data: unknown };

/** A canned response, matched against the request's method and path (`docs/testing.md`). */
export interface MockResponse {
  method: string;
  /** Without `?`, the query is ignored; with `?`, query pairs must match (any order). */
  path: string;
  /** Default 200. */
  status?: number;
  /** Response JSON (also sent, compact, as the text body). */
  json?: unknown;
  /** Raw text body. */
  body?: string;
  headers?: Record<string, string>;
  /** Makes this an SSE response. */
  events?: MockSseEvent[];
}

/** A request as the mock recorded it (`docs/testing.md`). */
export interface MockRequest {
  method: string;
  url: string;
  /** Path including the query string, as sent. */
  path: string;
  headers: Record<string, string>;
  /** The JSON body; absent when the request had none. */
  json?: unknown;
  /** Alias of `json`. */
  body?: unknown;
  stream: boolean;
}

export class MockTransport implements ZabyTransport {
  /** @internal */
  readonly [MOCK_HANDLE]: NativeMockTransport;

  constructor(responses: MockResponse[] = []) {
    this[MOCK_HANDLE] = nativeSync(() => new (native().NativeMockTransport)(responses));
  }

  /** Queues one JSON response; a string `body` is returned as raw text. */
  setResponse(method: string, path: string, status?: number, body?: unknown, headers?: Record<string, string>): void {
    nativeSync(() => this[MOCK_HANDLE].setResponse(method, path, status, body, headers));
  }

  /** Queues one SSE response. */
  setSse(method: string, path: string, events: MockSseEvent[], status?: number, headers?: Record<string, string>): void {
    nativeSync(() => this[MOCK_HANDLE].setSse(method, path, events, status, headers));
  }

  /** Queues a prepared response. */
  addResponse(response: MockResponse): void {
    nativeSync(() => this[MOCK_HANDLE].addResponse(response));
  }

  /** Empties the queue and the recorded requests. */
  reset(): void {
    this[MOCK_HANDLE].reset();
  }

  /** Recorded requests, in order. */
  get requests(): MockRequest[] {
    return this[MOCK_HANDLE].requests as MockRequest[];
  }

  /** Responses queued and not yet consumed. */
  get pending(): number {
    return this[MOCK_HANDLE].pending;
  }

  /** Answers one request from the queue (what the SDK does on every attempt). */
  send(request: TransportRequest): Promise<TransportResponse> {
    const { signal: _signal, ...plain } = request;
    return runNative((done) => this[MOCK_HANDLE].send(plain, done)) as Promise<TransportResponse>;
  }
}
