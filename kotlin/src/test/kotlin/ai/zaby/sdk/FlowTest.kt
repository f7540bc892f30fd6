package ai.zaby.sdk

import ai.zaby.sdk.types.RunEventName
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class FlowTest {
    private val events = "$RT/runs/r1/events"
    private val aiui = "$RT/runs/run-42/aiui"

    private fun memoryItem(id: String) = mapOf(
        "id" to id, "agentId" to null, "deploymentId" to null, "externalUserId" to null, "sessionId" to null,
        "content" to "likes tea", "metadata" to emptyMap<String, Any>(),
    )

    private fun text(id: Int, content: String) = mapOf("id" to "$id", "event" to "text", "data" to mapOf("content" to content))
    private fun finished(id: Int) =
        mapOf("id" to "$id", "event" to "RunFinished", "data" to mapOf("runId" to "run-42", "status" to "COMPLETED", "finalOutput" to "Hi"))

    @Test
    fun `iter flows emit items across pages, fetching the next page only when needed`() = runBlocking {
        val transport = MockTransport()
        transport.setResponse("GET", events, 200, eventPage(1, 2, next = "2"))
        transport.setResponse("GET", events, 200, eventPage(3, next = null))
        val runtime = ZabyRuntime(token = "t", transport = transport)
        val first = runtime.runs.iterEvents("r1", mapOf("limit" to 2)).take(2).toList()
        assertEquals(listOf(1L, 2L), first.map { it.seq })
        assertEquals(RunEventName.TEXT, first[0].event)
        assertEquals(1, transport.requests.size, "the second page was not fetched")

        transport.reset()
        transport.setResponse("GET", events, 200, eventPage(1, 2, next = "2"))
        transport.setResponse("GET", events, 200, eventPage(3, next = null))
        val all = runtime.runs.iterEvents("r1", mapOf("limit" to 2)).toList()
        assertEquals(listOf("1", "2", "3"), all.map { it.id })
        assertEquals(listOf("$events?limit=2", "$events?limit=2&cursor=2"), transport.requests.map { it.path })
    }

    @Test
    fun `a repeated cursor fails after the page's items`() = runBlocking {
        val transport = MockTransport()
        val mem = "$AGENTS/memory-items"
        transport.setResponse("GET", mem, 200, mapOf("items" to listOf(memoryItem("m1")), "nextCursor" to "c"))
        transport.setResponse("GET", mem, 200, mapOf("items" to listOf(memoryItem("m2")), "nextCursor" to "c"))
        val zaby = Zaby(apiKey = "k", transport = transport)
        val seen = mutableListOf<String>()
        val e = thrown<ZabyClientException> { runBlocking { zaby.memory.iterItems().collect { seen += it.id } } }
        assertEquals("PAGINATION_CURSOR_REPEATED", e.code)
        assertEquals(listOf("m1", "m2"), seen)
    }

    @Test
    fun `a run stream emits typed events and ends at the terminal one`() = runBlocking {
        val transport = MockTransport()
        transport.setSse("GET", aiui, listOf(text(1, "Hi"), finished(2), text(3, "never")))
        val runtime = ZabyRuntime(token = "t", transport = transport)
        val got = runtime.runs.stream("run-42", mapOf("afterSeq" to 0)).toList()
        assertEquals(2, got.size)
        val first = got[0] as RunEvent.Text
        assertEquals("1", first.id)
        assertEquals("Hi", first.content)
        val last = got[1] as RunEvent.RunFinished
        assertEquals("COMPLETED", last.status)
        assertEquals("run-42", last.payload.runId)
        assertEquals("Hi", last.finalOutput)
        val request = transport.requests.single()
        assertEquals("$aiui?afterSeq=0", request.path)
        assertEquals("text/event-stream", request.headers["accept"])
        assertEquals("Bearer t", request.headers["authorization"])
    }

    @Test
    fun `a dropped stream reconnects with last-event-id and never repeats an event`() = runBlocking {
        val transport = MockTransport()
        transport.setSse("GET", aiui, listOf(text(1, "a"), text(2, "b")))
        transport.setSse("GET", aiui, listOf(text(1, "a"), text(2, "b"), text(3, "c"), finished(4)))
        val runtime = ZabyRuntime(token = "t", transport = transport, config = FAST)
        assertEquals(listOf("1", "2", "3", "4"), runtime.runs.stream("run-42").toList().map { it.id })
        assertEquals("2", transport.requests[1].headers["last-event-id"])

        transport.reset()
        transport.setSse("GET", aiui, listOf(text(1, "a")))
        val e = thrown<ZabyStreamException> {
            runBlocking { runtime.runs.stream("run-42", options = StreamOptions(maxReconnects = 0)).toList() }
        }
        assertEquals("STREAM_DISCONNECTED", e.code)
        assertEquals("run-42", e.runId)
        assertEquals("1", e.lastEventId)
        assertEquals(0, e.status)
    }

    @Test
    fun `unknown and unnamed events arrive as Other with their data`() = runBlocking {
        val transport = MockTransport()
        transport.setSse("GET", aiui, listOf(mapOf("id" to "1", "event" to "custom", "data" to mapOf("x" to 1)), finished(2)))
        val runtime = ZabyRuntime(token = "t", transport = transport)
        val other = runtime.runs.stream("run-42").first() as RunEvent.Other
        assertEquals("custom", other.event)
        assertEquals("1", other.data.str("x"))
    }

    @Test
    fun `a custom transport answers a stream with the event stream's text`() = runBlocking {
        val sse = "id: 1\nevent: text\ndata: {\"content\":\"Hi\"}\n\n" +
            "id: 2\nevent: RunFinished\ndata: {\"runId\":\"run-42\",\"status\":\"COMPLETED\"}\n\n"
        val seen = mutableListOf<TransportRequest>()
        val transport = Transport { request ->
            seen += request
            TransportResponse(200, mapOf("Content-Type" to "text/event-stream"), body = sse)
        }
        val runtime = ZabyRuntime(token = "t", transport = transport)
        val got = runtime.runs.stream("run-42").toList()
        assertEquals(listOf("text", "RunFinished"), got.map { it.event })
        assertEquals("Hi", (got[0] as RunEvent.Text).content)
        assertTrue(seen.single().stream)
        assertEquals(aiui, seen.single().path)
    }

    @Test
    fun `a custom transport's body stream is parsed as it arrives and cancelled when the collector stops`() = runBlocking {
        val firstSeen = CompletableDeferred<Unit>()
        val bodyCancelled = CompletableDeferred<Unit>()
        val transport = Transport { request ->
            assertTrue(request.stream)
            TransportResponse(
                200,
                mapOf("content-type" to "text/event-stream"),
                bodyStream = flow {
                    try {
                        // One event split across chunks, then nothing more until the collector has it.
                        emit("id: 1\nevent: te".toByteArray())
                        emit("xt\ndata: {\"content\":\"Hi\"}\n\n".toByteArray())
                        firstSeen.await()
                        emit("id: 2\nevent: text\ndata: {\"content\":\"again\"}\n\n".toByteArray())
                        awaitCancellation()
                    } finally {
                        bodyCancelled.complete(Unit)
                    }
                },
            )
        }
        val runtime = ZabyRuntime(token = "t", transport = transport)
        val got = withTimeout(10_000) {
            runtime.runs.stream("run-42").onEach { if (it.id == "1") firstSeen.complete(Unit) }.take(2).toList()
        }
        assertEquals(listOf("Hi", "again"), got.map { (it as RunEvent.Text).content })
        withTimeout(10_000) { bodyCancelled.await() }
    }

    @Test
    fun `a connection error thrown by a body stream reconnects with last-event-id`() = runBlocking {
        val seen = mutableListOf<TransportRequest>()
        val transport = Transport { request ->
            seen += request
            val body = if (seen.size == 1) {
                flow {
                    emit("id: 1\nevent: text\ndata: {\"content\":\"a\"}\n\n".toByteArray())
                    throw ZabyConnectionException("reset mid-stream")
                }
            } else {
                flowOf("id: 2\nevent: RunFinished\ndata: {\"runId\":\"run-42\",\"status\":\"COMPLETED\"}\n\n".toByteArray())
            }
            TransportResponse(200, mapOf("content-type" to "text/event-stream"), bodyStream = body)
        }
        val runtime = ZabyRuntime(token = "t", transport = transport, config = FAST)
        assertEquals(listOf("1", "2"), runtime.runs.stream("run-42").toList().map { it.id })
        assertEquals("1", seen[1].headers["last-event-id"])
    }

    @Test
    fun `cancelling the collector cancels the stream's request`() = runBlocking {
        val started = CompletableDeferred<Unit>()
        val cancelled = CompletableDeferred<Unit>()
        val hanging = Transport {
            started.complete(Unit)
            try {
                delay(60_000)
                TransportResponse(200)
            } finally {
                cancelled.complete(Unit)
            }
        }
        val runtime = ZabyRuntime(token = "t", transport = hanging, config = ZabyConfig(timeoutMs = 120_000))
        val collector = async { runtime.runs.stream("run-42").toList() }
        withTimeout(10_000) { started.await() }
        collector.cancel()
        withTimeout(10_000) { cancelled.await() }
        assertTrue(collector.isCancelled)
    }
}
