/**
 * Wire conventions (`docs/configuration.md`), mirroring `crates/zaby/src/wire.rs`: path parameters
 * percent-encoded (everything but `A–Z a–z 0–9 - _ . ~ ! ' ( ) *`, which is exactly
 * what `encodeURIComponent` keeps) and form-encoded query strings.
 */
import { invalidArgument } from "../common.js";

/** Fills `{name}` placeholders of `template` with `values`, in order. */
export function fillPath(template: string, names: readonly string[], values: readonly string[]): string {
  let i = 0;
  return template.replace(/\{([^}]*)\}/g, (_, placeholder: string) => {
    const name = names[i] ?? placeholder;
    const value = values[i++];
    if (value === undefined) throw invalidArgument(`missing path parameter ${name}`);
    if (value === "") throw invalidArgument(`path parameter ${name} must not be empty`);
    return encodeURIComponent(value);
  });
}

const kindOf = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "lists" : typeof v === "object" ? "objects" : typeof v;

function scalar(key: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return undefined; // JSON has no NaN/Infinity: sent as null
    return String(value);
  }
  throw invalidArgument(
    `query parameter ${JSON.stringify(key)} must be a string, number, boolean or a list of those; nested ${kindOf(value)} are not representable`,
  );
}

/** The query string of a flat mapping (without `?`); `null` dropped, lists repeat the key. */
export function buildQuery(query: unknown): string {
  if (query === undefined || query === null) return "";
  if (typeof query !== "object" || Array.isArray(query)) {
    throw invalidArgument(`query must be a mapping of names to values, got ${kindOf(query)}`);
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      const text = scalar(key, item);
      if (text !== undefined) params.append(key, text);
    }
  }
  return params.toString();
}

export const pathWithQuery = (path: string, query: string): string => (query === "" ? path : `${path}?${query}`);
