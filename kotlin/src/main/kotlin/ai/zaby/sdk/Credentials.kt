package ai.zaby.sdk

import ai.zaby.sdk.ffi.CredentialSource
import ai.zaby.sdk.ffi.FfiCredential
import ai.zaby.sdk.internal.HostErrors
import kotlin.coroutines.cancellation.CancellationException

/**
 * A credential: a fixed [value], or a [provider] asked on every HTTP attempt (`docs/api/README.md`
 * `docs/configuration.md`). What the provider throws is the cause of the `CREDENTIAL_PROVIDER_FAILED` error.
 */
internal fun credential(value: String?, provider: (suspend () -> String)?, name: String): FfiCredential? {
    if (value != null && provider != null) {
        throw ai.zaby.sdk.internal.invalidArgument("pass $name or ${name}Provider, not both")
    }
    return when {
        value != null -> FfiCredential.Value(value)
        provider != null -> FfiCredential.Provider(ProviderSource(provider))
        else -> null
    }
}

private class ProviderSource(private val provider: suspend () -> String) : CredentialSource {
    override suspend fun credential(): String =
        try {
            provider()
        } catch (e: CancellationException) {
            throw e
        } catch (t: Throwable) {
            throw HostErrors.failure(t)
        }
}
