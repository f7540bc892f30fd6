//! The tokio runtime the core runs on. UniFFI polls each exported future from Kotlin's
//! coroutines; the core's I/O needs tokio, so the work is spawned here and the handle
//! aborts it when Kotlin drops the future (a cancelled coroutine cancels the request).

use std::future::Future;
use std::sync::LazyLock;

use tokio::runtime::Runtime;
use tokio_util::task::AbortOnDropHandle;
use zaby::ZabyError;

/// Two workers: the JVM has threads of its own, the core's I/O and parsing need few.
static RUNTIME: LazyLock<std::io::Result<Runtime>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("zaby-ffi").enable_all().build()
});

/// Runs `work` on the runtime; dropping the returned future aborts it.
pub(crate) async fn run<T: Send + 'static>(
    work: impl Future<Output = zaby::Result<T>> + Send + 'static,
) -> zaby::Result<T> {
    let rt = RUNTIME.as_ref().map_err(|e| ZabyError::client("INTERNAL_ERROR", format!("no tokio runtime: {e}")))?;
    let handle = AbortOnDropHandle::new(rt.spawn(work));
    handle.await.unwrap_or_else(|e| Err(ZabyError::client("INTERNAL_ERROR", format!("the SDK task failed: {e}"))))
}

/// Runs `work` on the runtime in the background (without a runtime there is no
/// connection to release either, so the work is dropped).
pub(crate) fn spawn(work: impl Future<Output = ()> + Send + 'static) {
    if let Ok(rt) = RUNTIME.as_ref() {
        drop(rt.spawn(work));
    }
}
