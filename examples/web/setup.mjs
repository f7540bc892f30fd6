// Once, before `node server.mjs`: an agent on the development model, deployed, and an
// external app whose allowedOrigins lists the page's origin, bound to the deployment
// with browser tokens allowed, plus the quota policy every mint names.
//
//   ZABY_API_ORIGIN=http://127.0.0.1:9080 ZABY_API_KEY=zaby_pk_... \
//     node setup.mjs http://127.0.0.1:8080 > .env
//
// prints the ZABY_* lines that server.mjs reads (`node --env-file=.env server.mjs`).
import { fileURLToPath } from "node:url";
import { Zaby } from "@zaby/sdk";

/** Creates everything the page needs and answers the ids server.mjs reads. */
export async function setUp(zaby, allowedOrigins) {
  const suffix = Math.random().toString(16).slice(2, 10);
  const agent = await zaby.agents.create({
    slug: `web-assistant-${suffix}`,
    name: "Web assistant",
    instructions: "Answer the visitor briefly.",
  });
  const version = await zaby.agents.publish(agent.id);
  const deployment = await zaby.agents.deploy(agent.id, { agentVersionId: version.id, environment: "PRODUCTION" });
  await zaby.deployments.waitUntilActive(deployment.id, { timeoutMs: 60_000 });
  const app = await zaby.externalApps.create({ name: "Web example", slug: `web-example-${suffix}`, allowedOrigins });
  await zaby.externalApps.bindDeployment(app.id, { deploymentId: deployment.id, allowBrowserRuntime: true });
  const policy = await zaby.runtimeTokenPolicies.create({
    name: "web example",
    externalAppId: app.id,
    deploymentId: deployment.id,
    maxConcurrentRuns: 2,
    tokenTtlSeconds: 900,
  });
  return {
    ZABY_AGENT_ID: agent.id,
    ZABY_DEPLOYMENT_ID: deployment.id,
    ZABY_EXTERNAL_APP_ID: app.id,
    ZABY_QUOTA_POLICY_ID: policy.id,
  };
}

if (fileURLToPath(import.meta.url) === process.argv[1]) {
  const origins = process.argv.slice(2);
  if (origins.length === 0) {
    console.error("usage: node setup.mjs <page origin>… (e.g. http://127.0.0.1:8080)");
    process.exit(2);
  }
  const zaby = new Zaby({ apiKey: process.env.ZABY_API_KEY, apiOrigin: process.env.ZABY_API_ORIGIN });
  try {
    for (const [name, value] of Object.entries(await setUp(zaby, origins))) console.log(`${name}=${value}`);
  } finally {
    await zaby.close();
  }
}
