// The processes the example's browser test runs: a zaby-server on a fresh SQLite
// database (tests/support/processes.mjs) and the example's own backend (server.mjs),
// each on a free port of 127.0.0.1, stopped by the test.
import { fileURLToPath } from "node:url";
import { freePort, ready, run } from "../../../tests/support/processes.mjs";

export { startZabyServer } from "../../../tests/support/processes.mjs";

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
