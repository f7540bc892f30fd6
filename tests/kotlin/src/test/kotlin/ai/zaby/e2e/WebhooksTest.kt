package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.expectApiError
import ai.zaby.e2e.support.live
import ai.zaby.sdk.ZabyNotFoundException
import ai.zaby.sdk.ZabyValidationException
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/** Webhook endpoints and their deliveries (E128–E135). */
@Order(9)
@ExtendWith(LiveSuite::class)
class WebhooksTest {
    private val z get() = Live.zaby

    @Test
    fun `E128–E135 webhook endpoints - create, list, get, update, rotate, deliveries, delete`() = live {
        val created = z.webhooks.create(mapOf("url" to "http://127.0.0.1:9/zaby-hooks", "events" to listOf("run.completed")))
        val secret = created.secret ?: error("the secret is shown at creation")
        assertTrue(secret.startsWith("whsec_"), secret)
        assertEquals(true, created.enabled)
        assertNull(created.disabledReason)
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") {
            z.webhooks.create(mapOf("url" to "http://hooks.example.com/x", "events" to listOf("*")))
        }

        val ids = z.webhooks.iter(mapOf("limit" to 2)).map { it.id }.toList()
        assertTrue(created.id in ids)
        assertNull(z.webhooks.list(mapOf("limit" to 100)).items.first { it.id == created.id }.secret)
        val read = z.webhooks.get(created.id)
        assertEquals("http://127.0.0.1:9/zaby-hooks", read.url)
        assertNull(read.secret)

        val updated = z.webhooks.update(created.id, mapOf("enabled" to false, "description" to "paused"))
        assertEquals(false, updated.enabled)
        assertEquals("paused", updated.description)
        assertEquals(listOf("run.completed"), updated.events)

        val rotated = z.webhooks.rotateSecret(created.id)
        assertTrue(rotated.secret?.startsWith("whsec_") == true)
        assertNotEquals(secret, rotated.secret)

        assertEquals(0, z.webhooks.listDeliveries(created.id, mapOf("status" to "PENDING")).items.size)
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { z.webhooks.redeliver(created.id, "no-such-delivery") }

        assertTrue(z.webhooks.delete(created.id).deleted)
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { z.webhooks.get(created.id) }
    }
}
