/** Small helpers shared by the domain tests: polling, expected errors, fixtures. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ZabyApiError, ZabyNotFoundError, type Zaby } from "@zaby/sdk";
import type { Agent, AgentVersion, Deployment, ExternalApp, Provisioning, Run, RuntimeTokenPolicy } from "@zaby/sdk/types";

/** A slug nobody else in this run uses. */
export function uniq(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString("hex")}`;
}

/** Polls `check` until it returns a value other than `undefined`, or fails at the deadline. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** Expects `call` to reject with an API error of this class, status and code. */
export async function expectApiError<E extends ZabyApiError>(
  call: Promise<unknown>,
  cls: ErrorClass<E>,
  status: number,
  code: string,
): Promise<E> {
  let outcome: unknown;
  try {
    outcome = await call;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal(err.status, status, `status of ${String(err)}`);
    assert.equal(err.code, code, `code of ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${cls.name} ${status} ${code}, got ${JSON.stringify(outcome)}`);
}

/** The `details.errors[].field` names of a validation error. */
export function errorFields(err: ZabyApiError): string[] {
  const body = err.details as { details?: { errors?: Array<{ field: string }> } } | null;
  return (body?.details?.errors ?? []).map((e) => e.field);
}

export async function waitActive(z: Zaby, deploymentId: string): Promise<Provisioning> {
  return eventually("the deployment to become ACTIVE", async () => {
    try {
      return await z.deployments.getProvisioning(deploymentId);
    } catch (err) {
      if (err instanceof ZabyNotFoundError) return undefined;
      throw err;
    }
  });
}

export interface Deployed {
  agent: Agent;
  version: AgentVersion;
  deployment: Deployment;
}

/** An agent created with `extra`, published, deployed to PRODUCTION and ACTIVE. */
export async function deployedAgent(
  z: Zaby,
  prefix: string,
  extra: Record<string, unknown> = {},
  prepare?: (agent: Agent) => Promise<void>,
): Promise<Deployed> {
  const slug = uniq(prefix);
  const agent = await z.agents.create({ slug, name: slug, ...extra });
  if (prepare) await prepare(agent);
  const version = await z.agents.publish(agent.id);
  const deployment = await z.agents.deploy(agent.id, { agentVersionId: version.id, environment: "PRODUCTION" });
  await waitActive(z, deployment.id);
  return { agent, version, deployment };
}

export interface AppSetup {
  app: ExternalApp;
  policy: RuntimeTokenPolicy;
}

/** An external app bound to the deployment (binding `extra` merged in) with a policy. */
export async function appFor(z: Zaby, deploymentId: string, bindingExtra: Record<string, unknown> = {}): Promise<AppSetup> {
  const slug = uniq("app");
  const app = await z.externalApps.create({ name: slug, slug });
  await z.externalApps.bindDeployment(app.id, { deploymentId, ...bindingExtra });
  const policy = await z.runtimeTokenPolicies.create({ name: `${slug} policy`, externalAppId: app.id, deploymentId });
  return { app, policy };
}

/** Polls E16 until the run has `status`. */
export async function waitRun(z: Zaby, runId: string, status: string): Promise<Run> {
  return eventually(`run ${runId} to be ${status}`, async () => {
    const run = await z.agents.getRunProgress(runId);
    return run.status === status ? run : undefined;
  });
}

/** The built-in MCP installation of the tenant and one of its tools. */
export async function builtinTool(z: Zaby, name: string): Promise<{ installationId: string; toolId: string }> {
  const installs = await z.mcp.listInstallations();
  const builtin = installs.items.find((i) => i.name === "zaby-builtin");
  assert.ok(builtin, "the tenant has the zaby-builtin installation");
  const tools = await z.mcp.listInstallationTools(builtin.id);
  const tool = tools.items.find((t) => t.name === name);
  assert.ok(tool, `zaby-builtin offers ${name}`);
  return { installationId: builtin.id, toolId: tool.id };
}
