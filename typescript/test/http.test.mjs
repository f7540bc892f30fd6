// The built-in HTTP transport against a local Node server: JSON calls, streaming, and
// `break` closing the connection. Keep-alive sockets are closed when the server stops.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { sdk, sleep } from "./helpers.mjs";

async function serve(handler) {
  const server = http.createServer(handler);
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

test("JSON requests over HTTP, with retries on 503 and error mapping", async () => {
  let hits = 0;
  const server = await serve((req, res) => {
    hits += 1;
    if (req.url === "/health" && hits === 1) {
      res.writeHead(503, { "content-type": "application/json", "retry-after": "0" });
      return res.end(JSON.stringify({ code: "UNAVAILABLE", message: "later" }));
    }
    if (req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "srv" });
      return res.end(JSON.stringify({ status: "ok", key: req.headers["x-zaby-api-key"] }));
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "NOT_FOUND", message: "no such route" }));
  });
  try {
    const zaby = new sdk.Zaby({ apiKey: "k1", config: { apiOrigin: server.origin, retries: { attempts: 1, backoffMs: () => 0 } } });
    assert.deepEqual(await zaby.health.check(), { status: "ok", key: "k1" });
    const err = await zaby.agents.get("nope").catch((e) => e);
    assert.equal(err.constructor, sdk.ZabyNotFoundError);
    await zaby.close();
  } finally {
    await server.close();
  }
});

test("connection refused → ZabyConnectionError with a cause", async () => {
  const server = await serve(() => {});
  const origin = server.origin;
  await server.close();
  const zaby = new sdk.Zaby({ apiKey: "k", config: { apiOrigin: origin } });
  const err = await zaby.health.check().catch((e) => e);
  assert.equal(err.constructor, sdk.ZabyConnectionError);
  assert.equal(err.code, "CONNECTION_ERROR");
  assert.ok(err.cause instanceof Error);
});

test("streams over HTTP; break closes the connection at once", async () => {
  let closed = false;
  const server = await serve((req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(": connected\n\n");
    res.write(`id: 1\nevent: text\ndata: {"content":"hi","last":${JSON.stringify(req.headers["last-event-id"] ?? null)}}\n\n`);
    req.on("close", () => (closed = true));
    res.on("close", () => (closed = true));
  });
  try {
    const runtime = new sdk.ZabyRuntime({ token: "tok", config: { apiOrigin: server.origin } });
    for await (const ev of runtime.runs.stream("run-1")) {
      assert.deepEqual(ev, { id: "1", event: "text", data: { content: "hi", last: null } });
      break;
    }
    for (let i = 0; i < 500 && !closed; i++) await sleep(10); // generous: the machine may be busy
    assert.equal(closed, true, "the server saw the connection close");
    await runtime.close();
  } finally {
    await server.close();
  }
});
