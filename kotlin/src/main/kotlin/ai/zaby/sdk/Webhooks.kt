package ai.zaby.sdk

import ai.zaby.sdk.internal.decode
import ai.zaby.sdk.internal.native
import ai.zaby.sdk.types.WebhookEvent

/**
 * Checking that a webhook delivery comes from the Zaby server (`docs/webhooks.md`). The
 * check — the Standard Webhooks signature scheme, several signatures after a secret
 * rotation, constant-time comparison, the timestamp tolerance — happens in the Rust core.
 *
 * ```kotlin
 * val event = Webhooks.verify(rawBody, headers, System.getenv("ZABY_WEBHOOK_SECRET"))
 * if (event.type == WebhookEventType.RUN_COMPLETED) { … }
 * ```
 */
object Webhooks {
    /** How far `webhook-timestamp` may be from now, either way, by default (seconds). */
    const val DEFAULT_TOLERANCE_S: Double = 300.0

    /**
     * The delivery's event once its signature and timestamp check out. [payload] is the
     * request body exactly as received; [headers] the request headers, names in any case;
     * [secret] the endpoint's `whsec_…` secret. Throws [ZabyWebhookVerificationException]
     * when the delivery cannot be trusted, [ZabyClientException] (`INVALID_ARGUMENT`) for a
     * malformed secret.
     */
    fun verify(
        payload: ByteArray,
        headers: Map<String, String>,
        secret: String,
        toleranceS: Double = DEFAULT_TOLERANCE_S,
    ): WebhookEvent {
        val json = native { ai.zaby.sdk.ffi.verifyWebhook(payload, headers, secret, toleranceS) }
        return decode(WebhookEvent.serializer(), json)
    }

    /** [verify] for a body already read as text (UTF-8). */
    fun verify(
        payload: String,
        headers: Map<String, String>,
        secret: String,
        toleranceS: Double = DEFAULT_TOLERANCE_S,
    ): WebhookEvent = verify(payload.toByteArray(Charsets.UTF_8), headers, secret, toleranceS)
}
