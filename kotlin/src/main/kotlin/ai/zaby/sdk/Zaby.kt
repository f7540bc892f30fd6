package ai.zaby.sdk

import ai.zaby.sdk.ffi.FfiClient
import ai.zaby.sdk.ffi.FfiClientOptions
import ai.zaby.sdk.internal.Core
import ai.zaby.sdk.internal.native

/** The version of this SDK (and of its native library). */
val VERSION: String get() = ai.zaby.sdk.ffi.version()

internal fun buildCore(options: FfiClientOptions, config: ZabyConfig?, transport: Transport?): Core {
    val mock = transport as? MockTransport
    val custom = transport?.takeIf { mock == null }?.let(::HostTransportAdapter)
    return Core(native { FfiClient(options, config.backoff(), mock?.ffi, custom) })
}

/**
 * The management client (`docs/configuration.md`): agents, deployments, external apps, runtime
 * tokens, knowledge, MCP, memory, intelligence with an API key; the tenant agent routes
 * with an access token. Construction does no I/O. Every method is a `suspend` function;
 * every `list…` has an `iter…` twin returning a `Flow` of items across pages.
 */
class Zaby private constructor(core: Core) : ZabyClients(core) {
    /**
     * A credential is a string or a `suspend () -> String` provider (`apiKeyProvider`,
     * `accessTokenProvider`) asked on every attempt. [transport] replaces HTTP:
     * a [MockTransport] in tests, or your own [Transport]. [apiOrigin] wins over
     * `config.apiOrigin` and every other level.
     */
    constructor(
        apiKey: String? = null,
        accessToken: String? = null,
        tenantId: String? = null,
        config: ZabyConfig? = null,
        transport: Transport? = null,
        apiKeyProvider: (suspend () -> String)? = null,
        accessTokenProvider: (suspend () -> String)? = null,
        apiOrigin: String? = null,
    ) : this(
        buildCore(
            FfiClientOptions(
                kind = "zaby",
                apiKey = credential(apiKey, apiKeyProvider, "apiKey"),
                accessToken = credential(accessToken, accessTokenProvider, "accessToken"),
                token = null,
                tenantId = tenantId,
                apiOrigin = apiOrigin,
                config = config.toFfi(),
            ),
            config,
            transport,
        ),
    )

    /** The configuration resolved at construction (`docs/configuration.md`). */
    val config: ResolvedZabyConfig get() = core.ffi.config().toKotlin()

    val closed: Boolean get() = core.ffi.isClosed()

    /** Closes the client (idempotent); later calls fail with `CLIENT_CLOSED`. */
    suspend fun close() = core.ffi.shutdown()
}

/**
 * The end-user runtime client (`docs/configuration.md`) with a short-lived runtime token: start
 * runs, stream their events (`runs.stream` is a `Flow<RunEvent>`), answer approvals,
 * send feedback.
 */
class ZabyRuntime private constructor(core: Core) : ZabyRuntimeClients(core) {
    constructor(
        token: String? = null,
        config: ZabyConfig? = null,
        transport: Transport? = null,
        tokenProvider: (suspend () -> String)? = null,
        apiOrigin: String? = null,
    ) : this(
        buildCore(
            FfiClientOptions(
                kind = "runtime",
                apiKey = null,
                accessToken = null,
                token = credential(token, tokenProvider, "token"),
                tenantId = null,
                apiOrigin = apiOrigin,
                config = config.toFfi(),
            ),
            config,
            transport,
        ),
    )

    val config: ResolvedZabyConfig get() = core.ffi.config().toKotlin()

    val closed: Boolean get() = core.ffi.isClosed()

    suspend fun close() = core.ffi.shutdown()
}
