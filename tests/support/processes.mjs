// Processes the browser tests start (the playground's and the web example's): a
// zaby-server on a fresh SQLite database (ZABY_SERVER_BIN) and any helper process, each
// on a free port of 127.0.0.1, with their output kept for the failure message.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });

/** Polls `url` until it answers 200, or fails once `child` exits or 20 s pass. */
export async function ready(url, child, log) {
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

/** `command` with `env` added to ours; `stop()` ends it with SIGTERM and waits. */
export function run(command, args, env) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  return { child, stop, log: () => output };
}

/**
 * A zaby-server (ZABY_SERVER_BIN) on a fresh SQLite database and a free port, with a
 * bootstrap API key; `env` adds or overrides settings. `stop()` also removes its state.
 */
export async function startZabyServer(env = {}) {
  const bin = process.env.ZABY_SERVER_BIN;
  if (!bin) throw new Error("ZABY_SERVER_BIN names the zaby-server to test (the Makefile sets it)");
  const state = mkdtempSync(join(tmpdir(), "zaby-browser-test-"));
  const origin = `http://127.0.0.1:${await freePort()}`;
  const apiKey = `zaby_pk_test_${randomBytes(12).toString("hex")}`;
  const server = run(bin, ["serve"], {
    ZABY_LISTEN: origin.slice("http://".length),
    ZABY_PUBLIC_ORIGIN: origin,
    ZABY_DATABASE_URL: `sqlite://${state}/zaby.db`,
    ZABY_STATE_DIR: state,
    ZABY_BOOTSTRAP_API_KEY: apiKey,
    RUST_LOG: process.env.RUST_LOG ?? "warn",
    ...env,
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
  return { origin, apiKey, child: server.child, log: server.log, stop };
}
