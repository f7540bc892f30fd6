/**
 * `MockTransport` (`docs/testing.md`) for the web build, mirroring `zaby::testing` and the
 * Node addon's conversion (`bindings/node/src/mock.rs`): the same matching, ordering,
 * recording, validation and failure messages. `@zaby/sdk/testing` in browsers.
 */
import { invalidArgument } from "../common.js";
import { MockTransportError } from "../error-classes.js";
import type { MockRequest, MockResponse, MockSseEvent } from "../testing.js";
import type { TransportRequest, TransportResponse, ZabyTransport } from "../transport.js";

export { MockTransportError };
export type { MockRequest, MockResponse, MockSseEvent };

const KNOWN = ["method", "path", "status", "json", "body", "headers", "events"];
const shown = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** A queued response, validated. */
interface Queued {
  method: string;
  path: string;
  status: number;
  json?: unknown;
  body?: string;
  headers: Record<string, string>;
  events?: Record<string, unknown>[];
}

function statusOf(v: unknown, what: string): number {
  if (v === undefined || v === null) return 200;
  if (typeof v === "number" && Number.isInteger(v) && v >= 100 && v <= 599) return v;
  throw invalidArgument(`${what}.status must be an HTTP status (100–599), got ${shown(v)}`);
}

function headersOf(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw invalidArgument(`${what}.headers must be an object of strings, got ${shown(v)}`);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== "string") throw invalidArgument(`${what}.headers[${JSON.stringify(k)}] must be a string, got ${shown(value)}`);
    out[k.toLowerCase()] = value;
  }
  return out;
}

function eventsOf(v: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(v)) throw invalidArgument(`${what} must be an array of events, got ${shown(v)}`);
  v.forEach((ev, i) => {
    if (typeof ev !== "object" || ev === null || Array.isArray(ev)) {
      throw invalidArgument(`${what}[${i}] must be an object { id?, event?, data }, got ${shown(ev)}`);
    }
  });
  return v.map((ev) => JSON.parse(JSON.stringify(ev)) as Record<string, unknown>);
}

function textField(map: Record<string, unknown>, name: string, what: string): string {
  const v = map[name];
  if (typeof v !== "string") throw invalidArgument(`${what}.${name} is required (a string)`);
  return v;
}

function responseOf(v: unknown, what: string): Queued {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalidArgument(`${what} must be an object, got ${shown(v)}`);
  const map = v as Record<string, unknown>;
  const unknown = Object.keys(map).find((k) => !KNOWN.includes(k) && map[k] !== undefined);
  if (unknown !== undefined) throw invalidArgument(`${what} has an unknown field ${JSON.stringify(unknown)} (known: ${KNOWN.join(", ")})`);
  if (map.body != null && typeof map.body !== "string") {
    throw invalidArgument(`${what}.body must be a string (use json for values), got ${shown(map.body)}`);
  }
  const queued: Queued = {
    method: textField(map, "method", what),
    path: textField(map, "path", what),
    status: statusOf(map.status, what),
    headers: headersOf(map.headers, what),
  };
  if (map.json != null) queued.json = structuredClone(map.json);
  if (map.body != null) queued.body = map.body as string;
  if (map.events != null) queued.events = eventsOf(map.events, `${what}.events`);
  return queued;
}

const scalarText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** The SSE text of queued events (`frame_sse`). */
function frameSse(events: Record<string, unknown>[]): string {
  let out = "";
  for (const ev of events) {
    if (ev.id != null) out += `id: ${scalarText(ev.id)}\n`;
    if (ev.event != null) out += `event: ${scalarText(ev.event)}\n`;
    if (typeof ev.data === "string") for (const line of ev.data.split("\n")) out += `data: ${line}\n`;
    else if (ev.data === undefined) out += "data: \n";
    else out += `data: ${JSON.stringify(ev.data)}\n`;
    out += "\n";
  }
  return out;
}

function render(r: Queued): TransportResponse {
  const headers = { ...r.headers };
  if (r.events) {
    headers["content-type"] ??= "text/event-stream";
    return { status: r.status, headers, body: frameSse(r.events) };
  }
  if (r.json !== undefined) headers["content-type"] ??= "application/json";
  const text = r.body ?? (r.json !== undefined ? JSON.stringify(r.json) : "");
  let parsed = r.json;
  if (parsed === undefined) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  const answer: TransportResponse = { status: r.status, headers, body: text };
  if (parsed !== undefined) answer.json = parsed;
  return answer;
}

function queryPairs(query: string): string {
  return JSON.stringify([...new URLSearchParams(query)].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0)));
}

function pathMatches(queued: string, sent: string): boolean {
  const [sentPath, sentQuery = ""] = splitOnce(sent);
  const [queuedPath, queuedQuery] = splitOnce(queued);
  if (queuedQuery === undefined) return queued === sentPath;
  return queuedPath === sentPath && queryPairs(queuedQuery) === queryPairs(sentQuery);
}

function splitOnce(path: string): [string, string | undefined] {
  const i = path.indexOf("?");
  return i < 0 ? [path, undefined] : [path.slice(0, i), path.slice(i + 1)];
}

export class MockTransport implements ZabyTransport {
  #queue: Queued[];
  #requests: MockRequest[] = [];

  constructor(responses: MockResponse[] = []) {
    this.#queue = (responses ?? []).map((r, i) => responseOf(r, `responses[${i}]`));
  }

  /** Queues one JSON response; a string `body` is returned as raw text. */
  setResponse(method: string, path: string, status?: number, body?: unknown, headers?: Record<string, string>): void {
    const queued: Queued = { method, path, status: statusOf(status, "setResponse"), headers: headersOf(headers, "setResponse") };
    if (typeof body === "string") queued.body = body;
    else if (body !== undefined && body !== null) queued.json = structuredClone(body);
    this.#queue.push(queued);
  }

  /** Queues one SSE response. */
  setSse(method: string, path: string, events: MockSseEvent[], status?: number, headers?: Record<string, string>): void {
    this.#queue.push({
      method,
      path,
      status: statusOf(status, "setSse"),
      headers: headersOf(headers, "setSse"),
      events: eventsOf(events, "setSse events"),
    });
  }

  /** Queues a prepared response. */
  addResponse(response: MockResponse): void {
    this.#queue.push(responseOf(response, "response"));
  }

  /** Empties the queue and the recorded requests. */
  reset(): void {
    this.#queue = [];
    this.#requests = [];
  }

  /** Recorded requests, in order. */
  get requests(): MockRequest[] {
    return structuredClone(this.#requests);
  }

  /** Responses queued and not yet consumed. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Answers one request from the queue (what the SDK does on every attempt). */
  async send(request: TransportRequest): Promise<TransportResponse> {
    const method = textField(request as unknown as Record<string, unknown>, "method", "request").toUpperCase();
    const path = textField(request as unknown as Record<string, unknown>, "path", "request");
    const recorded: MockRequest = {
      method,
      url: typeof request.url === "string" ? request.url : path,
      path,
      headers: headersOf(request.headers, "request"),
      stream: request.stream === true,
    };
    if (request.json !== undefined && request.json !== null) {
      recorded.json = structuredClone(request.json);
      recorded.body = structuredClone(request.json);
    }
    this.#requests.push(recorded);
    const head = this.#queue[0];
    if (!head) throw new MockTransportError(`No mock response configured for ${method} ${path}`);
    if (head.method.toUpperCase() !== method || !pathMatches(head.path, path)) {
      throw new MockTransportError(`Expected ${head.method.toUpperCase()} ${head.path}, received ${method} ${path}`);
    }
    this.#queue.shift();
    return render(head);
  }
}
