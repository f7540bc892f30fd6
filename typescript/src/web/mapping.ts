/**
 * The web core's error mapping, mirroring `crates/zaby/src/error.rs`
 * (`ApiErrorKind::classify`, `ApiError::from_parts`, `parse_retry_after`).
 */
import { apiErrorClass, type ZabyApiError, type ZabyApiErrorInput } from "../error-classes.js";

/** The class of the `docs/errors.md` mapping table: the first matching row wins. */
export function classifyApiError(status: number, code: string | null): string {
  if (code === "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED") return "ZabyRuntimeTokenExpiredError";
  if (code === "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED") return "ZabyRuntimeTokenExhaustedError";
  switch (status) {
    case 429:
      return "ZabyRateLimitError";
    case 401:
      return "ZabyAuthError";
    case 403:
      return "ZabyPermissionError";
    case 404:
      return "ZabyNotFoundError";
    case 409:
      return "ZabyConflictError";
    case 400:
    case 422:
      return "ZabyValidationError";
    default:
      return "ZabyApiError";
  }
}

/** `retry-after` as whole seconds: an integer, or an HTTP-date counted from `now` (never negative). */
export function parseRetryAfter(value: string, now: number = Date.now()): number | null {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/GMT$/.test(text)) return null;
  return Math.max(0, Math.floor((date - now) / 1000));
}

/** The fields of the error for a non-2xx response (`docs/errors.md`). */
export function apiErrorInput(
  status: number,
  headers: Record<string, string>,
  body: unknown,
  sentRequestId: string | undefined,
): ZabyApiErrorInput {
  const object = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const message =
    typeof object?.message === "string" && object.message !== ""
      ? object.message
      : `Zaby API request failed with status ${status}.`;
  const code = typeof object?.code === "string" ? object.code : typeof object?.errorCode === "string" ? object.errorCode : null;
  const retryAfter = headers["retry-after"] === undefined ? null : parseRetryAfter(headers["retry-after"]);
  return {
    status,
    message,
    code,
    requestId: headers["x-request-id"] ?? sentRequestId ?? null,
    retryAfter,
    details: body ?? null,
    headers,
  };
}

/** The error for a non-2xx response, of the class the mapping names. */
export function apiErrorFrom(
  status: number,
  headers: Record<string, string>,
  body: unknown,
  sentRequestId: string | undefined,
): ZabyApiError {
  const input = apiErrorInput(status, headers, body, sentRequestId);
  return new (apiErrorClass(classifyApiError(status, input.code ?? null)))(input);
}
