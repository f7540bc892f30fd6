//! The core's log records reach Python's `logging` (logger "zaby") through pyo3-log. That
//! crate asks Python, with the GIL, whether a level is enabled, once per record: a GIL
//! visit from a tokio worker for every request's debug record even when nobody listens.
//! So the "zaby" logger's threshold is read on the event loop's thread whenever a call
//! starts (`refresh`, cheap there since the GIL is held) and kept in an atomic; records
//! below it are dropped in Rust. A level set with `setLevel` applies from the next call on.
//!
//! The bridge itself (pyo3-log imports Python's `logging`, several milliseconds) is built
//! at the first call, not at `import zaby`: the core logs nothing before a call starts.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// pyo3-log, built by the first `refresh`.
static BRIDGE: OnceLock<pyo3_log::Logger> = OnceLock::new();

/// The lowest level the "zaby" logger accepts (a `LevelFilter` as usize).
static THRESHOLD: AtomicUsize = AtomicUsize::new(LevelFilter::Trace as usize);

static LEVEL_OF_ZABY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn filter_of(python_level: i64) -> LevelFilter {
    match python_level {
        ..=5 => LevelFilter::Trace,
        6..=10 => LevelFilter::Debug,
        11..=20 => LevelFilter::Info,
        21..=30 => LevelFilter::Warn,
        31..=40 => LevelFilter::Error,
        _ => LevelFilter::Off,
    }
}

/// Reads the "zaby" logger's current threshold (the caller holds the GIL).
pub fn refresh(py: Python<'_>) {
    if BRIDGE.get().is_none() {
        // The core's records go to the logger "zaby"; other crates' are cut at WARN in
        // Rust, before touching Python.
        let made = pyo3_log::Logger::new(py, pyo3_log::Caching::Loggers)
            .map(|l| l.filter(LevelFilter::Warn).filter_target("zaby".to_owned(), LevelFilter::Trace));
        match made {
            Ok(logger) => {
                let _ = BRIDGE.set(logger);
            }
            Err(err) => err.print(py),
        }
    }
    let level = LEVEL_OF_ZABY
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("zaby._adapters")?.getattr("zaby_log_level")?.unbind()))
        .and_then(|f| f.bind(py).call0())
        .and_then(|v| v.extract::<i64>());
    // If it cannot be read, let every record through to pyo3-log, which asks Python.
    let filter = level.map(filter_of).unwrap_or(LevelFilter::Trace);
    THRESHOLD.store(filter as usize, Ordering::Relaxed);
}

fn threshold() -> LevelFilter {
    match THRESHOLD.load(Ordering::Relaxed) {
        0 => LevelFilter::Off,
        1 => LevelFilter::Error,
        2 => LevelFilter::Warn,
        3 => LevelFilter::Info,
        4 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    }
}

/// pyo3-log behind the threshold above, for the core's records; records before the
/// bridge exists are dropped.
pub struct Gated;

impl Gated {
    fn bridge(&self, metadata: &Metadata) -> Option<&'static pyo3_log::Logger> {
        let ours = metadata.target() == "zaby" || metadata.target().starts_with("zaby::");
        if ours && metadata.level() > threshold() {
            return None;
        }
        BRIDGE.get().filter(|inner| inner.enabled(metadata))
    }
}

impl Log for Gated {
    fn enabled(&self, metadata: &Metadata) -> bool {
        self.bridge(metadata).is_some()
    }

    fn log(&self, record: &Record) {
        if let Some(inner) = self.bridge(record.metadata()) {
            inner.log(record);
        }
    }

    fn flush(&self) {
        if let Some(inner) = BRIDGE.get() {
            inner.flush();
        }
    }
}
