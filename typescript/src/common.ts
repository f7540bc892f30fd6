/** Helpers shared by the native and the web build (no native import here). */
import { ZabyError } from "./error-classes.js";

/** Production origin (the core's `DEFAULT_ZABY_API_ORIGIN`; test/config.test.mjs checks both builds). */
export const DEFAULT_ZABY_API_ORIGIN = "https://genapi.zaby.io";
/** Origin of a `zaby-server` on this machine (the core's `LOCAL_ZABY_API_ORIGIN`). */
export const LOCAL_ZABY_API_ORIGIN = "http://localhost:9080";

/** The `docs/configuration.md` schedule: 100 ms doubling per attempt, capped at 1 s. */
export function defaultBackoffMs(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 1000);
}

/** A value for an error message: its type, and the value itself when it is short. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return `${typeof value} ${String(value)}`;
  }
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

export function invalidArgument(message: string): ZabyError {
  return new ZabyError(message, { code: "INVALID_ARGUMENT" });
}

/** A required string argument: present, a string, not empty. */
export function checkString(name: string, value: unknown): void {
  if (typeof value !== "string") throw invalidArgument(`${name} must be a string, got ${describe(value)}`);
  if (value === "") throw invalidArgument(`${name} must not be empty`);
}
