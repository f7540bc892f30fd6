/**
 * The live zaby-server of the suite: the binary from `ZABY_SERVER_BIN`, on a
 * free port, with a fresh state directory and SQLite file and a random bootstrap key.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export interface LiveServer {
  readonly origin: string;
  readonly apiKey: string;
  readonly logPath: string;
  /** Runs an admin subcommand on the server's database; returns its stdout, trimmed. */
  cli(args: string[]): string;
  /** The id of the tenant the bootstrap key belongs to. */
  defaultTenantId(): string;
  /** A tenant access token (`tokens issue-tenant`) for `user` of the default tenant. */
  tenantToken(user: string): string;
  stop(): Promise<void>;
}

function serverBin(): string {
  const bin = process.env.ZABY_SERVER_BIN;
  if (!bin) {
    throw new Error(
      "ZABY_SERVER_BIN is not set: point it at a zaby-server binary (`make server` builds target/ci/zaby-server), " +
        "or run the suite with `make e2e-typescript`.",
    );
  }
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startServer(workDir: string): Promise<LiveServer> {
  const bin = serverBin();
  const stateDir = join(workDir, "state");
  mkdirSync(stateDir, { recursive: true });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const apiKey = `zaby_pk_${randomBytes(24).toString("hex")}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ZABY_LISTEN: `127.0.0.1:${port}`,
    ZABY_PUBLIC_ORIGIN: origin,
    ZABY_DATABASE_URL: `sqlite://${join(stateDir, "zaby.db")}`,
    ZABY_STATE_DIR: stateDir,
    ZABY_BOOTSTRAP_API_KEY: apiKey,
    ZABY_PROVISIONING_DELAY_MS: "100",
    // Ingestion jobs wait this long before they run and before they finish, so a job
    // cancelled right after its upload is still QUEUED or RUNNING.
    ZABY_JOB_DELAY_MS: "1000",
    RUST_LOG: process.env.RUST_LOG ?? "info",
  };
  const logPath = join(workDir, "server.log");
  const log = openSync(logPath, "a");
  const child = spawn(bin, ["serve"], { env, stdio: ["ignore", log, log] });
  closeSync(log);
  const spawnError = new Promise<never>((_, reject) => child.once("error", reject));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`zaby-server exited with ${child.exitCode} before it was ready:\n${readFileSync(logPath, "utf8")}`);
    }
    try {
      const res = await Promise.race([fetch(`${origin}/health`), spawnError]);
      if (res.status === 200) break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`zaby-server not ready at ${origin}: ${String(err)}`);
    }
    if (Date.now() > deadline) throw new Error(`zaby-server not ready at ${origin}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  const cli = (args: string[]): string =>
    execFileSync(bin, args, { env: { ...env, RUST_LOG: "warn" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  let tenantId: string | undefined;
  const defaultTenantId = (): string => {
    if (tenantId) return tenantId;
    const line = cli(["tenants", "list"]).split("\n").find((l) => l.includes("(default)"));
    if (!line) throw new Error("`zaby-server tenants list` shows no default tenant");
    tenantId = line.trim().split(/\s+/)[0];
    return tenantId;
  };

  return {
    origin,
    apiKey,
    logPath,
    cli,
    defaultTenantId,
    tenantToken: (user) => cli(["tokens", "issue-tenant", "--tenant", defaultTenantId(), "--user", user, "--ttl-seconds", "3600"]),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
