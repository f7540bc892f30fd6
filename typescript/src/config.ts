/** Configuration (API.md §2): global functions, types, and the split of `backoffMs`. */
import { native } from "./native.js";
import { nativeSync } from "./internal/convert.js";

/** Retry settings; unset fields take the defaults of §2.4. */
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
}

/** The fully resolved configuration (§2.2). */
export interface ResolvedZabyConfig {
  environment: string;
  apiOrigin: string;
  timeoutMs: number;
  retries: {
    attempts: number;
    retryMethods: string[];
    retryStatuses: number[];
    backoffMs?: (attempt: number) => number;
  };
  userAgent: string | null;
  tenantId: string | null;
}

type Backoff = ((attempt: number) => number) | undefined;

/**
 * Splits a config into its JSON part and the `backoffMs` function, which the core calls
 * through a threadsafe function. A throwing or non-numeric backoff falls back to the
 * default delay (the core decides that); it never breaks the call.
 */
export function splitConfig(config: ZabyGlobalConfig | undefined): [unknown, Backoff] {
  if (config === undefined || config === null) return [undefined, undefined];
  const retries = config.retries;
  if (retries === null || typeof retries !== "object") return [config, undefined];
  const { backoffMs, ...policy } = retries;
  let backoff: Backoff;
  if (backoffMs !== undefined) {
    if (typeof backoffMs !== "function") return [{ ...config, retries: { ...policy, backoffMs } }, undefined];
    backoff = (attempt) => {
      try {
        const ms = backoffMs(attempt);
        return typeof ms === "number" ? ms : Number.NaN;
      } catch {
        return Number.NaN;
      }
    };
  }
  return [{ ...config, retries: policy }, backoff];
}

/** Merges `config` into the process-wide configuration (set fields overwrite). */
export function configureZaby(config: ZabyGlobalConfig): void {
  const [json, backoff] = splitConfig(config);
  nativeSync(() => native.configureZaby(json, backoff));
}

/** Restores the empty global configuration. */
export function resetZabyConfigForTests(): void {
  native.resetZabyConfigForTests();
}

/** The configuration a client constructed now would use, with `overrides` on top. */
export function resolveZabyConfig(overrides?: ZabyGlobalConfig): ResolvedZabyConfig {
  const [json, backoff] = splitConfig(overrides);
  const resolved = nativeSync(() => native.resolveZabyConfig(json, backoff)) as unknown as ResolvedZabyConfig;
  const fn = typeof overrides?.retries === "object" ? overrides.retries.backoffMs : undefined;
  if (fn) resolved.retries.backoffMs = fn;
  return resolved;
}

const origins = native.origins();
/** Production origin. */
export const DEFAULT_ZABY_API_ORIGIN: string = origins.default;
/** Origin of a `zaby-server` on this machine. */
export const LOCAL_ZABY_API_ORIGIN: string = origins.local;
