package ai.zaby.sdk

import ai.zaby.sdk.ffi.Backoff
import ai.zaby.sdk.ffi.FfiConfig
import ai.zaby.sdk.ffi.FfiResolvedConfig
import ai.zaby.sdk.ffi.FfiRetries
import ai.zaby.sdk.ffi.HostFailure
import ai.zaby.sdk.internal.native

/** The origin of the hosted API and of a local `zaby-server` (`docs/configuration.md`). */
val DEFAULT_ZABY_API_ORIGIN: String get() = ai.zaby.sdk.ffi.origins()[0]
val LOCAL_ZABY_API_ORIGIN: String get() = ai.zaby.sdk.ffi.origins()[1]

/**
 * One configuration layer (`docs/configuration.md`); `null` inherits from the layer below
 * (global `configureZaby`, then `ZABY_API_ORIGIN` / `ZABY_ENVIRONMENT`, then defaults).
 */
data class ZabyConfig(
    val environment: String? = null,
    val apiOrigin: String? = null,
    val timeoutMs: Long? = null,
    val retries: Retries? = null,
    val userAgent: String? = null,
    val tenantId: String? = null,
)

/** `retries`: a number of retries with the default policy, or a whole [RetryPolicy]. */
sealed interface Retries {
    data class Count(val retries: Long) : Retries
}

/** `docs/configuration.md`; unset fields take the defaults. [backoffMs] gets the retry number from 0. */
data class RetryPolicy(
    val attempts: Long = 0,
    val retryMethods: List<String>? = null,
    val retryStatuses: List<Int>? = null,
    val backoffMs: ((attempt: Int) -> Long)? = null,
) : Retries

/** What a client resolved (`docs/configuration.md`). */
data class ResolvedZabyConfig(
    val environment: String,
    val apiOrigin: String,
    val timeoutMs: Long,
    val retries: ResolvedRetries,
    val userAgent: String?,
    val tenantId: String?,
)

data class ResolvedRetries(val attempts: Long, val retryMethods: List<String>, val retryStatuses: List<Int>)

internal fun ZabyConfig?.toFfi(): FfiConfig? = this?.let { c ->
    FfiConfig(
        environment = c.environment,
        apiOrigin = c.apiOrigin,
        timeoutMs = c.timeoutMs,
        retries = when (val r = c.retries) {
            null -> null
            is Retries.Count -> FfiRetries(r.retries, null, null, null)
            is RetryPolicy -> FfiRetries(null, r.attempts, r.retryMethods, r.retryStatuses)
        },
        userAgent = c.userAgent,
        tenantId = c.tenantId,
    )
}

/** The policy's `backoffMs` for the core; what it throws is reported, then the default delay is used. */
internal fun ZabyConfig?.backoff(): Backoff? = ((this?.retries as? RetryPolicy)?.backoffMs)?.let { f ->
    object : Backoff {
        override fun delayMs(attempt: UInt): Long =
            try {
                f(attempt.toInt())
            } catch (t: Throwable) {
                // The core logs it and waits the default delay instead.
                throw HostFailure.Unexpected("backoffMs threw: $t")
            }
    }
}

internal fun FfiResolvedConfig.toKotlin() = ResolvedZabyConfig(
    environment = environment,
    apiOrigin = apiOrigin,
    timeoutMs = timeoutMs,
    retries = ResolvedRetries(attempts, retryMethods, retryStatuses),
    userAgent = userAgent,
    tenantId = tenantId,
)

/** Sets the global layer every client built afterwards resolves over (`docs/configuration.md`). */
fun configureZaby(config: ZabyConfig) = native { ai.zaby.sdk.ffi.configureZaby(config.toFfi(), config.backoff()) }

/** What a client built with [overrides] would resolve, without building one. */
fun resolveZabyConfig(overrides: ZabyConfig? = null): ResolvedZabyConfig =
    native { ai.zaby.sdk.ffi.resolveZabyConfig(overrides.toFfi()) }.toKotlin()

/** Forgets the global layer (tests only). */
fun resetZabyConfigForTests() = ai.zaby.sdk.ffi.resetZabyConfigForTests()
