// A program using the main flows; it must compile with `tsc --strict --noEmit`.
import {
  Zaby,
  ZabyRuntime,
  ZabyApiError,
  ZabyNotFoundError,
  ZabyStreamError,
  configureZaby,
  resolveZabyConfig,
  createZabyApiError,
  AgentsClient,
  RuntimeRunsClient,
  FetchTransport,
  type Provisioning,
  type WaitUntilActiveOptions,
  type Agent,
  type ListResponse,
  type RequestOptions,
} from "@zaby/sdk";
import { ZabyRuntime as Runtime, type RunEvent, type StreamOptions, type ZabyRuntimeTokenProvider } from "@zaby/sdk/runtime";
import { MockTransport, MockTransportError, type MockResponse, type MockRequest, type MockSseEvent } from "@zaby/sdk/testing";
import { ZabyError, type ZabyApiErrorInput } from "@zaby/sdk/errors";
import type { RuntimeTokenResponse, RunStartResponse } from "@zaby/sdk/types";

export async function main(): Promise<void> {
  configureZaby({ environment: "local", retries: { attempts: 2, backoffMs: (n) => 100 * 2 ** n } });
  const resolved = resolveZabyConfig({ timeoutMs: 5000 });
  const origin: string = resolved.apiOrigin;
  const firstDelay: number = resolved.retries.backoffMs(0);
  const userAgent: string | undefined = resolved.userAgent;
  const viaFetch = new Zaby({ apiKey: "k", config: { fetch: globalThis.fetch } });
  const viaTransport = new Zaby({ apiKey: "k", baseURL: "http://localhost:9080", transport: new FetchTransport(fetch) });
  const runtimeAt = new ZabyRuntime({ token: "t", apiOrigin: "http://localhost:9080" });
  const waitOptions: WaitUntilActiveOptions = { timeoutMs: 60_000, signal: new AbortController().signal };
  const active: Provisioning = await viaFetch.deployments.waitUntilActive("dep-1", waitOptions);
  void [firstDelay, userAgent, viaTransport, runtimeAt, active];

  const queued: MockResponse[] = [{ method: "GET", path: "/health", json: { status: "ok" } }];
  const transport = new MockTransport(queued);
  const zaby = new Zaby({ apiKey: async () => "zaby_pk_x", tenantId: "t1", transport, config: { apiOrigin: origin } });
  const health = await zaby.health.check();
  const status: string = health.status;

  const agent: Agent = await zaby.agents.create({ name: "Helper", slug: "helper" });
  const page: ListResponse<Agent> = await zaby.agents.list({ limit: 10, status: "ACTIVE" });
  for await (const a of zaby.agents.iter({ limit: 50 })) {
    const id: string = a.id;
    void id;
  }
  const agents: AgentsClient = zaby.agents;
  const options: RequestOptions = { requestId: "r1", timeoutMs: 1000, signal: new AbortController().signal };
  const token: RuntimeTokenResponse = await zaby.runtimeTokens.create({ externalAppId: "app", deploymentId: "d", quotaPolicyId: "p" }, options);

  const provider: ZabyRuntimeTokenProvider = () => token.token;
  const runtime: ZabyRuntime = new Runtime({ token: provider, transport });
  const runs: RuntimeRunsClient = runtime.runs;
  const started: RunStartResponse = await runs.start({ input: "hello", respondAsync: true });
  const streamOptions: StreamOptions = { maxReconnects: 3 };
  for await (const ev of runs.stream(started.runId, { afterSeq: 0 }, streamOptions)) {
    const e: RunEvent = ev;
    if (e.event === "text") console.log(e.data.content);
    if (e.event === "RunFinished") break;
  }
  const events: MockSseEvent[] = [{ id: "1", event: "text", data: { content: "x" } }];
  transport.setSse("GET", "/x", events);
  const recorded: MockRequest[] = transport.requests;
  const pending: number = transport.pending;

  try {
    await zaby.agents.get("missing");
  } catch (err) {
    if (err instanceof ZabyNotFoundError) console.log(err.status, err.requestId, err.details, err.body);
    else if (err instanceof ZabyStreamError) console.log(err.runId, err.lastEventId);
    else if (err instanceof MockTransportError) console.log(err.code);
    else if (err instanceof ZabyError) console.log(err.code, err.cause);
  }
  const input: ZabyApiErrorInput = { status: 429, message: "slow down", retryAfter: 3 };
  const made: ZabyApiError = createZabyApiError(input);
  await zaby.close();
  await runtime.close();
  void [status, agent, page, agents, recorded, pending, made];
}
