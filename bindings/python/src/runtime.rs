//! The one tokio runtime of the process, and its hand-over to pyo3-async-runtimes.
//!
//! pyo3-async-runtimes' own tokio runtime lives in a `OnceLock` and can never be
//! replaced, but a runtime inherited through `os.fork()` has no worker threads in the
//! child. So this module keeps its own runtime, tagged with the fork generation that
//! built it, and plugs it into pyo3-async-runtimes through the crate's `generic` runtime
//! traits. Every fork bumps that generation, and the built-in transport's, in the child
//! (a `pthread_atfork` handler, so forks that bypass `os.fork()` count too); a child
//! leaks the parent's runtime — dropping it would wait for threads that do not exist in
//! the child — and builds a fresh one on first use. Each call reads the runtime through
//! a per-thread copy checked against the generation: no lock and no `getpid()` system
//! call per call.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};

use futures::FutureExt;
use pyo3_async_runtimes::err::RustPanic;

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as GenericRuntime};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::bridge::{Outcome, bridge_for};

struct Slot {
    generation: u64,
    runtime: Arc<Runtime>,
}

static RUNTIME: Mutex<Option<Slot>> = Mutex::new(None);

/// How many forks this process is away from the one that loaded the module.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's copy of the runtime and the generation it belongs to.
    static CACHED: RefCell<Option<(u64, Arc<Runtime>)>> = const { RefCell::new(None) };
}

/// Runs in every forked child: the runtime and the built-in transport's pooled
/// connections (registered with the parent's reactor) are rebuilt on first use.
extern "C" fn bump_generation_in_child() {
    // Async-signal-safe: atomic adds only, as a fork handler must be.
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
    zaby::transport::after_fork_in_child();
}

/// Whether `bump_generation_in_child` runs at every fork (registered with the first runtime).
static AT_FORK_HANDLER: AtomicBool = AtomicBool::new(false);

fn build() -> Runtime {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a handler that only does atomic adds. On failure (ENOMEM)
        // `after_fork_in_child` (`os.register_at_fork`) bumps the generations instead.
        let registered = unsafe { libc::pthread_atfork(None, None, Some(bump_generation_in_child)) } == 0;
        AT_FORK_HANDLER.store(registered, Ordering::SeqCst);
    });
    Builder::new_multi_thread()
        .thread_name("zaby-worker")
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the tokio runtime could not be built")
}

/// The runtime of this process, built lazily (and again in a forked child).
pub fn runtime() -> Arc<Runtime> {
    let generation = FORK_GENERATION.load(Ordering::SeqCst);
    let cached = CACHED.with_borrow(|c| match c {
        Some((g, rt)) if *g == generation => Some(rt.clone()),
        _ => None,
    });
    if let Some(rt) = cached {
        return rt;
    }
    let rt = shared_runtime(generation);
    if let Some((_, stale)) = CACHED.replace(Some((generation, rt.clone()))) {
        // A copy inherited through fork() (see `shared_runtime`).
        std::mem::forget(stale);
    }
    rt
}

fn shared_runtime(generation: u64) -> Arc<Runtime> {
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    match slot.as_ref() {
        Some(s) if s.generation == generation => s.runtime.clone(),
        stale => {
            if let Some(old) = stale {
                // Inherited through fork(): its threads are gone, so never drop it.
                std::mem::forget(old.runtime.clone());
            }
            let runtime = Arc::new(build());
            *slot = Some(Slot { generation, runtime: runtime.clone() });
            runtime
        }
    }
}

/// Called in the child right after `os.fork()` (`os.register_at_fork`): the second line,
/// for a process where the fork handler could not be registered. It takes no lock, as
/// one may have been held by a thread the child does not have.
#[pyfunction]
pub fn after_fork_in_child() {
    if !AT_FORK_HANDLER.load(Ordering::SeqCst) {
        bump_generation_in_child();
    }
}

/// Pid and identity of the current runtime (for the fork test).
#[pyfunction]
pub fn runtime_id() -> (u32, usize) {
    let rt = runtime();
    (std::process::id(), Arc::as_ptr(&rt) as usize)
}

pub struct ZabyTokio;

pub struct ZabyJoinError(tokio::task::JoinError);

impl JoinError for ZabyJoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

/// A join handle whose error type is ours (the generic traits need a `JoinError` impl).
pub struct ZabyJoinHandle(JoinHandle<()>);

impl Future for ZabyJoinHandle {
    type Output = Result<(), ZabyJoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.map_err(ZabyJoinError))
    }
}

tokio::task_local! {
    static TASK_LOCALS: TaskLocals;
}

impl GenericRuntime for ZabyTokio {
    type JoinError = ZabyJoinError;
    type JoinHandle = ZabyJoinHandle;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        ZabyJoinHandle(runtime().spawn(fut))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        ZabyJoinHandle(runtime().spawn_blocking(f))
    }
}

impl ContextExt for ZabyTokio {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        Box::pin(TASK_LOCALS.scope(locals, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(|l| l.clone()).ok()
    }
}

/// The event loop (and contextvars) of the Python call that started the current Rust
/// future: host callables are awaited there.
pub fn caller_locals() -> Option<TaskLocals> {
    ZabyTokio::get_task_locals()
}

/// Turns a Rust future into an asyncio awaitable on the caller's loop. The GIL is not
/// held while it runs, nor when it finishes: the result is converted to a Python object
/// on the loop's thread (`bridge`). Cancelling the awaitable drops the Rust future.
pub fn to_py<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    to_py_with(py, async move {
        let value = fut.await?;
        Ok(Box::new(move |py: Python<'_>| value.into_py_any(py)) as Outcome)
    })
}

/// Like [`to_py`], for a future that says itself how its result becomes a Python object.
pub fn to_py_with<'py, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<Outcome>> + Send + 'static,
{
    let locals = pyo3_async_runtimes::generic::get_current_locals::<ZabyTokio>(py)?;
    let event_loop = locals.event_loop(py);
    let bridge = bridge_for(py, &event_loop)?;
    let py_future = event_loop.call_method0(pyo3::intern!(py, "create_future"))?;
    let future = py_future.clone().unbind();
    let task = runtime().spawn(ZabyTokio::scope(locals, async move {
        let outcome = match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(err)) => Box::new(move |_: Python<'_>| Err(err)) as Outcome,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                Box::new(move |_: Python<'_>| Err(RustPanic::new_err(format!("rust future panicked: {message}"))))
            }
        };
        bridge.get().complete(future, outcome);
    }));
    py_future.call_method1(pyo3::intern!(py, "add_done_callback"), (AbortOnCancel { task: task.abort_handle() },))?;
    Ok(py_future)
}

/// Drops the Rust future when its asyncio future is cancelled.
#[pyclass(frozen)]
struct AbortOnCancel {
    task: tokio::task::AbortHandle,
}

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0(pyo3::intern!(future.py(), "cancelled"))?.is_truthy()? {
            self.task.abort();
        }
        Ok(())
    }
}

/// Awaits a Python awaitable on the caller's event loop from inside a Rust future.
pub async fn await_on_caller_loop(make: impl FnOnce(Python<'_>) -> PyResult<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    let locals = caller_locals().ok_or_else(|| {
        pyo3::exceptions::PyRuntimeError::new_err("no asyncio event loop is associated with this call")
    })?;
    await_on_loop(&locals, make).await
}

/// Delivers the outcome of the Python task to the waiting Rust future.
#[pyclass(frozen)]
struct TaskDone {
    tx: Mutex<Option<oneshot::Sender<PyResult<Py<PyAny>>>>>,
}

#[pymethods]
impl TaskDone {
    fn __call__(&self, task: &Bound<'_, PyAny>) -> PyResult<()> {
        let outcome = if task.call_method0("cancelled")?.is_truthy()? {
            Err(pyo3::exceptions::asyncio::CancelledError::new_err("the host task was cancelled"))
        } else {
            task.call_method0("result").map(Bound::unbind)
        };
        if let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tx.send(outcome);
        }
        Ok(())
    }
}

/// Cancels the Python task if the Rust future awaiting it is dropped first (the caller
/// cancelled, or the stream that owned it was closed), so host work never outlives it.
struct CancelOnDrop {
    call: Option<(Py<PyAny>, Py<PyAny>)>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some((event_loop, call)) = self.call.take() {
            Python::attach(|py| {
                if let Ok(cancel) = call.bind(py).getattr("cancel") {
                    let _ = event_loop.bind(py).call_method1("call_soon_threadsafe", (cancel,));
                }
            });
        }
    }
}

/// Runs `make(py)` (an awaitable) as a task on `locals`' loop, within its contextvars,
/// and waits for the result without holding the GIL.
pub async fn await_on_loop(
    locals: &TaskLocals,
    make: impl FnOnce(Python<'_>) -> PyResult<Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let (tx, rx) = oneshot::channel();
    let guard = Python::attach(|py| -> PyResult<CancelOnDrop> {
        let awaitable = make(py)?;
        let event_loop = locals.event_loop(py);
        let call = py.import("zaby._adapters")?.getattr("HostCall")?.call0()?;
        let done = Py::new(py, TaskDone { tx: Mutex::new(Some(tx)) })?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("context", locals.context(py))?;
        event_loop.call_method(
            "call_soon_threadsafe",
            (call.getattr("start")?, &event_loop, awaitable, done),
            Some(&kwargs),
        )?;
        Ok(CancelOnDrop { call: Some((event_loop.unbind(), call.unbind())) })
    })?;
    let mut guard = guard;
    let outcome = rx.await;
    guard.call = None;
    match outcome {
        Ok(result) => result,
        Err(_) => Err(pyo3::exceptions::asyncio::CancelledError::new_err("the event loop dropped the host task")),
    }
}
