package ai.zaby.e2e.support

import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyRuntime
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.extension.BeforeAllCallback
import org.junit.jupiter.api.extension.ExtensionContext
import java.util.concurrent.CopyOnWriteArrayList

/**
 * The suite's shared state: one live server for every test class (started by the first,
 * stopped after the last) and the clients that talk to it. The recording clients count
 * for coverage; the native ones use the SDK's built-in transport.
 */
object Live {
    val server: LiveServer by lazy { LiveServer.start().also { println("zaby-server at ${it.origin} on ${it.database}, log ${it.log}") } }
    val transport = RecordingTransport()

    /** API-key client over the recording transport. */
    val zaby: Zaby by lazy { keep(Zaby(apiKey = server.apiKey, transport = transport, apiOrigin = server.origin)) }

    /** Tenant-access-token client over the recording transport. */
    val tenant: Zaby by lazy {
        keep(Zaby(accessToken = server.tenantToken("e2e-operator"), transport = transport, apiOrigin = server.origin))
    }

    /** API-key client over the built-in transport. */
    val nativeZaby: Zaby by lazy { keep(Zaby(apiKey = server.apiKey, apiOrigin = server.origin)) }

    /** A runtime client for `token` over the recording transport. */
    fun runtime(token: String): ZabyRuntime = keep(ZabyRuntime(token = token, transport = transport, apiOrigin = server.origin))

    /** A runtime client for `token` over the built-in transport. */
    fun nativeRuntime(token: String): ZabyRuntime = keep(ZabyRuntime(token = token, apiOrigin = server.origin))

    private val open = CopyOnWriteArrayList<suspend () -> Unit>()

    private fun keep(client: Zaby): Zaby = client.also { open.add { it.close() } }
    private fun keep(client: ZabyRuntime): ZabyRuntime = client.also { open.add { it.close() } }

    internal fun shutdown() {
        runBlocking { open.forEach { it() } }
        server.stop()
    }
}

/** Registered on every test class: stops the live server once the whole run is over. */
class LiveSuite : BeforeAllCallback {
    override fun beforeAll(context: ExtensionContext) {
        context.root.getStore(ExtensionContext.Namespace.GLOBAL)
            .getOrComputeIfAbsent("zaby-live-server", { AutoCloseable { Live.shutdown() } }, AutoCloseable::class.java)
    }
}
