/**
 * Drop-in for the public fetch-based TypeScript SDK (`@zaby-ai/sdk`): a program written
 * against its documented surface, with a user-supplied `fetch` (here one that logs every
 * request, as users add for instrumentation), where only the import line changed. It
 * runs end to end against the live server, and every request — calls and the stream —
 * must have gone through that `fetch`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
// Was: import { Zaby, ZabyRuntime, ZabyNotFoundError, ZabyApiError, type Provisioning } from "@zaby-ai/sdk";
import { Zaby, ZabyRuntime, ZabyNotFoundError, ZabyApiError, type Provisioning } from "@zaby/sdk";
import { ctx } from "./support/context.js";
import { uniq } from "./support/helpers.js";

interface Logged {
  method: string;
  url: string;
  status: number;
}

/** The user's program, unchanged from the public SDK apart from the import. */
async function publicSdkProgram(origin: string, apiKey: string, fetchImpl: typeof fetch): Promise<string> {
  const zaby = new Zaby({ apiKey, config: { apiOrigin: origin, fetch: fetchImpl, timeoutMs: 30_000 } });
  const health = await zaby.health.check();
  assert.equal(typeof health.status, "string");

  const slug = uniq("dropin");
  const agent = await zaby.agents.create({ slug, name: "Drop-in", instructions: "Be brief." });
  const version = await zaby.agents.publish(agent.id);
  const deployment = await zaby.agents.deploy(agent.id, { agentVersionId: version.id, environment: "PRODUCTION" });
  // The public SDK's documented way to wait: poll getProvisioning while it is 404.
  let provisioning: Provisioning | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      provisioning = await zaby.deployments.getProvisioning(deployment.id);
      break;
    } catch (err) {
      if (!(err instanceof ZabyNotFoundError) || attempt > 150) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  assert.equal(provisioning?.status, "ACTIVE");

  const app = await zaby.externalApps.create({ name: slug, slug });
  await zaby.externalApps.bindDeployment(app.id, { deploymentId: deployment.id });
  const policy = await zaby.runtimeTokenPolicies.create({ name: slug, externalAppId: app.id, deploymentId: deployment.id });
  const minted = await zaby.runtimeTokens.create({
    externalAppId: app.id,
    deploymentId: deployment.id,
    quotaPolicyId: policy.id,
    externalUserId: "user-1",
  });
  try {
    await zaby.agents.get("no-such-agent");
    assert.fail("expected a 404");
  } catch (err) {
    assert.ok(err instanceof ZabyApiError && err.status === 404);
  }
  await zaby.close();

  const runtime = new ZabyRuntime({ token: minted.token, config: { apiOrigin: origin, fetch: fetchImpl } });
  const run = await runtime.runs.start({ input: "hello", respondAsync: true });
  let reply = "";
  let terminal = "";
  for await (const event of runtime.runs.stream(run.runId)) {
    if (event.event === "text") reply += (event.data as { content: string }).content;
    if (event.event === "RunFinished" || event.event === "RunError") terminal = event.event;
  }
  await runtime.close();
  assert.equal(terminal, "RunFinished");
  return reply;
}

describe("drop-in for the public SDK", () => {
  test("a program written for the public SDK runs with only the import changed, through the user's fetch", async () => {
    const { server } = ctx();
    const logged: Logged[] = [];
    const loggingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      logged.push({ method: init?.method ?? "GET", url: String(input), status: response.status });
      return response;
    };
    const reply = await publicSdkProgram(server.origin, server.apiKey, loggingFetch);
    assert.equal(reply, "You said: hello");

    const paths = logged.map((l) => `${l.method} ${new URL(l.url).pathname} ${l.status}`);
    assert.ok(paths.includes("GET /health 200"), paths.join("\n"));
    assert.ok(paths.some((p) => /^POST \/api\/v1\/provisioning\/agentic-os\/agents 201$/.test(p)), paths.join("\n"));
    assert.ok(paths.some((p) => /\/provisioning 200$/.test(p)), "the poll ended on 200 through fetch");
    assert.ok(paths.some((p) => /^GET \/api\/v1\/agent-runtime\/runs\/[^/]+\/aiui 200$/.test(p)), "the stream went through fetch");
    assert.ok(paths.includes("GET /api/v1/provisioning/agentic-os/agents/no-such-agent 404"));
    assert.ok(logged.every((l) => l.url.startsWith(server.origin)));
  });
});
