//! The synchronous face (`zaby.sync`): the calling thread blocks on the core's future
//! with the GIL released, so threads sharing one client run in parallel and no asyncio
//! loop is involved. Blocking happens in short slices so that Ctrl-C (`check_signals`)
//! and a caller's `threading.Event` (`signal=`) are noticed while a call waits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use zaby::ZabyError;
use zaby::error::codes;

use crate::convert::to_py_value;
use crate::errors::to_py_err;
use crate::runtime::runtime;
use crate::streams::{Slot, close, next_item, sse_event};

/// Raised when a blocking method is called on a thread that runs an asyncio loop.
const SYNC_IN_ASYNC_CONTEXT: &str = "SYNC_IN_ASYNC_CONTEXT";

/// How long the thread waits on the core before it looks at signals and `signal=` again.
const SLICE: Duration = Duration::from_millis(50);

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Fails with `SYNC_IN_ASYNC_CONTEXT` when this thread is running an asyncio loop:
/// blocking it would stall every task of that loop.
pub fn ensure_no_running_loop(py: Python<'_>) -> PyResult<()> {
    // A loop can only run once asyncio was imported; scripts that never import it skip
    // the lookup entirely.
    let get = match GET_RUNNING_LOOP.get(py) {
        Some(f) => f,
        None => {
            let modules = py.import("sys")?.getattr("modules")?;
            let Some(events) = modules.cast::<PyDict>()?.get_item("asyncio.events")? else {
                return Ok(());
            };
            GET_RUNNING_LOOP.get_or_try_init(py, || Ok::<_, PyErr>(events.getattr("_get_running_loop")?.unbind()))?
        }
    };
    if get.call0(py)?.is_none(py) {
        return Ok(());
    }
    Err(to_py_err(ZabyError::client(
        SYNC_IN_ASYNC_CONTEXT,
        "a zaby.sync client was called from a running asyncio event loop, which it would block; \
         use the async client (`from zaby import Zaby, ZabyRuntime`) and await its methods there",
    )))
}

/// A caller's `signal=`: a `threading.Event` whose setting aborts the call (`ABORTED`).
pub struct Signal(Py<PyAny>);

impl Signal {
    /// Accepts `None` or a `threading.Event` (anything with `is_set()` and `wait()`).
    pub fn from_py(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Signal>> {
        let Some(v) = obj.filter(|v| !v.is_none()) else {
            return Ok(None);
        };
        let py = v.py();
        let event_class = py.import("threading")?.getattr("Event")?;
        if !v.is_instance(&event_class)? {
            let type_name = v.get_type().name()?;
            return Err(to_py_err(ZabyError::invalid_argument(format!(
                "signal must be a threading.Event on the sync client, got {type_name}"
            ))));
        }
        Ok(Some(Signal(v.clone().unbind())))
    }

    fn is_set(&self, py: Python<'_>) -> PyResult<bool> {
        self.0.bind(py).call_method0(pyo3::intern!(py, "is_set"))?.is_truthy()
    }
}

fn aborted() -> ZabyError {
    ZabyError::client(codes::ABORTED, "the call was aborted through its signal")
}

/// Runs `fut` to completion on the calling thread with the GIL released. Dropping it
/// (Ctrl-C, a set `signal`) drops the HTTP request with it.
pub fn block_on<F, T>(py: Python<'_>, fut: F, signal: Option<&Signal>) -> PyResult<T>
where
    F: Future<Output = zaby::Result<T>> + Send,
    T: Send,
{
    if let Some(s) = signal
        && s.is_set(py)?
    {
        return Err(to_py_err(aborted()));
    }
    let rt = runtime();
    let mut fut = std::pin::pin!(fut);
    loop {
        // The timer is made inside the runtime: it registers with the runtime's clock.
        let mut wait = || py.detach(|| rt.block_on(async { tokio::time::timeout(SLICE, fut.as_mut()).await }));
        // A sync transport or provider that calls a blocking Zaby method (a wrapper of
        // `HttpTransport.send_sync`) runs inside an outer `block_on`: step out of the
        // runtime's context for the inner one, which tokio forbids nesting directly.
        let slice =
            if tokio::runtime::Handle::try_current().is_ok() { tokio::task::block_in_place(wait) } else { wait() };
        match slice {
            Ok(result) => return result.map_err(to_py_err),
            Err(_elapsed) => {
                py.check_signals()?;
                if let Some(s) = signal
                    && s.is_set(py)?
                {
                    return Err(to_py_err(aborted()));
                }
            }
        }
    }
}

fn close_slot<S: Send>(py: Python<'_>, slot: &Slot<S>) -> PyResult<()> {
    let slot = slot.clone();
    block_on(
        py,
        async move {
            close(slot).await;
            Ok::<_, ZabyError>(())
        },
        None,
    )
}

/// The items of a list endpoint across pages, for `for item in zaby.agents.iter():`.
#[pyclass(frozen, module = "zaby._native")]
pub struct SyncPaginator {
    slot: Slot<zaby::Paginator>,
    signal: Option<Arc<Signal>>,
}

impl SyncPaginator {
    pub fn new(p: zaby::Paginator, signal: Option<Signal>) -> Self {
        SyncPaginator { slot: Slot::new(p), signal: signal.map(Arc::new) }
    }
}

#[pymethods]
impl SyncPaginator {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        ensure_no_running_loop(py)?;
        crate::logging::refresh(py);
        // An error, Ctrl-C or a set signal drops the paginator (see `next_item`).
        match block_on(py, next_item(self.slot.clone()), self.signal.as_deref())? {
            Some(item) => Ok(Some(to_py_value(py, &item)?.unbind())),
            None => Ok(None),
        }
    }

    /// Stops fetching pages. Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        close_slot(py, &self.slot)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        self.close(py)
    }
}

/// The events of one run for the sync client (`for ev in runtime.runs.stream(run_id):`).
#[pyclass(frozen, module = "zaby._native")]
pub struct SyncRunEventStream {
    slot: Slot<crate::tools::Events>,
    run_id: String,
    last_event_id: std::sync::Mutex<Option<String>>,
    signal: Option<Arc<Signal>>,
}

impl SyncRunEventStream {
    pub fn new(run_id: String, stream: crate::tools::Events, signal: Option<Signal>) -> Self {
        SyncRunEventStream {
            run_id,
            slot: Slot::new(stream),
            last_event_id: std::sync::Mutex::new(None),
            signal: signal.map(Arc::new),
        }
    }
}

#[pymethods]
impl SyncRunEventStream {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        ensure_no_running_loop(py)?;
        crate::logging::refresh(py);
        // An error, Ctrl-C or a set signal drops the stream and its connection
        // (see `next_item`): the iterator is finished after it.
        let Some(event) = block_on(py, next_item(self.slot.clone()), self.signal.as_deref())? else {
            return Ok(None);
        };
        if let Some(id) = &event.id {
            *self.last_event_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.clone());
        }
        sse_event(py, event).map(Some)
    }

    /// Closes the HTTP connection; later iteration ends at once. Idempotent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        close_slot(py, &self.slot)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        self.close(py)
    }

    #[getter]
    fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Id of the last event delivered (use it to resume by hand).
    #[getter]
    fn last_event_id(&self) -> Option<String> {
        self.last_event_id.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn __repr__(&self) -> String {
        format!("SyncRunEventStream(run_id={:?}, last_event_id={:?})", self.run_id, self.last_event_id())
    }
}
