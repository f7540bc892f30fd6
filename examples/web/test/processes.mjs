// The processes the example's browser test runs: a zaby-server on a fresh SQLite
// database (ZABY_SERVER_BIN) and the example's own backend (server.mjs), each on a
// free port of 127.0.0.1, stopped by the test.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });

/** Polls `url` until it answers 200, or fails once `child` exits or 20 s pass. */
async function ready(url, child, log) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within 20 s:\n${log()}`);
}

function run(command, args, env) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { child, stop, log: () => output };
}

export async function startZabyServer() {
  const bin = process.env.ZABY_SERVER_BIN;
  if (!bin) throw new Error("ZABY_SERVER_BIN is not set (make test-web-example sets it)");
  const state = mkdtempSync(join(tmpdir(), "zaby-web-example-"));
  const origin = `http://127.0.0.1:${await freePort()}`;
  const apiKey = `zaby_pk_web_${randomBytes(12).toString("hex")}`;
  const server = run(bin, ["serve"], {
    ZABY_LISTEN: origin.slice("http://".length),
    ZABY_PUBLIC_ORIGIN: origin,
    ZABY_DATABASE_URL: `sqlite://${state}/zaby.db`,
    ZABY_STATE_DIR: state,
    ZABY_BOOTSTRAP_API_KEY: apiKey,
    RUST_LOG: process.env.RUST_LOG ?? "warn",
  });
  const stop = async () => {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await ready(`${origin}/health`, server.child, server.log);
  } catch (e) {
    await stop();
    throw e;
  }
  return { origin, apiKey, stop };
}

/** The example's backend on a port chosen now (its origin goes into allowedOrigins), started later. */
export async function startBackend() {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let proc;
  return {
    origin,
    async start(env) {
      const script = fileURLToPath(new URL("../server.mjs", import.meta.url));
      proc = run(process.execPath, [script], { ...env, PORT: String(port), HOST: "127.0.0.1" });
      await ready(`${origin}/`, proc.child, proc.log);
    },
    stop: async () => proc?.stop(),
  };
}
