//! Async iterators over core streams: `RunEventStream` (SSE events), `Paginator`
//! (list items) and `ByteStream` (a native transport's body). Each is a frozen pyclass
//! holding the Rust stream behind an async mutex; `__anext__` returns an awaitable.
//! Closing, exhausting, failing or cancelling the awaiting task drops the Rust stream,
//! which closes its HTTP connection.

use std::sync::{Arc, Mutex as StdMutex};

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;
use tokio::sync::{Mutex, OwnedMutexGuard};
use zaby::{CancellationToken, SseEvent};

use crate::convert::to_py_value;
use crate::errors::to_py_err;
use crate::runtime::to_py;

/// A stream behind an async mutex, plus a signal that interrupts an in-flight
/// `__anext__` when the stream is closed from another task.
struct Slot<S> {
    stream: Arc<Mutex<Option<S>>>,
    closed: CancellationToken,
}

impl<S> Clone for Slot<S> {
    fn clone(&self) -> Self {
        Slot { stream: self.stream.clone(), closed: self.closed.clone() }
    }
}

impl<S> Slot<S> {
    fn new(stream: S) -> Self {
        Slot { stream: Arc::new(Mutex::new(Some(stream))), closed: CancellationToken::new() }
    }
}

/// Holds the stream's lock during one `__anext__`; if the awaiting task is cancelled
/// (the future is dropped before it finished) the stream is dropped with it.
struct CloseUnlessDone<S> {
    guard: OwnedMutexGuard<Option<S>>,
    done: bool,
}

impl<S> Drop for CloseUnlessDone<S> {
    fn drop(&mut self) {
        if !self.done {
            *self.guard = None;
        }
    }
}

/// The next item of the stream in `slot`; `Ok(None)` once it ended or was closed.
/// An error ends the iteration too.
async fn next_item<S, T>(slot: Slot<S>, observe: impl FnOnce(&S)) -> zaby::Result<Option<T>>
where
    S: Stream<Item = zaby::Result<T>> + Unpin,
{
    // Closing drops the read below mid-flight; its guard then drops the stream.
    tokio::select! {
        biased;
        _ = slot.closed.cancelled() => Ok(None),
        r = next_locked(slot.stream.clone(), observe) => r,
    }
}

async fn next_locked<S, T>(stream: Arc<Mutex<Option<S>>>, observe: impl FnOnce(&S)) -> zaby::Result<Option<T>>
where
    S: Stream<Item = zaby::Result<T>> + Unpin,
{
    let mut held = CloseUnlessDone { guard: stream.lock_owned().await, done: false };
    let item = match held.guard.as_mut() {
        Some(stream) => stream.next().await,
        None => {
            held.done = true;
            return Ok(None);
        }
    };
    held.done = true;
    if let Some(stream) = held.guard.as_ref() {
        observe(stream);
    }
    match item {
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(e)) => {
            *held.guard = None;
            Err(e)
        }
        None => {
            *held.guard = None;
            Ok(None)
        }
    }
}

async fn close<S>(slot: Slot<S>) {
    slot.closed.cancel();
    let stream = slot.stream.lock().await.take();
    drop(stream);
}

fn stop() -> PyErr {
    PyStopAsyncIteration::new_err(())
}

static SSE_EVENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An `SseEvent` instance of the Python class in `zaby._sse`.
fn sse_event(py: Python<'_>, ev: &SseEvent) -> PyResult<Py<PyAny>> {
    let cls =
        SSE_EVENT.get_or_try_init(py, || Ok::<_, PyErr>(py.import("zaby._sse")?.getattr("SseEvent")?.unbind()))?;
    cls.call1(py, (to_py_value(py, &ev.data)?, ev.id.as_deref(), ev.event.as_deref()))
}

/// The events of one run (`runtime.runs.stream(...)`).
#[pyclass(frozen, module = "zaby._native")]
pub struct RunEventStream {
    slot: Slot<zaby::RunEventStream>,
    run_id: String,
    last_event_id: Arc<StdMutex<Option<String>>>,
}

impl RunEventStream {
    pub fn new(stream: zaby::RunEventStream) -> Self {
        RunEventStream {
            run_id: stream.run_id().to_owned(),
            slot: Slot::new(stream),
            last_event_id: Arc::new(StdMutex::new(None)),
        }
    }
}

#[pymethods]
impl RunEventStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        let last = self.last_event_id.clone();
        to_py(py, async move {
            let observe = move |s: &zaby::RunEventStream| {
                *last.lock().unwrap_or_else(|p| p.into_inner()) = s.last_event_id();
            };
            match next_item(slot, observe).await {
                Ok(Some(ev)) => Python::attach(|py| sse_event(py, &ev)),
                Ok(None) => Err(stop()),
                Err(e) => Err(to_py_err(e)),
            }
        })
    }

    /// Closes the HTTP connection; later iteration ends at once. Idempotent.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        to_py(py, async move {
            close(slot).await;
            Ok(())
        })
    }

    fn __aenter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        to_py(py, async move { Ok(slf) })
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(&self, py: Python<'py>, _exc: &Bound<'py, pyo3::types::PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        self.aclose(py)
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
        format!("RunEventStream(run_id={:?}, last_event_id={:?})", self.run_id, self.last_event_id())
    }
}

/// The items of a list endpoint across pages (`iter…` methods).
#[pyclass(frozen, module = "zaby._native")]
pub struct Paginator {
    slot: Slot<zaby::Paginator>,
}

impl Paginator {
    pub fn new(p: zaby::Paginator) -> Self {
        Paginator { slot: Slot::new(p) }
    }
}

#[pymethods]
impl Paginator {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        to_py(py, async move {
            match next_item(slot, |_| {}).await {
                Ok(Some(item)) => Python::attach(|py| Ok(to_py_value(py, &item)?.unbind())),
                Ok(None) => Err(stop()),
                Err(e) => Err(to_py_err(e)),
            }
        })
    }

    /// Stops fetching pages. Idempotent.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        to_py(py, async move {
            close(slot).await;
            Ok(())
        })
    }
}

/// The body of a streamed response from a native transport: an async iterator of `bytes`.
#[pyclass(frozen, module = "zaby._native")]
pub struct ByteStream {
    slot: Slot<BoxStream<'static, zaby::Result<Bytes>>>,
}

impl ByteStream {
    pub fn new(s: BoxStream<'static, zaby::Result<Bytes>>) -> Self {
        ByteStream { slot: Slot::new(s) }
    }
}

#[pymethods]
impl ByteStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        to_py(py, async move {
            match next_item(slot, |_| {}).await {
                Ok(Some(chunk)) => Python::attach(|py| Ok(PyBytes::new(py, &chunk).into_any().unbind())),
                Ok(None) => Err(stop()),
                Err(e) => Err(to_py_err(e)),
            }
        })
    }

    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        to_py(py, async move {
            close(slot).await;
            Ok(())
        })
    }
}
