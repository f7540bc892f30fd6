// `fetch` in the configuration (`docs/configuration.md`): with no `transport`, every request — calls and
// streams — goes through FetchTransport(fetch), so a fake fetch sees exactly what the
// native transport would send and answers with real Response objects.
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { sdk, MockTransport, collect, rejection, RT, USER_AGENT } from "./helpers.mjs";

afterEach(() => sdk.resetZabyConfigForTests());

const ORIGIN = "https://api.example";
const AGENTS = "/api/v1/provisioning/agentic-os/agents";

/** A fetch that records each request and answers with `answer(url, init)`. */
function fakeFetch(answer) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, init, body: init.body === undefined ? undefined : JSON.parse(init.body) });
    return answer(url, init);
  };
  return Object.assign(fn, { calls });
}

const json = (status, value, headers = {}) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });

test("calls go through the configured fetch with the native transport's request", async () => {
  const fetch = fakeFetch((url) => (url.endsWith(AGENTS) ? json(201, { id: "agt-1", slug: "helper" }) : json(404, { code: "NOT_FOUND", message: "no such agent" }, { "x-request-id": "req-9" })));
  const zaby = new sdk.Zaby({ apiKey: "zaby_pk_1", config: { apiOrigin: ORIGIN, fetch } });
  const agent = await zaby.agents.create({ slug: "helper", name: "Helper" }, { requestId: "mine-1" });
  assert.deepEqual(agent, { id: "agt-1", slug: "helper" });
  const [call] = fetch.calls;
  assert.equal(call.url, `${ORIGIN}${AGENTS}`);
  assert.equal(call.init.method, "POST");
  assert.deepEqual(call.body, { slug: "helper", name: "Helper" });
  assert.equal(call.init.headers["x-zaby-api-key"], "zaby_pk_1");
  assert.equal(call.init.headers["content-type"], "application/json");
  assert.equal(call.init.headers["x-request-id"], "mine-1");
  assert.match(call.init.headers["user-agent"], USER_AGENT);
  assert.ok(call.init.signal instanceof AbortSignal, "the core can abort the attempt");

  // Error responses map to the same classes and fields.
  const err = await rejection(zaby.agents.get("missing agent"));
  assert.ok(err instanceof sdk.ZabyNotFoundError);
  assert.deepEqual([err.status, err.code, err.message, err.requestId], [404, "NOT_FOUND", "no such agent", "req-9"]);
  assert.equal(fetch.calls[1].url, `${ORIGIN}${AGENTS}/missing%20agent`);
  assert.equal(fetch.calls[1].init.body, undefined);
});

test("the same requests as MockTransport records for the native path", async () => {
  const fetch = fakeFetch(() => json(200, { items: [], nextCursor: null }));
  const mock = new MockTransport();
  mock.setResponse("GET", AGENTS, 200, { items: [], nextCursor: null });
  const viaFetch = new sdk.Zaby({ apiKey: "k", tenantId: "t1", config: { apiOrigin: ORIGIN, fetch } });
  const viaMock = new sdk.Zaby({ apiKey: "k", tenantId: "t1", transport: mock, config: { apiOrigin: ORIGIN } });
  await viaFetch.agents.list({ limit: 5, q: "a b" }, { requestId: "r" });
  await viaMock.agents.list({ limit: 5, q: "a b" }, { requestId: "r" });
  const [sent] = fetch.calls;
  const [recorded] = mock.requests;
  assert.equal(sent.url, recorded.url);
  assert.equal(sent.init.method, recorded.method);
  assert.deepEqual(sent.init.headers, recorded.headers);
});

test("a stream is read from the Response body", async () => {
  const frames = [
    "id: 1\nevent: text\ndata: {\"content\":\"Hel\"}\n\n",
    "id: 2\nevent: text\ndata: {\"content\":\"lo\"}\n\n",
    "id: 3\nevent: RunFinished\ndata: {\"runId\":\"run-1\",\"status\":\"COMPLETED\"}\n\n",
  ];
  const fetch = fakeFetch(() => {
    const encoder = new TextEncoder();
    const body = new ReadableStream({
      start(controller) {
        for (const f of frames) controller.enqueue(encoder.encode(f));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  });
  sdk.configureZaby({ fetch }); // the global level works too
  const runtime = new sdk.ZabyRuntime({ token: "rt-1", config: { apiOrigin: ORIGIN } });
  const events = await collect(runtime.runs.stream("run-1", { afterSeq: 0 }));
  assert.deepEqual(events.map((e) => [e.id, e.event]), [["1", "text"], ["2", "text"], ["3", "RunFinished"]]);
  assert.deepEqual(events[1].data, { content: "lo" });
  const [call] = fetch.calls;
  assert.equal(call.url, `${ORIGIN}${RT}/runs/run-1/aiui?afterSeq=0`);
  assert.equal(call.init.headers.accept, "text/event-stream");
  assert.equal(call.init.headers.authorization, "Bearer rt-1");
});

test("a fetch that throws is a ZabyConnectionError, retried like the native transport's", async () => {
  let n = 0;
  const fetch = fakeFetch(() => {
    n += 1;
    if (n === 1) throw new TypeError("fetch failed");
    return json(200, { status: "ok" });
  });
  const retrying = new sdk.Zaby({ apiKey: "k", config: { apiOrigin: ORIGIN, fetch, retries: { attempts: 1, backoffMs: () => 0 } } });
  assert.deepEqual(await retrying.health.check(), { status: "ok" });
  assert.equal(fetch.calls.length, 2);
  const once = new sdk.Zaby({ apiKey: "k", config: { apiOrigin: ORIGIN, fetch: fakeFetch(() => { throw new TypeError("fetch failed"); }) } });
  const err = await rejection(once.health.check());
  assert.ok(err instanceof sdk.ZabyConnectionError);
  assert.match(err.message, /GET https:\/\/api\.example\/health failed: fetch failed/);
  assert.ok(err.cause instanceof TypeError);
});

test("a given transport wins over fetch; FetchTransport is exported for direct use", async () => {
  const fetch = fakeFetch(() => json(500, {}));
  const transport = new MockTransport([{ method: "GET", path: "/health", json: { status: "mock" } }]);
  const zaby = new sdk.Zaby({ apiKey: "k", transport, config: { fetch } });
  assert.deepEqual(await zaby.health.check(), { status: "mock" });
  assert.equal(fetch.calls.length, 0);

  const own = fakeFetch(() => json(200, { status: "direct" }));
  const direct = new sdk.Zaby({ apiKey: "k", transport: new sdk.FetchTransport(own), config: { apiOrigin: ORIGIN } });
  assert.deepEqual(await direct.health.check(), { status: "direct" });
  assert.equal(own.calls.length, 1);
  assert.throws(() => new sdk.FetchTransport(42), (e) => e.code === "INVALID_ARGUMENT" && /fetch must be a function, got number 42/.test(e.message));
});
