/**
 * The error classes of `docs/errors.md` (`error-classes.ts`, shared with the web build) and
 * `createZabyApiError`, whose mapping is the native core's.
 */
import { apiErrorClass, type ZabyApiError, type ZabyApiErrorInput } from "./error-classes.js";
import { native } from "./native.js";

export * from "./error-classes.js";

/** Builds the class of `docs/errors.md` for a failed response; the mapping is the core's. */
export function createZabyApiError(input: ZabyApiErrorInput): ZabyApiError {
  return new (apiErrorClass(native().classifyApiError(input.status, input.code ?? null)))(input);
}
