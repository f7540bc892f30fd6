package ai.zaby.e2e.support

import java.io.File
import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.security.SecureRandom
import java.util.concurrent.TimeUnit

/**
 * The live zaby-server of the suite: the binary from `ZABY_SERVER_BIN`, on a free port,
 * with a fresh state directory and random bootstrap key, and the settings of the other
 * languages' suites. The database is a fresh SQLite file, or the empty PostgreSQL
 * database in `ZABY_E2E_DATABASE_URL` (`tests/kotlin/run` sets it for its second pass).
 */
class LiveServer private constructor(
    private val process: Process,
    private val bin: String,
    private val env: Map<String, String>,
    val origin: String,
    val apiKey: String,
    val log: File,
    /** `sqlite` or `postgres`. */
    val database: String,
) {
    fun stop() {
        process.destroy()
        if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }

    /** Runs an admin subcommand on the server's database; returns its stdout, trimmed. */
    fun cli(vararg args: String): String {
        val builder = ProcessBuilder(bin, *args).redirectError(ProcessBuilder.Redirect.DISCARD)
        builder.environment().putAll(env + ("RUST_LOG" to "warn"))
        val process = builder.start()
        val out = process.inputStream.bufferedReader().readText()
        check(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0) { "zaby-server ${args.joinToString(" ")} failed:\n$out" }
        return out.trim()
    }

    /** The id of the tenant the bootstrap key belongs to. */
    val defaultTenantId: String by lazy {
        val line = cli("tenants", "list").lines().firstOrNull { "(default)" in it }
            ?: error("`zaby-server tenants list` shows no default tenant")
        line.trim().split(Regex("\\s+")).first()
    }

    /** A tenant access token (`tokens issue-tenant`) for `user` of the default tenant. */
    fun tenantToken(user: String): String =
        cli("tokens", "issue-tenant", "--tenant", defaultTenantId, "--user", user, "--ttl-seconds", "3600")

    companion object {
        fun start(): LiveServer {
            val bin = System.getenv("ZABY_SERVER_BIN")
                ?: error("ZABY_SERVER_BIN is not set: `make server` builds target/ci/zaby-server; run `make e2e-kotlin`")
            val work = Files.createTempDirectory("zaby-e2e-kotlin").toFile()
            val state = File(work, "state").apply { mkdirs() }
            val port = ServerSocket(0).use { it.localPort }
            val origin = "http://127.0.0.1:$port"
            val key = "zaby_pk_" + ByteArray(24).also(SecureRandom()::nextBytes).joinToString("") { "%02x".format(it) }
            val log = File(work, "server.log")
            val env = mapOf(
                "ZABY_LISTEN" to "127.0.0.1:$port",
                "ZABY_PUBLIC_ORIGIN" to origin,
                "ZABY_DATABASE_URL" to (System.getenv("ZABY_E2E_DATABASE_URL") ?: "sqlite://${File(state, "zaby.db")}"),
                "ZABY_STATE_DIR" to state.path,
                "ZABY_BOOTSTRAP_API_KEY" to key,
                "ZABY_PROVISIONING_DELAY_MS" to "100",
                // Ingestion jobs wait this long before they run and before they finish, so
                // a job cancelled right after its upload is still QUEUED or RUNNING.
                "ZABY_JOB_DELAY_MS" to "1000",
            )
            val builder = ProcessBuilder(bin, "serve").redirectErrorStream(true).redirectOutput(log)
            builder.environment().putAll(env)
            val process = builder.start()
            val http = HttpClient.newHttpClient()
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60)
            while (true) {
                check(process.isAlive) { "zaby-server exited with ${process.exitValue()}:\n${log.readText()}" }
                val ok = runCatching {
                    http.send(HttpRequest.newBuilder(URI("$origin/health")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200
                }.getOrDefault(false)
                if (ok) break
                check(System.nanoTime() < deadline) { "zaby-server not ready at $origin:\n${log.readText()}" }
                Thread.sleep(50)
            }
            return LiveServer(process, bin, env, origin, key, log, env.getValue("ZABY_DATABASE_URL").substringBefore(':'))
        }
    }
}
