package ai.zaby.sdk

import ai.zaby.sdk.types.HealthStatus
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ClientTest {
    @AfterEach
    fun reset() = resetZabyConfigForTests()

    @Test
    fun `a call sends the method, path, body and API key and returns the answer`() = runBlocking {
        val transport = MockTransport()
        transport.setResponse("POST", AGENTS, 201, agentJson("agt-7"))
        val zaby = Zaby(apiKey = "test-key", transport = transport)
        val agent = zaby.agents.create(mapOf("slug" to "helper", "name" to "Helper", "tags" to listOf("a")))
        assertEquals("agt-7", agent.id)
        val request = transport.requests.single()
        assertEquals("POST", request.method)
        assertEquals(AGENTS, request.path)
        assertEquals("test-key", request.headers["x-zaby-api-key"])
        assertEquals("helper", request.json.str("slug"))
        assertTrue(request.headers["user-agent"]!!.startsWith("zaby-kotlin/"), request.headers["user-agent"])
        zaby.close()
        assertTrue(zaby.closed)
        val closed = thrown<ZabyClientException> { runBlocking { zaby.health.check() } }
        assertEquals("CLIENT_CLOSED", closed.code)
    }

    @Test
    fun `path parameters are escaped and queries become the query string`() = runBlocking {
        val transport = MockTransport()
        transport.setResponse("GET", "$AGENTS/a%2Fb", 200, agentJson("a/b"))
        transport.setResponse("GET", "$AGENTS?limit=2&q=x", 200, mapOf("items" to emptyList<Any>(), "total" to 0))
        val zaby = Zaby(apiKey = "k", transport = transport)
        assertEquals("a/b", zaby.agents.get("a/b").id)
        assertEquals(0L, zaby.agents.list(mapOf("limit" to 2, "q" to "x")).total)
        assertEquals(0, transport.pending)
    }

    @Test
    fun `a value that is not JSON is refused before anything is sent`() {
        val transport = MockTransport()
        val zaby = Zaby(apiKey = "k", transport = transport)
        val e = thrown<ZabyClientException> { runBlocking { zaby.agents.create(mapOf("when" to Any())) } }
        assertEquals("INVALID_ARGUMENT", e.code)
        assertTrue(e.message!!.contains("input.when"), e.message)
        assertTrue(transport.requests.isEmpty())
    }

    @Test
    fun `configuration resolves per client over the global layer and validates`() {
        configureZaby(ZabyConfig(environment = "local", timeoutMs = 5000))
        val resolved = resolveZabyConfig()
        assertEquals("local", resolved.environment)
        assertEquals(LOCAL_ZABY_API_ORIGIN, resolved.apiOrigin)
        assertEquals(5000, resolved.timeoutMs)
        val zaby = Zaby(apiKey = "k", config = ZabyConfig(apiOrigin = "https://example.test/", retries = Retries.Count(4)))
        assertEquals("https://example.test", zaby.config.apiOrigin)
        assertEquals(4, zaby.config.retries.attempts)
        assertEquals(5000, zaby.config.timeoutMs)
        val bad = thrown<ZabyClientException> { Zaby(apiKey = "k", config = ZabyConfig(apiOrigin = "ftp://x")) }
        assertEquals("INVALID_CONFIG", bad.code)
        assertTrue(bad.message!!.contains("api_origin"), bad.message)
        assertEquals("INVALID_CONFIG", thrown<ZabyClientException> { resolveZabyConfig(ZabyConfig(timeoutMs = 0)) }.code)
        resetZabyConfigForTests()
        assertEquals(DEFAULT_ZABY_API_ORIGIN, resolveZabyConfig().apiOrigin)
        assertEquals(listOf("GET", "HEAD", "OPTIONS"), resolveZabyConfig(ZabyConfig(retries = Retries.Count(1))).retries.retryMethods)
    }

    @Test
    fun `API errors become the classes of the shared hierarchy with every field`() = runBlocking {
        val transport = MockTransport()
        val zaby = Zaby(apiKey = "k", transport = transport, config = ZabyConfig(retries = Retries.Count(0)))
        transport.setResponse("GET", "$AGENTS/x", 404, mapOf("code" to "NOT_FOUND", "message" to "no agent x"), mapOf("x-request-id" to "req-1"))
        val notFound = thrown<ZabyNotFoundException> { runBlocking { zaby.agents.get("x") } }
        assertEquals(404, notFound.status)
        assertEquals("NOT_FOUND", notFound.code)
        assertEquals("req-1", notFound.requestId)
        assertEquals("no agent x", notFound.message)
        assertEquals("NOT_FOUND", notFound.details.str("code"))
        assertEquals("ZabyNotFoundError", notFound.className)

        transport.setResponse("POST", AGENTS, 429, mapOf("code" to "RATE_LIMITED", "message" to "slow down"), mapOf("retry-after" to "7"))
        val limited = thrown<ZabyRateLimitException> { runBlocking { zaby.agents.create(mapOf("slug" to "s")) } }
        assertEquals(7L, limited.retryAfter)

        transport.setResponse("POST", AGENTS, 422, mapOf("code" to "VALIDATION_ERROR", "message" to "bad slug"))
        assertEquals(422, thrown<ZabyValidationException> { runBlocking { zaby.agents.create(mapOf("slug" to "S")) } }.status)

        val runtime = ZabyRuntime(token = "t", transport = transport)
        transport.setResponse("GET", "$RT/runs/r1/events", 401, mapOf("code" to "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", "message" to "expired"))
        val expired = thrown<ZabyRuntimeTokenExpiredException> { runBlocking { runtime.runs.events("r1") } }
        assertEquals("ZabyRuntimeTokenExpiredError", expired.className)

        val unmatched = thrown<MockTransportException> { runBlocking { zaby.health.check() } }
        assertEquals("MOCK_TRANSPORT", unmatched.code)
    }

    @Test
    fun `idempotent requests are retried with the policy and its backoff, others are not`() = runBlocking {
        val transport = MockTransport()
        val delays = mutableListOf<Int>()
        val config = ZabyConfig(retries = RetryPolicy(attempts = 2, backoffMs = { delays += it; 0 }))
        val zaby = Zaby(apiKey = "k", transport = transport, config = config)
        transport.setResponse("GET", "/health", 503, mapOf("code" to "UNAVAILABLE", "message" to "busy"))
        transport.setResponse("GET", "/health", 200, HEALTHY)
        assertEquals(HealthStatus.OK, zaby.health.check().status)
        assertEquals(listOf(0), delays)

        transport.setResponse("POST", AGENTS, 503, mapOf("code" to "UNAVAILABLE", "message" to "busy"))
        assertEquals(503, thrown<ZabyApiException> { runBlocking { zaby.agents.create(mapOf("slug" to "s")) } }.status)
        assertEquals(3, transport.requests.size, "the POST was sent once")
    }

    @Test
    fun `a custom transport's connection errors are retried and other exceptions reach the caller unchanged`() = runBlocking {
        var calls = 0
        val flaky = Transport { request ->
            calls += 1
            if (calls == 1) throw ZabyConnectionException("reset by peer")
            TransportResponse(
                200,
                json = buildJsonObject {
                    put("status", "ok")
                    put("timestamp", "2026-01-01T00:00:00Z")
                    put("uptime", 1.5)
                    put("version", request.path)
                },
            )
        }
        val zaby = Zaby(apiKey = "k", transport = flaky, config = FAST)
        assertEquals("/health", zaby.health.check().version)
        assertEquals(2, calls)

        val boom = IllegalStateException("boom")
        val broken = Zaby(apiKey = "k", transport = { throw boom }, config = FAST)
        assertSame(boom, thrown<IllegalStateException> { runBlocking { broken.health.check() } })
    }

    @Test
    fun `credential providers are asked on every attempt and their failures keep the cause`() = runBlocking {
        val transport = MockTransport()
        var n = 0
        val zaby = Zaby(apiKeyProvider = { n += 1; "key-$n" }, transport = transport, config = FAST)
        transport.setResponse("GET", "/health", 503, mapOf("code" to "UNAVAILABLE", "message" to "busy"))
        transport.setResponse("GET", "/health", 200, HEALTHY)
        zaby.health.check()
        assertEquals(listOf("key-1", "key-2"), transport.requests.map { it.headers["x-zaby-api-key"] })

        val cause = IllegalStateException("vault sealed")
        val failing = Zaby(apiKeyProvider = { throw cause }, transport = transport, config = FAST)
        val e = thrown<ZabyClientException> { runBlocking { failing.health.check() } }
        assertEquals("CREDENTIAL_PROVIDER_FAILED", e.code)
        assertTrue(e.message!!.contains("vault sealed"), e.message)
        assertSame(cause, e.cause)

        val both = thrown<ZabyClientException> { Zaby(apiKey = "k", apiKeyProvider = { "k" }) }
        assertEquals("INVALID_ARGUMENT", both.code)
    }

    @Test
    fun `a per-call timeout fails with ZabyTimeoutException naming the deadline`() = runBlocking {
        val slow = Transport { kotlinx.coroutines.delay(5_000); TransportResponse(200) }
        val zaby = Zaby(apiKey = "k", transport = slow, config = ZabyConfig(retries = Retries.Count(0)))
        val e = thrown<ZabyTimeoutException> { runBlocking { zaby.health.check(RequestOptions(timeoutMs = 50)) } }
        assertEquals(50L, e.timeoutMs)
        assertEquals("TIMEOUT", e.code)
        assertFalse(zaby.closed)
        assertNull(e.cause)
    }

    @Test
    fun `waitUntilActive polls the provisioning until it answers, on the constructor's apiOrigin`() = runBlocking {
        val path = "/api/v1/provisioning/managed-agents/deployments/dep-1/provisioning"
        val transport = MockTransport()
        transport.setResponse("GET", path, 404, mapOf("code" to "DEPLOYMENT_PROVISIONING_NOT_READY", "message" to "pending"))
        transport.setResponse("GET", path, 200, mapOf("deploymentId" to "dep-1"))
        val zaby = Zaby(apiKey = "k", transport = transport, apiOrigin = "http://zaby.test:9080")
        assertEquals("dep-1", zaby.deployments.waitUntilActive("dep-1").deploymentId)
        assertEquals(listOf("http://zaby.test:9080$path", "http://zaby.test:9080$path"), transport.requests.map { it.url })

        transport.setResponse("GET", path, 409, mapOf("code" to "DEPLOYMENT_NOT_ACTIVE", "message" to "failed"))
        assertEquals("DEPLOYMENT_NOT_ACTIVE", thrown<ZabyConflictException> { runBlocking { zaby.deployments.waitUntilActive("dep-1") } }.code)
        val negative = thrown<ZabyClientException> { runBlocking { zaby.deployments.waitUntilActive("dep-1", timeoutMs = -1) } }
        assertEquals("INVALID_ARGUMENT", negative.code)
    }

    @Test
    fun `the mock is a transport too`() = runBlocking {
        val transport = MockTransport(listOf(MockResponse("GET", "/health", json = mapOf("status" to "ok"))))
        val answer = transport.send(TransportRequest("GET", "http://x/health", "/health", emptyMap(), null, false, 1000))
        assertEquals(200, answer.status)
        assertEquals("ok", answer.json!!.jsonObject.str("status"))
    }
}
