/**
 * The suite's shared state: one live server (started before the first test, stopped
 * after the last) and the clients that talk to it. The recording clients count for
 * coverage; the native ones use the SDK's built-in transport.
 */
import { after, before } from "node:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Zaby, ZabyRuntime } from "@zaby/sdk";
import { RecordingTransport } from "./recorder.js";
import { startServer, type LiveServer } from "./server.js";

export interface Context {
  server: LiveServer;
  /** API-key client over the recording transport. */
  zaby: Zaby;
  /** Tenant-access-token client over the recording transport. */
  tenant: Zaby;
  /** API-key client over the built-in (native) transport. */
  nativeZaby: Zaby;
  /** A runtime client for `token` over the recording transport (closed at the end). */
  runtime(token: string): ZabyRuntime;
  /** A runtime client for `token` over the built-in transport (closed at the end). */
  nativeRuntime(token: string): ZabyRuntime;
}

let current: Context | undefined;
const open: Array<{ close(): Promise<void> }> = [];

export function ctx(): Context {
  if (!current) throw new Error("the live server is not running (did `before` fail?)");
  return current;
}

function keep<T extends { close(): Promise<void> }>(client: T): T {
  open.push(client);
  return client;
}

before(async () => {
  const work = process.env.ZABY_E2E_WORK ?? mkdtempSync(join(tmpdir(), "zaby-e2e-ts-"));
  const server = await startServer(work);
  const config = { apiOrigin: server.origin };
  const transport = new RecordingTransport();
  const tenantToken = server.tenantToken("e2e-operator");
  current = {
    server,
    zaby: keep(new Zaby({ apiKey: server.apiKey, transport, config })),
    tenant: keep(new Zaby({ accessToken: tenantToken, transport, config })),
    nativeZaby: keep(new Zaby({ apiKey: server.apiKey, config })),
    runtime: (token) => keep(new ZabyRuntime({ token, transport, config })),
    nativeRuntime: (token) => keep(new ZabyRuntime({ token, config })),
  };
});

after(async () => {
  for (const client of open.splice(0)) await client.close();
  await current?.server.stop();
});
