package ai.zaby.e2e.support

import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyApiException
import ai.zaby.sdk.types.Agent
import ai.zaby.sdk.types.AgentVersion
import ai.zaby.sdk.types.Deployment
import ai.zaby.sdk.types.ExternalApp
import ai.zaby.sdk.types.Run
import ai.zaby.sdk.types.RuntimeTokenPolicy
import ai.zaby.sdk.types.ZabyModel
import ai.zaby.sdk.waitUntilActive
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.double
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import java.security.SecureRandom

/** A test body run in a coroutine; always `Unit`, so JUnit sees a void method. */
fun live(block: suspend () -> Unit) = runBlocking { block() }

/** A slug nobody else in this run uses. */
fun uniq(prefix: String): String = prefix + "-" + ByteArray(4).also(SecureRandom()::nextBytes).joinToString("") { "%02x".format(it) }

// Reading answers: the SDK returns `JsonObject`s.
fun JsonObject.str(name: String): String = this[name]?.jsonPrimitive?.contentOrNull ?: fail("no string `$name` in $this")
fun JsonObject.strOrNull(name: String): String? = (this[name] as? JsonPrimitive)?.contentOrNull
fun JsonObject.int(name: String): Int = this[name]?.jsonPrimitive?.int ?: fail("no number `$name` in $this")
fun JsonObject.num(name: String): Double = this[name]?.jsonPrimitive?.double ?: fail("no number `$name` in $this")
fun JsonObject.bool(name: String): Boolean = this[name]?.jsonPrimitive?.content?.toBooleanStrict() ?: fail("no boolean `$name` in $this")
fun JsonObject.obj(name: String): JsonObject = this[name] as? JsonObject ?: fail("no object `$name` in $this")
fun JsonObject.list(name: String): List<JsonElement> = this[name]?.jsonArray ?: fail("no array `$name` in $this")
fun JsonObject.isNull(name: String): Boolean = this[name] == null || this[name] is JsonNull
val JsonObject.items: List<JsonObject> get() = list("items").map { it.jsonObject }
val JsonObject.total: Int get() = int("total")
val JsonObject.id: String get() = str("id")

// The same accessors on the SDK's typed answers, read from their JSON (`toJson()`, which
// writes back every member, the unknown ones included): what the other languages' suites
// check by wire name, checked here by wire name too. Typed members are used where a test
// is about them.
fun ZabyModel.str(name: String): String = toJson().str(name)
fun ZabyModel.strOrNull(name: String): String? = toJson().strOrNull(name)
fun ZabyModel.int(name: String): Int = toJson().int(name)
fun ZabyModel.num(name: String): Double = toJson().num(name)
fun ZabyModel.bool(name: String): Boolean = toJson().bool(name)
fun ZabyModel.obj(name: String): JsonObject = toJson().obj(name)
fun ZabyModel.list(name: String): List<JsonElement> = toJson().list(name)
fun ZabyModel.isNull(name: String): Boolean = toJson().isNull(name)
operator fun ZabyModel.get(name: String): JsonElement? = toJson()[name]
val ZabyModel.id: String get() = str("id")

/** A Kotlin value (maps, lists, strings, numbers, booleans, null) as JSON, to compare answers with. */
fun json(value: Any?): JsonElement = when (value) {
    null -> JsonNull
    is JsonElement -> value
    is String -> JsonPrimitive(value)
    is Number -> JsonPrimitive(value)
    is Boolean -> JsonPrimitive(value)
    is Map<*, *> -> JsonObject(value.entries.associate { (k, v) -> k.toString() to json(v) })
    is List<*> -> JsonArray(value.map(::json))
    else -> error("not JSON: $value")
}

/** Polls `check` until it returns a value other than `null`, or fails at the deadline. */
suspend fun <T : Any> eventually(what: String, timeoutMs: Long = 30_000, check: suspend () -> T?): T {
    val deadline = System.currentTimeMillis() + timeoutMs
    while (true) {
        check()?.let { return it }
        if (System.currentTimeMillis() > deadline) fail<Unit>("timed out waiting for $what")
        delay(50)
    }
}

/** Expects `call` to fail with an API error of class [E], this status and this code. */
suspend inline fun <reified E : ZabyApiException> expectApiError(status: Int, code: String, call: () -> Any?): E {
    val outcome = try {
        call()
    } catch (e: ZabyApiException) {
        assertTrue(e is E, "expected ${E::class.simpleName}, got $e")
        assertEquals(status, e.status, "status of $e")
        assertEquals(code, e.code, "code of $e")
        return e as E
    }
    fail<Unit>("expected ${E::class.simpleName} $status $code, got $outcome")
    error("unreachable")
}

/** The `details.errors[].field` names of a validation error. */
fun errorFields(e: ZabyApiException): List<String> =
    ((e.details as? JsonObject)?.get("details") as? JsonObject)?.get("errors")?.jsonArray
        ?.map { it.jsonObject.str("field") }.orEmpty()

/** An agent, its published version and its ACTIVE deployment. */
data class Deployed(val agent: Agent, val version: AgentVersion, val deployment: Deployment)

/** An agent created with `extra`, published, deployed to PRODUCTION and ACTIVE (polling E19). */
suspend fun deployedAgent(
    z: Zaby,
    prefix: String,
    extra: Map<String, Any?> = emptyMap(),
    prepare: suspend (Agent) -> Unit = {},
): Deployed {
    val slug = uniq(prefix)
    val agent = z.agents.create(mapOf("slug" to slug, "name" to slug) + extra)
    prepare(agent)
    val version = z.agents.publish(agent.id)
    val deployment = z.agents.deploy(agent.id, mapOf("agentVersionId" to version.id, "environment" to "PRODUCTION"))
    z.deployments.waitUntilActive(deployment.id, timeoutMs = 30_000)
    return Deployed(agent, version, deployment)
}

/** An external app bound to the deployment (binding `extra` merged in) and a policy for it. */
data class AppSetup(val app: ExternalApp, val policy: RuntimeTokenPolicy)

suspend fun appFor(z: Zaby, deploymentId: String, bindingExtra: Map<String, Any?> = emptyMap()): AppSetup {
    val slug = uniq("app")
    val app = z.externalApps.create(mapOf("name" to slug, "slug" to slug))
    z.externalApps.bindDeployment(app.id, mapOf("deploymentId" to deploymentId) + bindingExtra)
    val policy = z.runtimeTokenPolicies.create(mapOf("name" to "$slug policy", "externalAppId" to app.id, "deploymentId" to deploymentId))
    return AppSetup(app, policy)
}

/** Polls E16 until the run has `status`. */
suspend fun waitRun(z: Zaby, runId: String, status: String): Run =
    eventually("run $runId to be $status") { z.agents.getRunProgress(runId).takeIf { it.status.value == status } }

/** The built-in MCP installation of the tenant and one of its tools. */
data class BuiltinTool(val installationId: String, val toolId: String)

suspend fun builtinTool(z: Zaby, name: String): BuiltinTool {
    val builtin = z.mcp.listInstallations().items.firstOrNull { it.str("name") == "zaby-builtin" }
        ?: fail("the tenant has the zaby-builtin installation")
    val tool = z.mcp.listInstallationTools(builtin.id).items.firstOrNull { it.str("name") == name }
        ?: fail("zaby-builtin offers $name")
    return BuiltinTool(builtin.id, tool.id)
}
