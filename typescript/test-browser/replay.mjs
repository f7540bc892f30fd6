// The replay of the Rust core's conformance vectors, for any build and any runtime
// (Node's test runner in test/conformance.test.mjs, a Chromium page in
// test-browser/run.mjs): each case answers what the build did and what the core did.
// Groups: the SSE parser, error mapping, reconnection and webhook signatures.

const bytes = (chunk) => (typeof chunk === "string" ? new TextEncoder().encode(chunk) : Uint8Array.from(chunk.bytes));

/** A body stream handing out `chunks`, then ending (the connection drops). */
function body(chunks) {
  return {
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) yield bytes(c);
    },
  };
}

/** A custom transport answering the `i`-th request with `answer(i)`, recording requests. */
function scripted(answer) {
  const sent = [];
  return {
    sent,
    async send(request) {
      sent.push(request);
      return answer(sent.length - 1);
    },
  };
}

async function drain(stream) {
  const events = [];
  try {
    for await (const ev of stream) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

const origin = "http://vectors.test";

/** Every case of `vectors` against `sdk`: `{ group, name, run() → actual, expected }`. */
export function cases(sdk, vectors) {
  const errorFields = (e) =>
    e === undefined
      ? null
      : {
          className: e.name,
          code: e.code ?? null,
          message: e.message,
          status: e instanceof sdk.ZabyApiError ? e.status : null,
          lastEventId: e.lastEventId ?? null,
        };
  const out = [];
  for (const v of vectors.sse) {
    out.push({
      group: "sse (through a run stream)",
      name: v.name,
      expected: v.events,
      async run() {
        const transport = scripted(() => ({ status: 200, bodyStream: body(v.chunks) }));
        const runtime = new sdk.ZabyRuntime({ token: "t", transport, apiOrigin: origin });
        return (await drain(runtime.runs.stream("run-1", undefined, { maxReconnects: 0 }))).events;
      },
    });
  }
  for (const v of vectors.errors) {
    out.push({
      group: "error mapping",
      name: v.name,
      expected: { ...v.expect, isA: true, status: v.status, details: v.body },
      async run() {
        const transport = scripted(() => ({
          status: v.status,
          headers: v.headers,
          body: v.body === null ? "" : JSON.stringify(v.body),
        }));
        const zaby = new sdk.Zaby({ accessToken: "a", transport, apiOrigin: origin });
        const options = v.sentRequestId === null ? undefined : { requestId: v.sentRequestId };
        const err = await zaby.health.check(options).then(
          () => new Error("expected a rejection"),
          (e) => e,
        );
        return {
          className: err.name,
          code: err.code,
          message: err.message,
          requestId: err.requestId,
          retryAfter: err.retryAfter,
          isA: err instanceof sdk[v.expect.className],
          status: err.status,
          details: err.details,
        };
      },
    });
  }
  for (const v of vectors.streams) {
    out.push({
      group: "reconnection",
      name: v.name,
      expected: v.expect,
      async run() {
        const transport = scripted((i) => {
          const conn = v.connections[i];
          if (!conn || conn.error) throw new sdk.ZabyConnectionError("connection refused");
          if (conn.status === 200) return { status: 200, bodyStream: body(conn.chunks) };
          return { status: conn.status, body: JSON.stringify(conn.body) };
        });
        const runtime = new sdk.ZabyRuntime({ token: "t", transport, apiOrigin: origin });
        const options = { maxReconnects: v.maxReconnects };
        const { events, error } = await drain(runtime.runs.stream("run-1", undefined, options));
        return {
          events,
          error: errorFields(error),
          lastEventIds: transport.sent.map((r) => r.headers["last-event-id"] ?? null),
        };
      },
    });
  }
  for (const v of vectors.webhooks) {
    out.push({
      group: "webhooks",
      name: v.name,
      expected: v.expect,
      async run() {
        const payload = typeof v.payload === "string" ? v.payload : bytes(v.payload);
        try {
          // Awaited: the web build's functions return Promises, the native build's the values.
          const value = await sdk.webhooks[v.function](payload, Object.fromEntries(v.headers), v.secret, {
            toleranceS: v.toleranceS,
          });
          return { value };
        } catch (e) {
          // The class named is the one thrown, and a ZabyError.
          const real = e instanceof sdk.ZabyError && sdk[e.name] !== undefined && e instanceof sdk[e.name];
          return { error: { className: real ? e.name : `${e.name} (not the SDK's class)`, code: e.code, message: comparable(e.message) } };
        }
      },
    });
  }
  return out;
}

/**
 * An error message without what depends on the clock or the JSON parser, cut as the
 * core's vectors are (crates/zaby/tests/conformance/webhooks.rs, `comparable`).
 */
const comparable = (message) =>
  message.split(": ")[0].replace(/^webhook-timestamp is \d+ s /, "webhook-timestamp is <skew> s ");

// Deep equality on JSON values (what the cases compare), keys in any order.
const canon = (v) =>
  JSON.stringify(v, (_, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x,
  );

/** Runs every case in turn (in a page: the Chromium runners) → `{ name, ok, actual, expected }[]`. */
export async function replayAll(sdk, vectors) {
  const results = [];
  for (const c of cases(sdk, vectors)) {
    const name = `${c.group}: ${c.name}`;
    try {
      const actual = await c.run();
      results.push({ name, ok: canon(actual) === canon(c.expected), actual, expected: c.expected });
    } catch (e) {
      results.push({ name, ok: false, actual: String((e && e.stack) || e) });
    }
  }
  return results;
}

export { bytes };
