/**
 * Configuration (`docs/configuration.md`): global functions, types, and the parts the core cannot
 * hold (functions): `backoffMs` is passed beside the JSON, `fetch` stays here.
 */
import { ZabyError } from "./errors.js";
import { native } from "./native.js";
import { nativeSync } from "./internal/convert.js";
import { DEFAULT_ZABY_API_ORIGIN, LOCAL_ZABY_API_ORIGIN, defaultBackoffMs, describe } from "./common.js";

export { DEFAULT_ZABY_API_ORIGIN, LOCAL_ZABY_API_ORIGIN, defaultBackoffMs, describe };

/** Retry settings; unset fields take the defaults of `docs/configuration.md`. */
export interface RetryPolicy {
  /** Additional attempts after the first (default 0). */
  attempts?: number;
  /** Methods eligible for retry (default GET, HEAD, OPTIONS). */
  retryMethods?: string[];
  /** Statuses that trigger a retry (default 408, 429, 500, 502, 503, 504). */
  retryStatuses?: number[];
  /** Delay in ms before retry `attempt + 1` (default `min(100 * 2 ** attempt, 1000)`). Must be synchronous. */
  backoffMs?: (attempt: number) => number;
}

/** One configuration layer; every field optional, unset means "inherit". */
export interface ZabyGlobalConfig {
  environment?: "production" | "staging" | "local" | (string & {});
  apiOrigin?: string;
  timeoutMs?: number;
  retries?: number | RetryPolicy;
  userAgent?: string;
  tenantId?: string;
  /**
   * For code written for the public fetch-based SDK: when set at any level and the
   * client gets no `transport`, every request goes through `new FetchTransport(fetch)`.
   */
  fetch?: typeof fetch;
}

/** The fully resolved configuration (`docs/configuration.md`). */
export interface ResolvedZabyConfig {
  environment: string;
  apiOrigin: string;
  timeoutMs: number;
  retries: {
    attempts: number;
    retryMethods: string[];
    retryStatuses: number[];
    /** Delay in ms before retry `attempt + 1` (the configured function or the `docs/configuration.md` schedule). */
    backoffMs: (attempt: number) => number;
  };
  userAgent: string | undefined;
  tenantId: string | null;
  /** The `fetch` configured at the winning level, as given. */
  fetch?: typeof fetch;
}

type Backoff = ((attempt: number) => number) | undefined;

/**
 * Splits a config into its JSON part and the `backoffMs` function, which the core calls
 * through a threadsafe function. A throwing or non-numeric backoff falls back to the
 * default delay (the core decides that); it never breaks the call. `fetch` is checked
 * and left out: it never reaches the core.
 */
export function splitConfig(config: ZabyGlobalConfig | undefined): [unknown, Backoff] {
  if (config === undefined || config === null) return [undefined, undefined];
  if (typeof config !== "object") return [config, undefined];
  const { fetch: fetchFn, ...rest } = config;
  if (fetchFn !== undefined && typeof fetchFn !== "function") {
    throw new ZabyError(`config.fetch must be a function, got ${describe(fetchFn)}`, { code: "INVALID_CONFIG" });
  }
  const retries = rest.retries;
  if (retries === null || typeof retries !== "object") return [rest, undefined];
  const { backoffMs, ...policy } = retries;
  let backoff: Backoff;
  if (backoffMs !== undefined) {
    if (typeof backoffMs !== "function") return [{ ...rest, retries: { ...policy, backoffMs } }, undefined];
    backoff = (attempt) => {
      try {
        const ms = backoffMs(attempt);
        return typeof ms === "number" ? ms : Number.NaN;
      } catch {
        return Number.NaN;
      }
    };
  }
  return [{ ...rest, retries: policy }, backoff];
}

/**
 * What the core does not keep of the global configuration: functions. `retries` is
 * replaced as a whole value (`docs/configuration.md`), so its `backoffMs` goes with it.
 */
const globalFunctions: { fetch?: typeof fetch; retries?: ZabyGlobalConfig["retries"] } = {};

/** Merges `config` into the process-wide configuration (set fields overwrite). */
export function configureZaby(config: ZabyGlobalConfig): void {
  const [json, backoff] = splitConfig(config);
  nativeSync(() => native().configureZaby(json, backoff));
  if (config?.fetch !== undefined) globalFunctions.fetch = config.fetch;
  if (config?.retries !== undefined && config.retries !== null) globalFunctions.retries = config.retries;
}

/** Restores the empty global configuration. */
export function resetZabyConfigForTests(): void {
  native().resetZabyConfigForTests();
  delete globalFunctions.fetch;
  delete globalFunctions.retries;
}

/** The `fetch` in force for a client with these overrides: instance over global. */
export function resolvedFetch(overrides: ZabyGlobalConfig | undefined): typeof fetch | undefined {
  return overrides?.fetch ?? globalFunctions.fetch;
}

/**
 * The resolved configuration in its public shape: `backoffMs` always a function (the
 * one of the winning `retries`, or the `docs/configuration.md` schedule), `userAgent` undefined when unset.
 */
export function shapeResolved(raw: Record<string, unknown>, overrides: ZabyGlobalConfig | undefined): ResolvedZabyConfig {
  const resolved = raw as unknown as ResolvedZabyConfig;
  const retries = overrides?.retries ?? globalFunctions.retries;
  const custom = typeof retries === "object" && retries !== null ? retries.backoffMs : undefined;
  resolved.retries.backoffMs = typeof custom === "function" ? custom : defaultBackoffMs;
  resolved.userAgent = resolved.userAgent ?? undefined;
  const fetchFn = resolvedFetch(overrides);
  if (fetchFn !== undefined) resolved.fetch = fetchFn;
  return resolved;
}

/** The configuration a client constructed now would use, with `overrides` on top. */
export function resolveZabyConfig(overrides?: ZabyGlobalConfig): ResolvedZabyConfig {
  const [json, backoff] = splitConfig(overrides);
  return shapeResolved(nativeSync(() => native().resolveZabyConfig(json, backoff)), overrides);
}

