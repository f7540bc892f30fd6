/**
 * A stand-in for `zaby-bench-sse-source` (bench/clients) with the same contract, used
 * only when that binary cannot be built: `node sse-stand-in.mjs --events N` prints
 * `listening on http://127.0.0.1:PORT` and serves the N pre-rendered events of a run.
 */
import { createServer } from "node:http";

const args = process.argv.slice(2);
const n = Number(args[args.indexOf("--events") + 1]);
if (!Number.isInteger(n) || n < 1) throw new Error("--events N is required");

const CHUNK = 32 * 1024;
const chunks = [];
let pending = [": connected\n\n"];
let size = pending[0].length;
for (let seq = 1; seq <= n; seq++) {
  const last = seq === n;
  const data = last
    ? { runId: "run-bench", status: "COMPLETED", usage: { inputTokens: 12, outputTokens: n - 1 } }
    : { content: `token ${seq} of the streamed answer`, messageId: "msg-0001", index: seq - 1 };
  const block = `id: ${seq}\nevent: ${last ? "RunFinished" : "text"}\ndata: ${JSON.stringify(data)}\n\n`;
  pending.push(block);
  size += block.length;
  if (size >= CHUNK || last) {
    chunks.push(Buffer.from(pending.join("")));
    pending = [];
    size = 0;
  }
}

const server = createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  if (req.method !== "GET" || !/^\/api\/v1\/agent-runtime\/runs\/[^/]+\/aiui(\?|$)/.test(req.url)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
    "x-request-id": "req-bench",
  });
  let i = 0;
  const pump = () => {
    while (i < chunks.length) {
      if (!res.write(chunks[i++])) return void res.once("drain", pump);
    }
    res.end();
  };
  res.on("close", () => (i = chunks.length));
  pump();
});
server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
