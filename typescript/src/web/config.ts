/**
 * Configuration (`docs/configuration.md`) for the web build: the layers, precedence and validation
 * of the Rust core's `config.rs` and of the Node addon's conversion (`config.rs` in
 * `bindings/node`), in TypeScript. Environment variables are read only where a
 * `process.env` exists (Node loading the web build); browsers have none.
 */
import { DEFAULT_ZABY_API_ORIGIN, LOCAL_ZABY_API_ORIGIN, defaultBackoffMs, describe } from "../common.js";
import { ZabyError } from "../error-classes.js";
import type { ResolvedZabyConfig, RetryPolicy, ZabyGlobalConfig } from "../config.js";

export type { ResolvedZabyConfig, RetryPolicy, ZabyGlobalConfig };
export { DEFAULT_ZABY_API_ORIGIN, LOCAL_ZABY_API_ORIGIN, defaultBackoffMs };


const DEFAULT_TIMEOUT_MS = 30_000;
const ENVIRONMENTS = ["production", "staging", "local"];
const DEFAULT_RETRY_METHODS = ["GET", "HEAD", "OPTIONS"];
const DEFAULT_RETRY_STATUSES = [408, 429, 500, 502, 503, 504];
const FIELDS = ["environment", "apiOrigin", "timeoutMs", "retries", "userAgent", "tenantId", "fetch"];
const POLICY_FIELDS = ["attempts", "retryMethods", "retryStatuses", "backoffMs"];

/** One validated layer. */
interface Layer {
  environment?: string;
  apiOrigin?: string;
  timeoutMs?: number;
  retries?: number | RetryPolicy;
  userAgent?: string;
  tenantId?: string;
  fetch?: typeof fetch;
}

const bad = (message: string): ZabyError => new ZabyError(message, { code: "INVALID_CONFIG" });
const shown = (v: unknown): string => (typeof v === "function" ? "a function" : (JSON.stringify(v) ?? String(v)));

function integer(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw bad(`${what} must be an integer, got ${shown(value)}`);
  return value;
}

function stringField(config: Record<string, unknown>, name: string): string | undefined {
  const v = config[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw bad(`config.${name} must be a string, got ${shown(v)}`);
  return v;
}

function policyOf(map: Record<string, unknown>): RetryPolicy {
  const unknown = Object.keys(map).find((k) => !POLICY_FIELDS.includes(k));
  if (unknown !== undefined) throw bad(`unknown retry policy field ${JSON.stringify(unknown)} (known: ${POLICY_FIELDS.join(", ")})`);
  const policy: RetryPolicy = {};
  if (map.attempts != null) policy.attempts = Math.max(0, integer(map.attempts, "config.retries.attempts"));
  const methods = map.retryMethods;
  if (methods != null) {
    if (!Array.isArray(methods)) throw bad(`config.retries.retryMethods must be an array of strings, got ${shown(methods)}`);
    for (const m of methods) {
      if (typeof m !== "string") throw bad(`config.retries.retryMethods must hold strings, got ${shown(m)}`);
    }
    policy.retryMethods = [...methods];
  }
  const statuses = map.retryStatuses;
  if (statuses != null) {
    if (!Array.isArray(statuses)) throw bad(`config.retries.retryStatuses must be an array of integers, got ${shown(statuses)}`);
    policy.retryStatuses = statuses.map((s) => {
      const n = integer(s, "config.retries.retryStatuses[]");
      if (n < 0 || n > 65535) throw bad(`${n} is not an HTTP status`);
      return n;
    });
  }
  if (typeof map.backoffMs === "function") policy.backoffMs = map.backoffMs as (attempt: number) => number;
  return policy;
}

/** Checks one configuration layer as the native build does. */
export function layerOf(config: unknown): Layer {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw bad(`config must be an object, got ${shown(config)}`);
  const map = config as Record<string, unknown>;
  const defined = Object.keys(map).filter((k) => map[k] !== undefined);
  const unknown = defined.find((k) => !FIELDS.includes(k));
  if (unknown !== undefined) throw bad(`unknown config field ${JSON.stringify(unknown)} (known: ${FIELDS.slice(0, 6).join(", ")})`);
  if (map.fetch !== undefined && typeof map.fetch !== "function") {
    throw bad(`config.fetch must be a function, got ${describe(map.fetch)}`);
  }
  const layer: Layer = {};
  const environment = stringField(map, "environment");
  if (environment !== undefined) layer.environment = environment;
  const apiOrigin = stringField(map, "apiOrigin");
  if (apiOrigin !== undefined) layer.apiOrigin = apiOrigin;
  if (map.timeoutMs != null) {
    const n = integer(map.timeoutMs, "config.timeoutMs");
    if (n < 0) throw bad(`config.timeoutMs must be at least 1, got ${n}`);
    layer.timeoutMs = n;
  }
  const retries = map.retries;
  if (retries != null) {
    layer.retries =
      typeof retries === "object" && !Array.isArray(retries)
        ? policyOf(retries as Record<string, unknown>)
        : integer(retries, "config.retries");
  }
  const userAgent = stringField(map, "userAgent");
  if (userAgent !== undefined) layer.userAgent = userAgent;
  const tenantId = stringField(map, "tenantId");
  if (tenantId !== undefined) layer.tenantId = tenantId;
  if (typeof map.fetch === "function") layer.fetch = map.fetch as typeof fetch;
  return layer;
}

/** Set fields of `over` win (`docs/configuration.md`: `retries` is replaced as a whole value). */
function merged(base: Layer, over: Layer): Layer {
  const out: Layer = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

let globalLayer: Layer = {};

function envLayer(): Layer {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const read = (name: string): string | undefined => (env?.[name] ? env[name] : undefined);
  const layer: Layer = {};
  const apiOrigin = read("ZABY_API_ORIGIN");
  if (apiOrigin !== undefined) layer.apiOrigin = apiOrigin;
  const environment = read("ZABY_ENVIRONMENT");
  if (environment !== undefined) layer.environment = environment;
  return layer;
}

/** Merges `config` into the process-wide configuration (set fields overwrite). */
export function configureZaby(config: ZabyGlobalConfig): void {
  globalLayer = merged(globalLayer, layerOf(config));
}

/** Restores the empty global configuration. */
export function resetZabyConfigForTests(): void {
  globalLayer = {};
}

function normalizeOrigin(origin: string): string {
  const trimmed = origin.replace(/\/+$/, "");
  const valid = ["http://", "https://"].some((s) => trimmed.length > s.length && trimmed.slice(0, s.length).toLowerCase() === s);
  if (!valid) throw bad(`api_origin must start with http:// or https:// (got ${JSON.stringify(origin)})`);
  return trimmed;
}

function effectiveRetries(retries: Layer["retries"]): ResolvedZabyConfig["retries"] {
  if (retries === undefined || (typeof retries === "number" && retries <= 0)) {
    return { attempts: 0, retryMethods: [], retryStatuses: [], backoffMs: defaultBackoffMs };
  }
  const policy: RetryPolicy = typeof retries === "number" ? { attempts: retries } : retries;
  return {
    attempts: policy.attempts ?? 0,
    retryMethods: (policy.retryMethods ?? DEFAULT_RETRY_METHODS).map((m) => m.toUpperCase()),
    retryStatuses: [...(policy.retryStatuses ?? DEFAULT_RETRY_STATUSES)],
    backoffMs: policy.backoffMs ?? defaultBackoffMs,
  };
}

/** The configuration a client constructed now would use, with `overrides` on top. */
export function resolveZabyConfig(overrides?: ZabyGlobalConfig): ResolvedZabyConfig {
  const over = layerOf(overrides);
  const layered = merged(merged(envLayer(), globalLayer), over);
  const environment = layered.environment ?? "production";
  if (!ENVIRONMENTS.includes(environment)) {
    const from =
      over.environment === environment ? "" : globalLayer.environment === environment ? " (from configure_zaby)" : " (from ZABY_ENVIRONMENT)";
    throw bad(`environment ${JSON.stringify(environment)}${from} is not one of "production", "staging", "local"`);
  }
  const apiOrigin =
    layered.apiOrigin !== undefined
      ? normalizeOrigin(layered.apiOrigin)
      : environment === "local"
        ? LOCAL_ZABY_API_ORIGIN
        : DEFAULT_ZABY_API_ORIGIN;
  const timeoutMs = layered.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (timeoutMs < 1) throw bad("timeout_ms must be at least 1");
  const resolved: ResolvedZabyConfig = {
    environment,
    apiOrigin,
    timeoutMs,
    retries: effectiveRetries(layered.retries),
    userAgent: layered.userAgent,
    tenantId: layered.tenantId ?? null,
  };
  if (layered.fetch !== undefined) resolved.fetch = layered.fetch;
  return resolved;
}
