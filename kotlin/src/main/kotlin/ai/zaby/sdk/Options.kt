package ai.zaby.sdk

import ai.zaby.sdk.ffi.FfiCallOptions

/** Per-call options (`docs/configuration.md`): the `x-request-id` to send and this call's deadline. */
data class RequestOptions(val requestId: String? = null, val timeoutMs: Long? = null)

/** Options of `runtime.runs.stream` (`docs/streaming.md`). */
data class StreamOptions(
    val requestId: String? = null,
    val timeoutMs: Long? = null,
    val maxReconnects: Long? = null,
)

internal fun RequestOptions?.toFfi() = FfiCallOptions(this?.requestId, this?.timeoutMs, null)

internal fun StreamOptions?.toFfi() = FfiCallOptions(this?.requestId, this?.timeoutMs, this?.maxReconnects)
