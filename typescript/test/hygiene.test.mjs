// Process hygiene: a Node process that makes calls, opens and breaks streams, and
// leaves a call waiting on a credential provider that never settles, exits by itself
// within a second of its last await.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

const CHILD = `
import { Zaby, ZabyRuntime } from ${JSON.stringify(join(dist, "index.js"))};
import { MockTransport } from ${JSON.stringify(join(dist, "testing.js"))};
const transport = new MockTransport();
transport.setResponse("GET", "/health", 200, { status: "ok" });
transport.setSse("GET", "/api/v1/agent-runtime/runs/r1/aiui", [
  { id: "1", event: "text", data: { content: "a" } },
  { id: "2", event: "text", data: { content: "b" } },
]);
const zaby = new Zaby({ apiKey: async () => "k", transport, config: { retries: { attempts: 1, backoffMs: () => 1 } } });
await zaby.health.check();
await zaby.agents.list().catch(() => {});
const runtime = new ZabyRuntime({ token: () => "t", transport });
for await (const ev of runtime.runs.stream("r1")) break;
// A stream over a custom transport whose body never ends, broken after one event.
const hanging = new ZabyRuntime({ token: "t", transport: { async send() {
  return { status: 200, bodyStream: (async function* () {
    yield new TextEncoder().encode('id: 1\\nevent: text\\ndata: {}\\n\\n');
    await new Promise(() => {});
  })() };
} } });
for await (const ev of hanging.runs.stream("r2")) break;
// A provider that never settles must not keep the process alive.
const stuck = new Zaby({ apiKey: () => new Promise(() => {}), transport });
stuck.health.check().catch(() => {});
process.stdout.write("last-await-done " + Date.now() + "\\n");
`;

test("a child process exits by itself within a second of its last await", { timeout: 30_000 }, async () => {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const code = await new Promise((r) => child.on("exit", (c) => r(c)));
  const exitedAt = Date.now();
  clearTimeout(killer);
  assert.equal(code, 0, `exit code ${code}; stderr: ${err}`);
  const match = /last-await-done (\d+)/.exec(out);
  assert.ok(match, `child output: ${out} ${err}`);
  const lag = exitedAt - Number(match[1]);
  assert.ok(lag < 1000, `exited ${lag} ms after its last await`);
});
