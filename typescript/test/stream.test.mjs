// runtime.runs.stream (`docs/streaming.md`): terminal event, reconnection, de-duplication, errors,
// break/return and AbortSignal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sdk, clients, collect, rejection, fnTransport, RT, sleep } from "./helpers.mjs";

const AIUI = `${RT}/runs/run-42/aiui`;
const text = (id, content) => ({ id: String(id), event: "text", data: { content } });
const finished = (id) => ({ id: String(id), event: "RunFinished", data: { runId: "run-42", status: "COMPLETED" } });

test("stops at the terminal event and sends accept: text/event-stream and the query", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", AIUI, [text(1, "Hi"), finished(2), text(3, "never")]);
  const events = await collect(runtime.runs.stream("run-42", { afterSeq: 0 }));
  assert.deepEqual(events, [
    { id: "1", event: "text", data: { content: "Hi" } },
    { id: "2", event: "RunFinished", data: { runId: "run-42", status: "COMPLETED" } },
  ]);
  const [req] = transport.requests;
  assert.equal(req.path, `${AIUI}?afterSeq=0`);
  assert.equal(req.headers.accept, "text/event-stream");
  assert.equal(req.stream, true);
});

test("connects lazily: nothing is sent before the first next()", async () => {
  const { transport, runtime } = clients();
  const stream = runtime.runs.stream("run-42");
  await sleep(10);
  assert.equal(transport.requests.length, 0);
  await stream.return();
  assert.equal(transport.requests.length, 0);
});

test("reconnects with last-event-id and drops duplicates", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", AIUI, [text(1, "a"), text(2, "b")]);
  transport.setSse("GET", AIUI, [text(1, "a"), text(2, "b"), text(3, "c"), finished(4)]);
  const events = await collect(runtime.runs.stream("run-42"));
  assert.deepEqual(events.map((e) => e.id), ["1", "2", "3", "4"]);
  assert.equal(transport.requests[1].headers["last-event-id"], "2");
});

test("maxReconnects: 0 → ZabyStreamError STREAM_DISCONNECTED with runId and lastEventId", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", AIUI, [text(1, "a")]);
  const seen = [];
  const err = await rejection((async () => {
    for await (const ev of runtime.runs.stream("run-42", undefined, { maxReconnects: 0 })) seen.push(ev.id);
  })());
  assert.deepEqual(seen, ["1"]);
  assert.ok(err instanceof sdk.ZabyStreamError && err instanceof sdk.ZabyApiError);
  assert.equal(err.name, "ZabyStreamError");
  assert.equal(err.code, "STREAM_DISCONNECTED");
  assert.equal(err.status, 0);
  assert.equal(err.runId, "run-42");
  assert.equal(err.lastEventId, "1");
});

test("id-less events then a drop: STREAM_DISCONNECTED at once, never replayed (docs/streaming.md#reconnection)", async () => {
  const { transport, runtime } = clients();
  const idLess = (content) => ({ event: "text", data: { content } });
  transport.setSse("GET", AIUI, [idLess("a"), idLess("b")]);
  transport.setSse("GET", AIUI, [idLess("a"), idLess("b")]); // the replay that must not be asked for
  const seen = [];
  const err = await rejection((async () => {
    for await (const ev of runtime.runs.stream("run-42")) seen.push(ev.data.content);
  })());
  assert.deepEqual(seen, ["a", "b"], "each event once");
  assert.ok(err instanceof sdk.ZabyStreamError);
  assert.equal(err.code, "STREAM_DISCONNECTED");
  assert.equal(err.lastEventId, null);
  assert.equal(transport.requests.length, 1, "no reconnect");
});

test("id-less events are not progress: the budget still runs out (docs/streaming.md#reconnection)", async () => {
  const { transport, runtime } = clients();
  for (let i = 0; i < 4; i++) transport.setSse("GET", AIUI, [text(1, "a"), { event: "text", data: { content: "x" } }]);
  const err = await rejection(collect(runtime.runs.stream("run-42", undefined, { maxReconnects: 1 })));
  assert.equal(err.code, "STREAM_DISCONNECTED");
  assert.equal(transport.requests.length, 2, "first connection plus one reconnect");
});

test("a dry queue during reconnection → STREAM_ERROR with the MockTransportError as cause", async () => {
  const { transport, runtime } = clients();
  transport.setSse("GET", AIUI, [text(1, "a")]);
  const err = await rejection(collect(runtime.runs.stream("run-42", undefined, { maxReconnects: 2 })));
  assert.equal(err.code, "STREAM_ERROR");
  assert.ok(err.cause instanceof sdk.MockTransportError);
  assert.equal(err.cause.message, `No mock response configured for GET ${AIUI}`);
});

test("the first connection's error status raises the mapped class", async () => {
  const { transport, runtime } = clients();
  transport.setResponse("GET", AIUI, 401, { code: "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", message: "expired" });
  const err = await rejection(collect(runtime.runs.stream("run-42")));
  assert.equal(err.constructor, sdk.ZabyRuntimeTokenExpiredError);
  assert.ok(err instanceof sdk.ZabyAuthError);
  assert.equal(err.message, "expired");
});

/** A transport whose stream body yields `chunks` and then hangs until released. */
function hangingStream(chunks) {
  const state = { returned: false, aborted: false };
  const transport = fnTransport(() => ({
    status: 200,
    bodyStream: {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          next: () =>
            i < chunks.length
              ? Promise.resolve({ done: false, value: new TextEncoder().encode(chunks[i++]) })
              : new Promise(() => {}),
          return: async () => {
            state.returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    },
  }));
  return { transport, state };
}

test("break closes the HTTP stream at once", async () => {
  const { transport, state } = hangingStream(['id: 1\nevent: text\ndata: {"content":"a"}\n\n']);
  const runtime = new sdk.ZabyRuntime({ token: "t", transport });
  for await (const ev of runtime.runs.stream("run-42")) {
    assert.equal(ev.id, "1");
    break;
  }
  await sleep(20);
  assert.equal(state.returned, true);
});

test("return() while a next() is pending ends the iteration at once", async () => {
  const { transport, state } = hangingStream([]);
  const runtime = new sdk.ZabyRuntime({ token: "t", transport });
  const stream = runtime.runs.stream("run-42");
  const pending = stream.next();
  await sleep(20);
  const started = Date.now();
  await stream.return();
  assert.deepEqual(await pending, { done: true, value: undefined });
  assert.ok(Date.now() - started < 500);
  await sleep(20);
  assert.equal(state.returned, true);
});

test("an AbortSignal aborts the stream with the signal's reason (default DOMException AbortError)", async () => {
  for (const reason of [undefined, new Error("user left")]) {
    const { transport, state } = hangingStream(['id: 1\nevent: text\ndata: {"content":"a"}\n\n']);
    const runtime = new sdk.ZabyRuntime({ token: "t", transport });
    const controller = new AbortController();
    const seen = [];
    const err = await rejection((async () => {
      for await (const ev of runtime.runs.stream("run-42", undefined, { signal: controller.signal })) {
        seen.push(ev.id);
        setTimeout(() => controller.abort(reason), 10);
      }
    })());
    assert.deepEqual(seen, ["1"]);
    if (reason) assert.equal(err, reason);
    else {
      assert.ok(err instanceof DOMException);
      assert.equal(err.name, "AbortError");
    }
    await sleep(20);
    assert.equal(state.returned, true);
  }
});

test("an already-aborted signal rejects before anything is sent", async () => {
  const { transport, runtime, zaby } = clients();
  const controller = new AbortController();
  controller.abort(new Error("early"));
  assert.equal((await rejection(runtime.runs.stream("run-42", undefined, { signal: controller.signal }).next())).message, "early");
  assert.equal((await rejection(zaby.health.check({ signal: controller.signal }))).message, "early");
  assert.equal(transport.requests.length, 0);
});

test("an AbortSignal aborts an ordinary request in flight", async () => {
  const transport = fnTransport(() => new Promise(() => {}));
  const zaby = new sdk.Zaby({ apiKey: "k", transport });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 10);
  const err = await rejection(zaby.agents.list(undefined, { signal: controller.signal }));
  assert.ok(err instanceof DOMException && err.name === "AbortError");
  await sleep(10);
  assert.equal(transport.sent[0].signal.aborted, true, "the transport's attempt was aborted too");
});

test("closing the runtime ends open streams (the pending read fails CLIENT_CLOSED)", async () => {
  const { transport, state } = hangingStream([]);
  const runtime = new sdk.ZabyRuntime({ token: "t", transport });
  const stream = runtime.runs.stream("run-42");
  const pending = stream.next();
  await sleep(20);
  await runtime.close();
  const err = await rejection(pending);
  assert.equal(err.code, "CLIENT_CLOSED");
  assert.deepEqual(await stream.next(), { done: true, value: undefined });
  await sleep(20);
  assert.equal(state.returned, true);
});

test("an exception from a custom transport after the stream opened → STREAM_ERROR, the exception as cause", async () => {
  const boom = new Error("proxy exploded");
  let calls = 0;
  const transport = fnTransport(() => {
    calls += 1;
    if (calls > 1) throw boom;
    return { status: 200, body: 'id: 1\nevent: text\ndata: {"content":"a"}\n\n' };
  });
  const runtime = new sdk.ZabyRuntime({ token: "t", transport });
  const err = await rejection(collect(runtime.runs.stream("run-42")));
  assert.ok(err instanceof sdk.ZabyStreamError);
  assert.equal(err.code, "STREAM_ERROR");
  assert.equal(err.cause, boom);
  assert.equal(err.lastEventId, "1");
  assert.equal(transport.sent[1].headers["last-event-id"], "1");
});
