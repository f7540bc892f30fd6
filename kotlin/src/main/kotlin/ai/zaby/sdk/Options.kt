package ai.zaby.sdk

import ai.zaby.sdk.ffi.FfiCallOptions

/** Per-call options (API.md §1.6): the `x-request-id` to send and this call's deadline. */
data class RequestOptions(val requestId: String? = null, val timeoutMs: Long? = null)

/** Options of `runtime.runs.stream` (API.md §5.1, §5.7). */
data class StreamOptions(
    val requestId: String? = null,
    val timeoutMs: Long? = null,
    val maxReconnects: Long? = null,
)

internal fun RequestOptions?.toFfi() = FfiCallOptions(this?.requestId, this?.timeoutMs, null)

internal fun StreamOptions?.toFfi() = FfiCallOptions(this?.requestId, this?.timeoutMs, this?.maxReconnects)
