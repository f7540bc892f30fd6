package ai.zaby.sdk.internal

import ai.zaby.sdk.ZabyConnectionException
import ai.zaby.sdk.ZabyTimeoutException
import ai.zaby.sdk.ffi.HostFailure
import java.util.concurrent.atomic.AtomicInteger

/**
 * Exceptions thrown by user code the core called (credential providers, custom
 * transports). The core only carries their id; when the error
 * reaches the caller, the facade hands back the very object that was thrown.
 */
internal object HostErrors {
    /**
     * The most recent exceptions. A retried connection error never reaches a caller, so
     * its entry is never taken: the oldest entries go once the registry is full.
     */
    private const val LIMIT = 1024
    private val thrown = object : LinkedHashMap<Int, Throwable>() {
        override fun removeEldestEntry(eldest: MutableMap.MutableEntry<Int, Throwable>?) = size > LIMIT
    }
    private val nextId = AtomicInteger(1)

    /** Keeps [t] and describes it for the core. */
    fun failure(t: Throwable): HostFailure {
        val id = nextId.getAndUpdate { if (it == Int.MAX_VALUE) 1 else it + 1 }
        synchronized(thrown) { thrown[id] = t }
        val kind = when (t) {
            is ZabyConnectionException -> "connection"
            is ZabyTimeoutException -> "timeout"
            else -> "other"
        }
        val timeout = (t as? ZabyTimeoutException)?.timeoutMs ?: 0L
        return HostFailure.Thrown(id.toUInt(), t.message ?: t.toString(), kind, timeout.coerceAtLeast(0).toULong())
    }

    /** The exception registered under [id] (removed: an error reaches one caller). */
    fun take(id: Int): Throwable? = synchronized(thrown) { thrown.remove(id) }
}
