//! Async iterators over core streams: `RunEventStream` (SSE events), `Paginator`
//! (list items) and `ByteStream` (a native transport's body). Each is a frozen pyclass
//! holding the Rust stream behind an async mutex; `__anext__` returns an awaitable.
//! Closing, exhausting, failing or cancelling the awaiting task drops the Rust stream,
//! which closes its HTTP connection.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex as StdMutex};

use bytes::Bytes;
use futures::FutureExt;
use futures::stream::{BoxStream, Stream, StreamExt};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;
use tokio::sync::{Mutex, OwnedMutexGuard};
use zaby::{CancellationToken, RawSseEvent, ZabyError};

use crate::bridge::Outcome;
use crate::convert::to_py_value;
use crate::errors::to_py_err;
use crate::runtime::{to_py, to_py_with};

/// A stream behind an async mutex, plus a signal that interrupts an in-flight
/// `__anext__` when the stream is closed from another task.
pub(crate) struct Slot<S> {
    stream: Arc<Mutex<Option<S>>>,
    closed: CancellationToken,
}

impl<S> Clone for Slot<S> {
    fn clone(&self) -> Self {
        Slot { stream: self.stream.clone(), closed: self.closed.clone() }
    }
}

impl<S> Slot<S> {
    pub(crate) fn new(stream: S) -> Self {
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
pub(crate) async fn next_item<S, T>(slot: Slot<S>) -> zaby::Result<Option<T>>
where
    S: Stream<Item = zaby::Result<T>> + Unpin,
{
    // Closing drops the read below mid-flight; its guard then drops the stream.
    tokio::select! {
        biased;
        _ = slot.closed.cancelled() => Ok(None),
        r = next_locked(slot.stream.clone()) => r,
    }
}

async fn next_locked<S, T>(stream: Arc<Mutex<Option<S>>>) -> zaby::Result<Option<T>>
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

pub(crate) async fn close<S>(slot: Slot<S>) {
    slot.closed.cancel();
    let stream = slot.stream.lock().await.take();
    drop(stream);
}

/// Most events one `__anext__` takes from the core in one go.
const MAX_BATCH: usize = 1024;

/// What one trip to the core brought back: events in order, then possibly the error
/// that ended the stream right after them.
struct Batch<T> {
    items: Vec<T>,
    error: Option<ZabyError>,
}

/// The next item of the stream, plus every further item that is ready without waiting
/// (parsed already, or in bytes already received). Crossing from the tokio worker to the
/// event loop costs far more than handing over one event, so events travel in batches.
async fn next_batch<S, T>(slot: Slot<S>) -> zaby::Result<Batch<T>>
where
    S: Stream<Item = zaby::Result<T>> + Unpin,
{
    tokio::select! {
        biased;
        _ = slot.closed.cancelled() => Ok(Batch { items: Vec::new(), error: None }),
        r = next_batch_locked(slot.stream.clone()) => r,
    }
}

async fn next_batch_locked<S, T>(stream: Arc<Mutex<Option<S>>>) -> zaby::Result<Batch<T>>
where
    S: Stream<Item = zaby::Result<T>> + Unpin,
{
    let mut held = CloseUnlessDone { guard: stream.lock_owned().await, done: false };
    let first = match held.guard.as_mut() {
        Some(stream) => stream.next().await,
        None => None,
    };
    held.done = true;
    let mut batch = Batch { items: Vec::new(), error: None };
    match first {
        Some(Ok(v)) => batch.items.push(v),
        Some(Err(e)) => {
            *held.guard = None;
            return Err(e);
        }
        None => {
            *held.guard = None;
            return Ok(batch);
        }
    }
    while batch.items.len() < MAX_BATCH {
        let Some(stream) = held.guard.as_mut() else { break };
        match stream.next().now_or_never() {
            None => break,
            Some(Some(Ok(v))) => batch.items.push(v),
            Some(Some(Err(e))) => {
                *held.guard = None;
                batch.error = Some(e);
                break;
            }
            // The end is seen again (and the stream dropped) on the next trip.
            Some(None) => break,
        }
    }
    Ok(batch)
}

/// An awaitable whose result is already known: what `__anext__` returns for an event
/// that was fetched with an earlier batch, so it costs no trip to the runtime.
#[pyclass(frozen, module = "zaby._native")]
pub struct Ready {
    outcome: StdMutex<Option<PyResult<Py<PyAny>>>>,
}

#[pymethods]
impl Ready {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Ends at once: the result travels in `StopIteration`, as an awaitable's does.
    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Err(match self.outcome.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(Ok(value)) => PyStopIteration::new_err((value,)),
            Some(Err(e)) => e,
            None => PyStopIteration::new_err((py.None(),)),
        })
    }
}

fn stop() -> PyErr {
    PyStopAsyncIteration::new_err(())
}

static SSE_EVENT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An `SseEvent` instance of the Python class in `zaby._sse`, its data parsed as JSON.
pub(crate) fn sse_event(py: Python<'_>, raw: RawSseEvent) -> PyResult<Py<PyAny>> {
    let cls =
        SSE_EVENT.get_or_try_init(py, || Ok::<_, PyErr>(py.import("zaby._sse")?.getattr("SseEvent")?.unbind()))?;
    let ev = raw.into_event();
    cls.call1(py, (to_py_value(py, &ev.data)?, ev.id.as_deref(), ev.event.as_deref()))
}

/// An event converted for Python, with its id (which becomes `last_event_id` when the
/// event is handed to the caller), or the error that ended the stream after them.
type Delivery = Result<(Py<PyAny>, Option<String>), PyErr>;

/// The events of one run (`runtime.runs.stream(...)`).
#[pyclass(frozen, module = "zaby._native")]
pub struct RunEventStream {
    slot: Slot<crate::tools::Events>,
    run_id: String,
    last_event_id: Arc<StdMutex<Option<String>>>,
    /// Events fetched with a batch and not yet handed out, oldest first.
    buffer: Arc<StdMutex<VecDeque<Delivery>>>,
}

impl RunEventStream {
    pub fn new(run_id: String, stream: crate::tools::Events) -> Self {
        RunEventStream {
            run_id,
            slot: Slot::new(stream),
            last_event_id: Arc::new(StdMutex::new(None)),
            buffer: Arc::new(StdMutex::new(VecDeque::new())),
        }
    }
}

/// Hands out the oldest buffered delivery, recording its id as the last one delivered.
fn deliver(delivery: Delivery, last: &StdMutex<Option<String>>) -> PyResult<Py<PyAny>> {
    let (event, id) = delivery?;
    if let Some(id) = id {
        *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
    }
    Ok(event)
}

#[pymethods]
impl RunEventStream {
    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let buffered = self.buffer.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
        if let Some(delivery) = buffered {
            let outcome = deliver(delivery, &self.last_event_id);
            return Ok(Bound::new(py, Ready { outcome: StdMutex::new(Some(outcome)) })?.into_any());
        }
        crate::logging::refresh(py);
        let slot = self.slot.clone();
        let last = self.last_event_id.clone();
        let buffer = self.buffer.clone();
        to_py_with(py, async move {
            let batch = next_batch(slot).await;
            // Events become Python objects on the loop's thread, all of a batch at once.
            Ok(Box::new(move |py: Python<'_>| {
                let batch = batch.map_err(to_py_err)?;
                let mut converted = VecDeque::with_capacity(batch.items.len() + 1);
                for ev in batch.items {
                    let id = ev.id.clone();
                    converted.push_back(sse_event(py, ev).map(|obj| (obj, id)));
                }
                if let Some(e) = batch.error {
                    converted.push_back(Err(to_py_err(e)));
                }
                let mut buffer = buffer.lock().unwrap_or_else(|p| p.into_inner());
                // Another task's batch may have landed first: keep the order events came in.
                buffer.extend(converted);
                match buffer.pop_front() {
                    Some(delivery) => deliver(delivery, &last),
                    None => Err(stop()),
                }
            }) as Outcome)
        })
    }

    /// Closes the HTTP connection; later iteration ends at once. Idempotent.
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        self.buffer.lock().unwrap_or_else(|p| p.into_inner()).clear();
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
        crate::logging::refresh(py);
        let slot = self.slot.clone();
        to_py(py, async move {
            match next_item(slot).await {
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
            match next_item(slot).await {
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

    /// The body read from a sync transport wrapper (`HttpTransport.send_sync`).
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        let chunk = crate::sync::block_on(py, next_item(self.slot.clone()), None)?;
        Ok(chunk.map(|c| PyBytes::new(py, &c).into_any().unbind()))
    }
}
