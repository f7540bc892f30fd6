package ai.zaby.sdk

import ai.zaby.sdk.internal.decode
import ai.zaby.sdk.internal.native
import ai.zaby.sdk.types.Provisioning

/** How long `waitUntilActive` waits in total by default. */
const val DEFAULT_WAIT_UNTIL_ACTIVE_MS: Long = 60_000

/**
 * Polls `getProvisioning` (E19) with backoff until the deployment is ACTIVE and
 * returns its provisioning; the polling lives in the core, as in every language.
 * Throws [ZabyTimeoutException] (its message carries the last answer) once [timeoutMs]
 * has passed, and at once any error other than 404 `DEPLOYMENT_PROVISIONING_NOT_READY`.
 * [options] apply to each poll.
 */
suspend fun DeploymentsClient.waitUntilActive(
    deploymentId: String,
    timeoutMs: Long = DEFAULT_WAIT_UNTIL_ACTIVE_MS,
    options: RequestOptions? = null,
): Provisioning = decode(Provisioning.serializer(), native { core.ffi.waitUntilActive(deploymentId, timeoutMs, options.toFfi()) })
