package ai.zaby.sdk

import ai.zaby.sdk.internal.decode
import ai.zaby.sdk.internal.native
import ai.zaby.sdk.types.WebhookEvent
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement

/**
 * Checking that a webhook delivery (`docs/webhooks.md`) or an http function tool's call
 * (`docs/function-tools.md`) comes from the Zaby server. The check — the Standard Webhooks signature scheme, several signatures after a secret
 * rotation, constant-time comparison, the timestamp tolerance — happens in the Rust core.
 *
 * ```kotlin
 * val event = Webhooks.verify(rawBody, headers, System.getenv("ZABY_WEBHOOK_SECRET"))
 * if (event.type == WebhookEventType.RUN_COMPLETED) { … }
 * val call = Webhooks.verifySignature(rawBody, headers, System.getenv("ZABY_TOOL_SECRET")).jsonObject
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

    /**
     * A signed request's body, parsed from JSON, once its signature and timestamp check
     * out: the check of [verify], for bodies that are not webhook events. An http function
     * tool's receiver gives it the call as received and the agent's `functionToolSecret`,
     * and gets `{toolCallId, runId, agentId, name, arguments}` back. Throws as [verify]
     * does, and [ZabyClientException] (`INVALID_ARGUMENT`) when the signed body is not JSON.
     */
    fun verifySignature(
        payload: ByteArray,
        headers: Map<String, String>,
        secret: String,
        toleranceS: Double = DEFAULT_TOLERANCE_S,
    ): JsonElement {
        val json = native { ai.zaby.sdk.ffi.verifySignature(payload, headers, secret, toleranceS) }
        return Json.parseToJsonElement(json)
    }

    /** [verifySignature] for a body already read as text (UTF-8). */
    fun verifySignature(
        payload: String,
        headers: Map<String, String>,
        secret: String,
        toleranceS: Double = DEFAULT_TOLERANCE_S,
    ): JsonElement = verifySignature(payload.toByteArray(Charsets.UTF_8), headers, secret, toleranceS)
}
