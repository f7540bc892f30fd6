package ai.zaby.sdk.internal

import ai.zaby.sdk.ApiErrorFields
import ai.zaby.sdk.MockTransportException
import ai.zaby.sdk.ZabyApiException
import ai.zaby.sdk.ZabyAuthException
import ai.zaby.sdk.ZabyClientException
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyConnectionException
import ai.zaby.sdk.ZabyNotFoundException
import ai.zaby.sdk.ZabyPermissionException
import ai.zaby.sdk.ZabyRateLimitException
import ai.zaby.sdk.ZabyRuntimeTokenExhaustedException
import ai.zaby.sdk.ZabyRuntimeTokenExpiredException
import ai.zaby.sdk.ZabyStreamException
import ai.zaby.sdk.ZabyTimeoutException
import ai.zaby.sdk.ZabyValidationException
import ai.zaby.sdk.ZabyWebhookVerificationException
import ai.zaby.sdk.ffi.FfiException
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.longOrNull

/** The error the caller sees for a failure the native library reported. */
internal fun FfiException.toZaby(): Throwable = when (this) {
    is FfiException.Zaby -> fromPayload(Json.parseToJsonElement(payload).jsonObject)
}

private fun JsonObject.str(name: String): String? = (this[name] as? JsonPrimitive)?.contentOrNull

/** Builds the exception a payload names; its `cause` chain too (`docs/errors.md`). */
internal fun fromPayload(p: JsonObject): Throwable {
    (p["host"] as? JsonPrimitive)?.intOrNull?.let { id ->
        return HostErrors.take(id) ?: RuntimeException(p.str("message") ?: "a callback failed")
    }
    val message = p.str("message") ?: ""
    val code = p.str("code")
    val cause = (p["cause"] as? JsonObject)?.let(::fromPayload)
    val fields = {
        ApiErrorFields(
            status = (p["status"] as? JsonPrimitive)?.intOrNull ?: 0,
            message = message,
            code = code,
            requestId = p.str("requestId"),
            retryAfter = (p["retryAfter"] as? JsonPrimitive)?.longOrNull,
            details = p["details"].takeUnless { it == null || it is JsonNull },
            headers = (p["headers"] as? JsonObject)?.mapValues { (_, v) -> (v as? JsonPrimitive)?.contentOrNull ?: v.toString() }
                ?: emptyMap(),
            cause = cause,
        )
    }
    return when (p.str("className")) {
        "ZabyApiError" -> fields().let { ZabyApiException(it.status, it.message, it.code, it.requestId, it.retryAfter, it.details, it.headers, it.cause) }
        "ZabyAuthError" -> ZabyAuthException(fields())
        "ZabyRuntimeTokenExpiredError" -> ZabyRuntimeTokenExpiredException(fields())
        "ZabyPermissionError" -> ZabyPermissionException(fields())
        "ZabyRuntimeTokenExhaustedError" -> ZabyRuntimeTokenExhaustedException(fields())
        "ZabyNotFoundError" -> ZabyNotFoundException(fields())
        "ZabyConflictError" -> ZabyConflictException(fields())
        "ZabyValidationError" -> ZabyValidationException(fields())
        "ZabyRateLimitError" -> ZabyRateLimitException(fields())
        "ZabyStreamError" -> ZabyStreamException(fields(), p.str("runId"), p.str("lastEventId"))
        "ZabyConnectionError" -> ZabyConnectionException(message, cause)
        "ZabyTimeoutError" -> ZabyTimeoutException(message, (p["timeoutMs"] as? JsonPrimitive)?.longOrNull ?: 0, cause)
        "MockTransportError" -> MockTransportException(message, cause)
        "ZabyWebhookVerificationError" -> ZabyWebhookVerificationException(message, code, cause)
        "ZabyError" -> ZabyClientException(message, code, cause)
        // A Rust error behind a Zaby error (I/O, TLS, …).
        else -> RuntimeException(message, cause)
    }
}

/** Runs a native call, turning its failure into the caller's exception. */
internal inline fun <T> native(block: () -> T): T =
    try {
        block()
    } catch (e: FfiException) {
        throw e.toZaby()
    }
