// The Zaby lifecycle against a running zaby-server, in TypeScript/JavaScript (ESM).
//
//   cd examples/typescript && npm install && \
//   ZABY_API_ORIGIN=http://127.0.0.1:9080 ZABY_API_KEY=zaby_pk_... node lifecycle.mjs
//
// The same steps as examples/python/lifecycle.py.
import { Zaby, ZabyRuntime } from "@zaby/sdk";

const HANDBOOK = `# Returns

Customers can return any item within 30 days of delivery for a full refund.
Refunds reach the original payment method within 5 business days.

# Shipping

Orders ship within 2 business days. Express delivery takes one day.
`;

const say = (step, detail = "") => console.log(`\u2192 ${step}${detail ? `: ${detail}` : ""}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The client tool: the SDK calls it for the run's getWeather calls and sends back its answer.
const tools = { getWeather: async ({ city }) => ({ city, forecast: "sunny", celsius: 21 }) };

async function waitUntil(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const apiKey = process.env.ZABY_API_KEY;
const suffix = Math.random().toString(16).slice(2, 10);
// The origin from ZABY_API_ORIGIN, or a zaby-server on this machine.
const apiOrigin = process.env.ZABY_API_ORIGIN ?? "http://localhost:9080";
const zaby = new Zaby({ apiKey, apiOrigin });
try {
  const health = await zaby.health.check();
  say("server", `${health.status} (version ${health.version})`);

  const kb = await zaby.knowledgeBases.create({ name: `Handbook ${suffix}` });
  const doc = await zaby.knowledgeBases.uploadTextDocument(kb.id, {
    title: "Customer handbook",
    content: HANDBOOK,
    fileType: "MD",
  });
  await waitUntil("the ingestion job", async () => {
    const job = await zaby.knowledgeBases.getJob(kb.id, doc.jobId);
    return job.status === "COMPLETED";
  });
  say("knowledge base", `${kb.slug} indexed`);

  const agent = await zaby.agents.create({
    slug: `support-${suffix}`,
    name: "Support assistant",
    instructions: "Answer from the handbook. Use tools for arithmetic and the weather.",
    // A client function tool: the end user's app runs it (the stream's `tools` below).
    functionTools: [{ name: "getWeather", description: "Today's weather in a city" }],
    config: {
      localModel: {
        rules: [
          { match: "add", toolName: "sum", arguments: { numbers: [30, 5] } },
          { match: "weather", toolName: "getWeather", arguments: { city: "Lyon" } },
        ],
      },
    },
  });
  say("agent created", `${agent.slug} (${agent.status})`);
  await zaby.agents.attachKnowledgeBase(agent.id, { knowledgeBaseId: kb.id });
  let sumTool;
  for await (const tool of zaby.mcp.iterCatalog({ q: "sum" })) {
    if (tool.serverSlug === "zaby-builtin" && tool.toolName === "sum") sumTool = tool;
  }
  await zaby.agents.attachMcpTool(agent.id, { toolId: sumTool.toolId, approvalMode: "MANUAL" });
  say("attached", "knowledge base + MCP tool 'sum' (manual approval)");

  const version = await zaby.agents.publish(agent.id);
  const deployment = await zaby.agents.deploy(agent.id, { agentVersionId: version.id, environment: "TEST" });
  say("deployment", deployment.status);
  const provisioning = await zaby.deployments.waitUntilActive(deployment.id, { timeoutMs: 60_000 });
  say("deployment", `${provisioning.status} at ${provisioning.runtimeUrl}`);

  const app = await zaby.externalApps.create({ name: "Storefront", slug: `storefront-${suffix}` });
  await zaby.externalApps.bindDeployment(app.id, { deploymentId: deployment.id, allowApprovals: true });
  const policy = await zaby.runtimeTokenPolicies.create({
    name: "storefront default",
    externalAppId: app.id,
    deploymentId: deployment.id,
    maxConcurrentRuns: 4,
    tokenTtlSeconds: 900,
  });
  const token = await zaby.runtimeTokens.create({
    externalAppId: app.id,
    deploymentId: deployment.id,
    quotaPolicyId: policy.id,
    externalUserId: "customer-42",
  });
  say("runtime token", `expires ${token.expiresAt}`);

  const runtime = new ZabyRuntime({ token: token.token, apiOrigin });
  try {
    for (const message of ["How long do refunds take?", "Please add my two orders", "What's the weather in Lyon?"]) {
      say("run", JSON.stringify(message));
      const started = await runtime.runs.start({ input: { message }, respondAsync: true });
      let streamingText = false;
      for await (const ev of runtime.runs.stream(started.runId, { tools })) {
        const d = ev.data;
        if (ev.event === "text") {
          // Text arrives in pieces; print them as they come, on one line.
          if (!streamingText) process.stdout.write("    text      ");
          streamingText = true;
          process.stdout.write(d.content.replaceAll("\n", " "));
          continue;
        }
        if (streamingText) process.stdout.write("\n");
        streamingText = false;
        if (ev.event === "tool_call") console.log(`    tool call ${d.toolName} ${JSON.stringify(d.arguments)}`);
        else if (ev.event === "approval_required") {
          console.log(`    approval  ${d.toolName} needs a decision: approving`);
          await runtime.approvals.approve(started.runId, d.approvalId, { reason: "demo" });
        } else if (ev.event === "tool_result") console.log(`    result    ${JSON.stringify(d.result)}`);
        else if (ev.event === "RunFinished") console.log(`    finished  ${d.status}`);
        else if (ev.event === "RunError") console.log(`    failed    ${d.code}: ${d.message}`);
      }
      await runtime.feedback.create(started.runId, { rating: 5, comment: "helpful" });
    }
  } finally {
    await runtime.close();
  }

  const usage = await zaby.usage.getAgentUsage({ agentId: agent.id });
  say("usage", `${usage.totals.runs} runs, ${usage.totals.toolCalls} tool calls`);
  const signals = await zaby.intelligence.listSignals({ agentId: agent.id });
  say("intelligence", `${signals.total} signals`);
} finally {
  await zaby.close();
}
