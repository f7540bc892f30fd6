//! Hands finished Rust futures over to the asyncio loop that awaits them, without taking
//! the GIL on the tokio side. Each loop gets a `LoopBridge`: a queue of results and a
//! wake-up descriptor registered with `loop.add_reader`. A worker pushes a result and,
//! when the queue was empty, signals the descriptor; the loop wakes once, turns every
//! queued result into a Python object and resolves its future. Taking the GIL from a
//! tokio worker stalls that worker while the loop thread runs Python, and a thread state
//! made for each visit costs more than the call itself, so the workers never visit.

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
    wake: Wake,
}

impl LoopBridge {
    fn new() -> PyResult<Self> {
        Ok(LoopBridge { queue: Mutex::new(Vec::new()), wake: Wake::new()? })
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
            self.wake.signal();
        }
    }
}

#[pymethods]
impl LoopBridge {
    fn fileno(&self) -> i32 {
        self.wake.fileno()
    }

    /// The loop's reader callback: resolves every queued future.
    fn drain(&self, py: Python<'_>) {
        // Consume the wake-ups before taking the queue: a result queued after the take
        // finds the queue empty and signals (and wakes) again.
        self.wake.consume();
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

/// The wake-up descriptor: Linux's eventfd (one counter, the cheapest), else a Unix
/// socket pair (every Unix, macOS included).
#[cfg(target_os = "linux")]
struct Wake(std::os::fd::OwnedFd);

#[cfg(target_os = "linux")]
impl Wake {
    fn new() -> std::io::Result<Self> {
        use std::os::fd::FromRawFd;
        // SAFETY: eventfd returns a fresh descriptor we own, or -1.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is valid and owned by nobody else.
        Ok(Wake(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }))
    }

    fn signal(&self) {
        use std::os::fd::AsRawFd;
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd. A full counter (EAGAIN)
        // already means "wake up", so the result needs no check.
        unsafe { libc::write(self.0.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    fn consume(&self) {
        use std::os::fd::AsRawFd;
        let mut counter: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; an empty counter (EAGAIN) is fine.
        unsafe { libc::read(self.0.as_raw_fd(), (&mut counter as *mut u64).cast(), 8) };
    }

    fn fileno(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.0.as_raw_fd()
    }
}

#[cfg(not(target_os = "linux"))]
struct Wake {
    /// Written by the workers (one byte per wake-up), read by the loop.
    tx: std::os::unix::net::UnixStream,
    rx: std::os::unix::net::UnixStream,
}

#[cfg(not(target_os = "linux"))]
impl Wake {
    fn new() -> std::io::Result<Self> {
        let (tx, rx) = std::os::unix::net::UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(Wake { tx, rx })
    }

    fn signal(&self) {
        use std::io::Write;
        // A full socket buffer (WouldBlock) means wake-ups are already pending, which is
        // all this byte says; nothing else can fail on a live pair.
        let _ = (&self.tx).write(&[1]);
    }

    fn consume(&self) {
        use std::io::{ErrorKind, Read};
        let mut bytes = [0u8; 64];
        loop {
            match (&self.rx).read(&mut bytes) {
                Ok(n) if n == bytes.len() => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
    }

    fn fileno(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.rx.as_raw_fd()
    }
}
