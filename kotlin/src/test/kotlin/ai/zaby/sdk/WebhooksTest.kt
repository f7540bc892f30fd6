package ai.zaby.sdk

import ai.zaby.sdk.types.WebhookEventType
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonObject
import java.util.Base64
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The vectors were signed by the independent `standardwebhooks` package (PyPI 1.1.0,
 * `Webhook(secret).sign("evt_01", datetime.fromtimestamp(SENT, utc), BODY)`), so the
 * check is held to another implementation's signatures. They are old on purpose: the
 * tests widen the tolerance to reach them, and check that the default refuses them.
 */
class WebhooksTest {
    private val oldSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    private val newSecret = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
    private val oldSignature = "v1,feYnhnwCf6UXHFHYtTZyG6watISFvkMfaMZTV/cF+wY="
    private val newSignature = "v1,4JBJQ/E8iNisiCpVd9mj22u7N36wGSVuuHthypWHr/8="
    private val sent = 1_796_569_200L
    private val body = """{"id":"evt_01","type":"run.completed","createdAt":"2026-12-06T15:00:00Z","tenantId":"ten_1","data":{"run":{"id":"run_1","status":"COMPLETED"}}}"""

    private fun headers(signature: String) =
        mapOf("Webhook-Id" to "evt_01", "Webhook-Timestamp" to sent.toString(), "Webhook-Signature" to signature)

    /** A tolerance that reaches back to [sent] from now. */
    private fun reaching(): Double = (System.currentTimeMillis() / 1000 - sent + 60).coerceAtLeast(60).toDouble()

    @Test
    fun `a signature of the reference implementation verifies and the event is typed`() {
        val event = Webhooks.verify(body, headers(oldSignature), oldSecret, reaching())
        assertEquals("evt_01", event.id)
        assertEquals(WebhookEventType.RUN_COMPLETED, event.type)
        assertEquals(JsonPrimitive("run_1"), event.data["run"]!!.jsonObject["id"])
    }

    @Test
    fun `a tampered body is refused`() {
        val e = assertThrows<ZabyWebhookVerificationException> {
            Webhooks.verify(body.replace("COMPLETED", "FAILED"), headers(oldSignature), oldSecret, reaching())
        }
        assertEquals("WEBHOOK_SIGNATURE_INVALID", e.code)
        assertEquals("ZabyWebhookVerificationError", e.className)
    }

    @Test
    fun `an old timestamp is refused with the default tolerance`() {
        val e = assertThrows<ZabyWebhookVerificationException> { Webhooks.verify(body, headers(oldSignature), oldSecret) }
        assertEquals("WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE", e.code)
        assertTrue(e.message!!.contains("old"), e.message)
    }

    @Test
    fun `after a rotation either secret verifies the two signatures`() {
        val both = headers("$oldSignature $newSignature")
        assertEquals("evt_01", Webhooks.verify(body, both, oldSecret, reaching()).id)
        assertEquals("evt_01", Webhooks.verify(body, both, newSecret, reaching()).id)
        assertThrows<ZabyWebhookVerificationException> { Webhooks.verify(body, headers(newSignature), oldSecret, reaching()) }
    }

    @Test
    fun `a malformed secret is a client error, not a verification failure`() {
        val e = assertThrows<ZabyClientException> { Webhooks.verify(body, headers(oldSignature), "whsec_***", reaching()) }
        assertEquals("INVALID_ARGUMENT", e.code)
    }

    // verifySignature: an http function tool's call (docs/function-tools.md), signed the
    // way the server signs it, here by the JDK's own HMAC-SHA256, with the agent's
    // function-tool secret. It is not a webhook event, so verify refuses its body.

    private val call = """{"toolCallId":"call_kt_1","runId":"run_1","agentId":"agt_1","name":"get_weather","arguments":{"city":"Oslo"}}"""

    /** The Standard Webhooks entry `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
    private fun sign(secret: String, timestamp: Long, body: String): String {
        val mac = Mac.getInstance("HmacSHA256")
        mac.init(SecretKeySpec(Base64.getDecoder().decode(secret.removePrefix("whsec_")), "HmacSHA256"))
        return "v1," + Base64.getEncoder().encodeToString(mac.doFinal("call_kt_1.$timestamp.$body".toByteArray()))
    }

    private fun signedCall(body: String = call, secrets: List<String> = listOf(oldSecret), ageS: Long = 0): Map<String, String> {
        val timestamp = System.currentTimeMillis() / 1000 - ageS
        val signatures = secrets.joinToString(" ") { sign(it, timestamp, body) }
        return mapOf("webhook-id" to "call_kt_1", "webhook-timestamp" to timestamp.toString(), "webhook-signature" to signatures)
    }

    @Test
    fun `a signed tool call verifies and its body is returned`() {
        assertEquals(Json.parseToJsonElement(call), Webhooks.verifySignature(call, signedCall(), oldSecret))
        val bytes = Webhooks.verifySignature(call.toByteArray(), signedCall(), oldSecret)
        assertEquals(JsonPrimitive("Oslo"), bytes.jsonObject["arguments"]!!.jsonObject["city"])
        val e = assertThrows<ZabyClientException> { Webhooks.verify(call, signedCall(), oldSecret) }
        assertEquals("INVALID_ARGUMENT", e.code)
    }

    @Test
    fun `a tool call is refused as a delivery is`() {
        val tampered = assertThrows<ZabyWebhookVerificationException> {
            Webhooks.verifySignature(call.replace("Oslo", "Bergen"), signedCall(), oldSecret)
        }
        assertEquals("WEBHOOK_SIGNATURE_INVALID", tampered.code)
        val foreign = assertThrows<ZabyWebhookVerificationException> { Webhooks.verifySignature(call, signedCall(), newSecret) }
        assertEquals("WEBHOOK_SIGNATURE_INVALID", foreign.code)
        val stale = assertThrows<ZabyWebhookVerificationException> {
            Webhooks.verifySignature(call, signedCall(ageS = 600), oldSecret)
        }
        assertEquals("WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE", stale.code)
    }

    @Test
    fun `a tool call signed with both secrets during a rotation verifies with either`() {
        val both = signedCall(secrets = listOf(oldSecret, newSecret))
        assertEquals(Json.parseToJsonElement(call), Webhooks.verifySignature(call, both, oldSecret))
        assertEquals(Json.parseToJsonElement(call), Webhooks.verifySignature(call, both, newSecret))
    }

    @Test
    fun `a signed body that is not JSON is an invalid argument`() {
        val text = "sunny, probably"
        val e = assertThrows<ZabyClientException> { Webhooks.verifySignature(text, signedCall(body = text), oldSecret) }
        assertEquals("INVALID_ARGUMENT", e.code)
        assertTrue(e.message!!.contains("not JSON"), e.message)
    }
}
