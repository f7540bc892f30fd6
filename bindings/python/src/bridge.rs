//! Hands finished Rust futures over to the asyncio loop that awaits them, without taking
//! the GIL on the tokio side. Each loop gets a `LoopBridge`: a queue of results and a
//! Unix socket pair whose reading end is registered with `loop.add_reader`. A worker
//! pushes a result and, when the queue was empty, writes one byte; the loop wakes once,
//! turns every queued result into a Python object and resolves its future. Taking the
//! GIL from a tokio worker stalls that worker while the loop thread runs Python, and a
//! thread state made for each visit costs more than the call itself, so the workers
//! never visit. (A socket pair rather than Linux's eventfd keeps this portable to every
//! Unix, macOS included.)

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// What a finished future produced, turned into a Python object on the loop's thread.
pub type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

struct Completion {
    future: Py<PyAny>,
    outcome: Outcome,
}

#[pyclass(frozen, module = "zaby._native")]
pub struct LoopBridge {
    queue: Mutex<Vec<Completion>>,
    /// Written by the workers (one byte per wake-up), read by the loop.
    wake: UnixStream,
    woken: UnixStream,
}

impl LoopBridge {
    fn new() -> PyResult<Self> {
        let (wake, woken) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        woken.set_nonblocking(true)?;
        Ok(LoopBridge { queue: Mutex::new(Vec::new()), wake, woken })
    }

    /// Queues a result for `future` (any thread, no GIL needed).
    pub fn complete(&self, future: Py<PyAny>, outcome: Outcome) {
        let was_empty = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let was_empty = queue.is_empty();
            queue.push(Completion { future, outcome });
            was_empty
        };
        if was_empty {
            // A full socket buffer (WouldBlock) means wake-ups are already pending,
            // which is all this byte says; nothing else can fail on a live pair.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

#[pymethods]
impl LoopBridge {
    fn fileno(&self) -> i32 {
        self.woken.as_raw_fd()
    }

    /// The loop's reader callback: resolves every queued future.
    fn drain(&self, py: Python<'_>) {
        // Consume the wake-ups before taking the queue: a result queued after the take
        // finds the queue empty and writes (and wakes) again.
        let mut bytes = [0u8; 64];
        loop {
            match (&self.woken).read(&mut bytes) {
                Ok(n) if n == bytes.len() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
        let completions = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()));
        for c in completions {
            resolve(py, c);
        }
    }
}

fn resolve(py: Python<'_>, c: Completion) {
    let future = c.future.bind(py);
    // A cancelled future is done already, and its Rust side was aborted.
    if future.call_method0(pyo3::intern!(py, "done")).and_then(|d| d.is_truthy()).unwrap_or(true) {
        return;
    }
    let outcome = (c.outcome)(py);
    let set = match outcome {
        Ok(value) => future.call_method1(pyo3::intern!(py, "set_result"), (value,)),
        Err(err) => future.call_method1(pyo3::intern!(py, "set_exception"), (err.into_value(py),)),
    };
    if let Err(e) = set {
        e.write_unraisable(py, Some(future));
    }
}

static BRIDGE_FOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

thread_local! {
    /// The loop this thread used last and its bridge: the common case skips the lookup.
    static LAST: std::cell::RefCell<Option<(Py<PyAny>, Py<LoopBridge>)>> = const { std::cell::RefCell::new(None) };
}

/// The bridge of `event_loop`, made and registered with it on first use.
pub fn bridge_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Py<LoopBridge>> {
    let cached = LAST.with_borrow(|last| match last {
        Some((l, b)) if l.bind(py).is(event_loop) => Some(b.clone_ref(py)),
        _ => None,
    });
    if let Some(bridge) = cached {
        return Ok(bridge);
    }
    let lookup = BRIDGE_FOR
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("zaby._adapters")?.getattr("loop_bridge")?.unbind()))?;
    let make = pyo3::types::PyCFunction::new_closure(py, None, None, |args, _| Py::new(args.py(), LoopBridge::new()?))?;
    let bridge: Py<LoopBridge> = lookup.bind(py).call1((event_loop, make))?.extract()?;
    LAST.with_borrow_mut(|last| *last = Some((event_loop.clone().unbind(), bridge.clone_ref(py))));
    Ok(bridge)
}
