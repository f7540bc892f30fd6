/**
 * The error classes of `docs/errors.md` for the web build (`../error-classes.ts`, the same
 * code as the native build) and `createZabyApiError` with the web core's mapping.
 */
import { apiErrorClass, type ZabyApiError, type ZabyApiErrorInput } from "../error-classes.js";
import { classifyApiError } from "./mapping.js";

export * from "../error-classes.js";

/** Builds the class of `docs/errors.md` for a failed response. */
export function createZabyApiError(input: ZabyApiErrorInput): ZabyApiError {
  return new (apiErrorClass(classifyApiError(input.status, input.code ?? null)))(input);
}
