package ai.zaby.sdk

import kotlinx.serialization.json.JsonElement

/**
 * Everything the SDK throws (`docs/errors.md`). The classes mirror the hierarchy of the
 * other languages one for one, with Kotlin's `Exception` suffix: `ZabyAuthException`
 * is `ZabyAuthError` elsewhere, and [className] gives that shared name. `code` is the
 * server's code for API errors, the SDK's own (`INVALID_ARGUMENT`, `CLIENT_CLOSED`, …)
 * otherwise.
 */
sealed class ZabyException(
    message: String,
    val code: String?,
    cause: Throwable? = null,
) : Exception(message, cause) {
    /** The class name shared by every language (`ZabyNotFoundError`, …). */
    open val className: String get() = "ZabyError"

    override fun toString(): String = "${this::class.simpleName}(code=$code, message=$message)"
}

/** An error raised by the SDK itself (bad argument or configuration, closed client, …). */
class ZabyClientException(message: String, code: String?, cause: Throwable? = null) :
    ZabyException(message, code, cause)

/** The server answered with a non-2xx status, or a stream failed. */
open class ZabyApiException(
    val status: Int,
    message: String,
    code: String? = null,
    val requestId: String? = null,
    /** Seconds from the `retry-after` header. */
    val retryAfter: Long? = null,
    /** The whole parsed response body (null when empty or not JSON). */
    val details: JsonElement? = null,
    /** Response headers, lower-case names. */
    val headers: Map<String, String> = emptyMap(),
    cause: Throwable? = null,
) : ZabyException(message, code, cause) {
    /** Alias of [details]. */
    val body: JsonElement? get() = details
    override val className: String get() = "ZabyApiError"

    override fun toString(): String = "${this::class.simpleName}(status=$status, code=$code, message=$message)"
}

/** The fields every API error carries, passed down the hierarchy in one piece. */
class ApiErrorFields(
    val status: Int,
    val message: String,
    val code: String? = null,
    val requestId: String? = null,
    val retryAfter: Long? = null,
    val details: JsonElement? = null,
    val headers: Map<String, String> = emptyMap(),
    val cause: Throwable? = null,
)

open class ZabyAuthException(f: ApiErrorFields) :
    ZabyApiException(f.status, f.message, f.code, f.requestId, f.retryAfter, f.details, f.headers, f.cause) {
    override val className: String get() = "ZabyAuthError"
}

class ZabyRuntimeTokenExpiredException(f: ApiErrorFields) : ZabyAuthException(f) {
    override val className: String get() = "ZabyRuntimeTokenExpiredError"
}

open class ZabyPermissionException(f: ApiErrorFields) :
    ZabyApiException(f.status, f.message, f.code, f.requestId, f.retryAfter, f.details, f.headers, f.cause) {
    override val className: String get() = "ZabyPermissionError"
}

class ZabyRuntimeTokenExhaustedException(f: ApiErrorFields) : ZabyPermissionException(f) {
    override val className: String get() = "ZabyRuntimeTokenExhaustedError"
}

class ZabyNotFoundException(f: ApiErrorFields) :
    ZabyApiException(f.status, f.message, f.code, f.requestId, f.retryAfter, f.details, f.headers, f.cause) {
    override val className: String get() = "ZabyNotFoundError"
}

class ZabyConflictException(f: ApiErrorFields) :
    ZabyApiException(f.status, f.message, f.code, f.requestId, f.retryAfter, f.details, f.headers, f.cause) {
    override val className: String get() = "ZabyConflictError"
}

class ZabyValidationException(f: ApiErrorFields) :
    ZabyApiException(f.status, f.message, f.code, f.requestId, f.retryAfter, f.details, f.headers, f.cause) {
    override val className: String get() = "ZabyValidationError"
}

class ZabyRateLimitException(f: ApiErrorFields) :
    ZabyApiException(f.status, f.message, f.code, f.requestId, f.retryAfter, f.details, f.headers, f.cause) {
    override val className: String get() = "ZabyRateLimitError"
}

/** A failure while consuming a run's stream (`docs/streaming.md`); `status` is 0 without a response. */
class ZabyStreamException(f: ApiErrorFields, val runId: String?, val lastEventId: String?) :
    ZabyApiException(f.status, f.message, f.code, f.requestId, f.retryAfter, f.details, f.headers, f.cause) {
    override val className: String get() = "ZabyStreamError"
}

/** No HTTP response: DNS, refused or reset connection, TLS. Custom transports throw it to be retried. */
class ZabyConnectionException(message: String, cause: Throwable? = null) :
    ZabyException(message, "CONNECTION_ERROR", cause) {
    override val className: String get() = "ZabyConnectionError"
}

/** An attempt exceeded its deadline of [timeoutMs]. Custom transports throw it to be retried. */
class ZabyTimeoutException(message: String, val timeoutMs: Long, cause: Throwable? = null) :
    ZabyException(message, "TIMEOUT", cause) {
    override val className: String get() = "ZabyTimeoutError"
}

/** A request the [MockTransport] could not answer (`docs/testing.md`). */
class MockTransportException(message: String, cause: Throwable? = null) :
    ZabyException(message, "MOCK_TRANSPORT", cause) {
    override val className: String get() = "MockTransportError"
}

/**
 * [Webhooks.verify] refused a delivery: no signature matches, a signed header is missing
 * (`WEBHOOK_SIGNATURE_INVALID`), or its timestamp is outside the tolerance
 * (`WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`) (`docs/webhooks.md`).
 */
class ZabyWebhookVerificationException(message: String, code: String?, cause: Throwable? = null) :
    ZabyException(message, code, cause) {
    override val className: String get() = "ZabyWebhookVerificationError"
}
