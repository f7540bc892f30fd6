// Auto-paginating iterators (`docs/pagination.md`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { sdk, clients, collect, rejection, RT } from "./helpers.mjs";

const MEM = "/api/v1/provisioning/agentic-os/agents/memory-items";

test("yields items across pages, lazily, keeping the caller's query", async () => {
  const { transport, runtime } = clients();
  const events = `${RT}/runs/r1/events`;
  transport.setResponse("GET", events, 200, { items: [{ seq: 1 }, { seq: 2 }], nextCursor: "2" });
  transport.setResponse("GET", events, 200, { items: [{ seq: 3 }], nextCursor: null });
  const iter = runtime.runs.iterEvents("r1", { limit: 2 });
  assert.deepEqual(await iter.next(), { done: false, value: { seq: 1 } });
  assert.deepEqual(await iter.next(), { done: false, value: { seq: 2 } });
  assert.equal(transport.requests.length, 1, "the second page is fetched only when needed");
  assert.deepEqual(await iter.next(), { done: false, value: { seq: 3 } });
  assert.deepEqual(await iter.next(), { done: true, value: undefined });
  assert.deepEqual(transport.requests.map((r) => r.path), [`${events}?limit=2`, `${events}?limit=2&cursor=2`]);
});

test("stops on an empty page or an empty cursor", async () => {
  const { transport, zaby } = clients();
  transport.setResponse("GET", MEM, 200, { items: [1], nextCursor: "" });
  assert.deepEqual(await collect(zaby.memory.iterItems()), [1]);
  transport.setResponse("GET", MEM, 200, { items: [], nextCursor: "x" });
  assert.deepEqual(await collect(zaby.memory.iterItems()), []);
});

test("a repeated cursor fails with PAGINATION_CURSOR_REPEATED after the page's items", async () => {
  const { transport, zaby } = clients();
  transport.setResponse("GET", MEM, 200, { items: [1], nextCursor: "c" });
  transport.setResponse("GET", MEM, 200, { items: [2], nextCursor: "c" });
  const seen = [];
  const err = await rejection((async () => {
    for await (const item of zaby.memory.iterItems()) seen.push(item);
  })());
  assert.deepEqual(seen, [1, 2]);
  assert.equal(err.constructor, sdk.ZabyError);
  assert.equal(err.code, "PAGINATION_CURSOR_REPEATED");
});

test("page errors surface where the page is needed; options apply to every page", async () => {
  const { transport, zaby } = clients();
  transport.setResponse("GET", MEM, 200, { items: [1], nextCursor: "c" });
  transport.setResponse("GET", MEM, 404, { code: "NOT_FOUND", message: "gone" });
  const iter = zaby.memory.iterItems(undefined, { requestId: "rid" });
  assert.equal((await iter.next()).value, 1);
  const err = await rejection(iter.next());
  assert.equal(err.constructor, sdk.ZabyNotFoundError);
  assert.deepEqual(transport.requests.map((r) => r.headers["x-request-id"]), ["rid", "rid"]);
  assert.deepEqual(await iter.next(), { done: true, value: undefined });
});

test("an AbortSignal aborts an iterator while a page is in flight", async () => {
  let n = 0;
  const transport = {
    async send() {
      n += 1;
      if (n === 1) return { status: 200, json: { items: [1], nextCursor: "c" } };
      return new Promise(() => {});
    },
  };
  const zaby = new sdk.Zaby({ apiKey: "k", transport });
  const controller = new AbortController();
  const reason = new Error("stop paging");
  const seen = [];
  const err = await rejection((async () => {
    for await (const item of zaby.memory.iterItems(undefined, { signal: controller.signal })) {
      seen.push(item);
      setTimeout(() => controller.abort(reason), 10);
    }
  })());
  assert.deepEqual(seen, [1]);
  assert.equal(err, reason);
});
