//! The core's log records reach Python's `logging` (logger "zaby") through pyo3-log. That
//! crate asks Python, with the GIL, whether a level is enabled, once per record: a GIL
//! visit from a tokio worker for every request's debug record even when nobody listens.
//! So the "zaby" logger's threshold is read on the event loop's thread whenever a call
//! starts (`refresh`, cheap there since the GIL is held) and kept in an atomic; records
//! below it are dropped in Rust. A level set with `setLevel` applies from the next call on.

use std::sync::atomic::{AtomicUsize, Ordering};

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

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

/// pyo3-log behind the threshold above, for the core's records.
pub struct Gated {
    pub inner: pyo3_log::Logger,
}

impl Log for Gated {
    fn enabled(&self, metadata: &Metadata) -> bool {
        let ours = metadata.target() == "zaby" || metadata.target().starts_with("zaby::");
        (!ours || metadata.level() <= threshold()) && self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            self.inner.log(record);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}
