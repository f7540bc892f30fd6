// The Rust core's conformance vectors (crates/zaby/tests/conformance/vectors.json,
// checked against the core by `cargo test -p zaby --test conformance_vectors`),
// replayed against the build under test: SSE parsing (through a run stream, and
// directly on the web build's parser), reconnection and error mapping. A difference
// is a bug in one of the implementations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUILD, sdk, fnTransport } from "./helpers.mjs";

const vectors = JSON.parse(
  readFileSync(new URL("../../crates/zaby/tests/conformance/vectors.json", import.meta.url), "utf8"),
);

const bytes = (chunk) => (typeof chunk === "string" ? new TextEncoder().encode(chunk) : Uint8Array.from(chunk.bytes));

/** A body stream handing out `chunks`, then ending (the connection drops). */
function body(chunks) {
  return {
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) yield bytes(c);
    },
  };
}

/** Events until the stream ends or fails, and the failure. */
async function drain(stream) {
  const events = [];
  try {
    for await (const ev of stream) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

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

for (const v of vectors.sse) {
  test(`sse (through a run stream): ${v.name}`, async () => {
    const transport = fnTransport(() => ({ status: 200, bodyStream: body(v.chunks) }));
    const runtime = new sdk.ZabyRuntime({ token: "t", transport, apiOrigin: "http://vectors.test" });
    const { events } = await drain(runtime.runs.stream("run-1", undefined, { maxReconnects: 0 }));
    assert.deepEqual(events, v.events);
  });
}

if (BUILD === "web") {
  const { SseParser } = await import("../dist/web/sse.js");
  for (const v of vectors.sse) {
    test(`sse (the web parser, raw data): ${v.name}`, () => {
      const parser = new SseParser();
      assert.deepEqual(v.chunks.flatMap((c) => parser.feed(bytes(c))), v.raw);
    });
  }
}

for (const v of vectors.errors) {
  test(`error mapping: ${v.name}`, async () => {
    const transport = fnTransport(() => ({
      status: v.status,
      headers: v.headers,
      body: v.body === null ? "" : JSON.stringify(v.body),
    }));
    const zaby = new sdk.Zaby({ apiKey: "k", transport, apiOrigin: "http://vectors.test" });
    const options = v.sentRequestId === null ? undefined : { requestId: v.sentRequestId };
    const err = await zaby.health.check(options).then(
      () => assert.fail("expected a rejection"),
      (e) => e,
    );
    assert.ok(err instanceof sdk[v.expect.className], `${err.name} is a ${v.expect.className}`);
    assert.deepEqual(
      { className: err.name, code: err.code, message: err.message, requestId: err.requestId, retryAfter: err.retryAfter },
      v.expect,
    );
    assert.equal(err.status, v.status);
    assert.deepEqual(err.details, v.body);
  });
}

for (const v of vectors.streams) {
  test(`reconnection: ${v.name}`, async () => {
    const transport = fnTransport((request, i) => {
      const conn = v.connections[i];
      if (!conn || conn.error) throw new sdk.ZabyConnectionError("connection refused");
      if (conn.status === 200) return { status: 200, bodyStream: body(conn.chunks) };
      return { status: conn.status, body: JSON.stringify(conn.body) };
    });
    const runtime = new sdk.ZabyRuntime({ token: "t", transport, apiOrigin: "http://vectors.test" });
    const { events, error } = await drain(runtime.runs.stream("run-1", undefined, { maxReconnects: v.maxReconnects }));
    assert.deepEqual(events, v.expect.events);
    assert.deepEqual(errorFields(error), v.expect.error);
    assert.deepEqual(
      transport.sent.map((r) => r.headers["last-event-id"] ?? null),
      v.expect.lastEventIds,
    );
  });
}

test("the vectors cover the parser, the mapping and reconnection", () => {
  assert.ok(vectors.sse.length >= 10 && vectors.errors.length >= 10 && vectors.streams.length >= 8);
});
