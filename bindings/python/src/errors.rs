//! Errors across the boundary. The hierarchy itself is Python source
//! (`python/zaby/errors.py`); this module raises the class the core names with
//! `ZabyError::class_name()`, fills every field, and chains `__cause__`. Python
//! exceptions raised by host callables travel through the core as
//! [`HostError`]s and come out as the very same exception object.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};
use zaby::ZabyError;
use zaby::error::Cause;

use crate::convert::to_py_value;

/// A Python exception carried inside the core (as a `ZabyError` source).
pub struct HostError(pub PyErr);

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Python::attach(|py| {
            let value = self.0.value(py);
            let name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
            match value.str() {
                Ok(text) if !text.to_string().is_empty() => write!(f, "{name}: {text}"),
                _ => f.write_str(&name),
            }
        })
    }
}

impl fmt::Debug for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostError({self})")
    }
}

impl StdError for HostError {}

impl HostError {
    pub fn cause(err: PyErr) -> Cause {
        Arc::new(HostError(err))
    }
}

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS.get_or_try_init(py, || Ok::<_, PyErr>(py.import("zaby.errors")?.unbind())).map(|m| m.bind(py))
}

fn class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    errors_module(py)?.getattr(name)
}

/// Whether `err` is an instance of the Python class `name` from `zaby.errors`.
pub fn is_zaby_class(py: Python<'_>, err: &PyErr, name: &str) -> bool {
    class(py, name).map(|c| err.is_instance(py, &c)).unwrap_or(false)
}

/// The Python exception for a core error.
pub fn to_py_err(e: ZabyError) -> PyErr {
    Python::attach(|py| build(py, &e).unwrap_or_else(|failure| failure))
}

fn build(py: Python<'_>, e: &ZabyError) -> PyResult<PyErr> {
    let kwargs = PyDict::new(py);
    let (instance, cause) = match e {
        ZabyError::External(cause) => return Ok(cause_to_py(py, cause)),
        ZabyError::Connection { source: Some(source), .. } if host_zaby_error(py, source).is_some() => {
            return Ok(host_zaby_error(py, source).expect("checked"));
        }
        ZabyError::Api(api) => {
            kwargs.set_item("code", api.code.as_deref())?;
            kwargs.set_item("request_id", api.request_id.as_deref())?;
            kwargs.set_item("retry_after", api.retry_after)?;
            kwargs.set_item("details", api.details.as_ref().map(|d| to_py_value(py, d)).transpose()?)?;
            kwargs.set_item("headers", api.headers.clone().into_pyobject(py)?)?;
            if api.kind == zaby::ApiErrorKind::Stream {
                kwargs.set_item("run_id", api.run_id.as_deref())?;
                kwargs.set_item("last_event_id", api.last_event_id.as_deref())?;
            }
            let cls = class(py, e.class_name())?;
            let instance = cls.call((api.status, api.message.as_str()), Some(&kwargs))?;
            (instance, api.source.as_deref().map(|s| build(py, s)).transpose()?)
        }
        ZabyError::Timeout { message, timeout_ms } => {
            kwargs.set_item("code", e.code())?;
            kwargs.set_item("timeout_ms", *timeout_ms)?;
            (class(py, "ZabyTimeoutError")?.call((message.as_str(),), Some(&kwargs))?, None)
        }
        ZabyError::Connection { message, source } | ZabyError::Client { message, source, .. } => {
            kwargs.set_item("code", e.code())?;
            let instance = class(py, e.class_name())?.call((message.as_str(),), Some(&kwargs))?;
            (instance, source.as_ref().map(|s| cause_to_py(py, s)))
        }
        _ => {
            kwargs.set_item("code", e.code())?;
            (class(py, e.class_name())?.call((e.message(),), Some(&kwargs))?, None)
        }
    };
    let err = PyErr::from_value(instance);
    if let Some(cause) = cause {
        err.set_cause(py, Some(cause));
    }
    Ok(err)
}

/// A Python `ZabyError` raised by host code (a custom transport), re-raised as it was.
fn host_zaby_error(py: Python<'_>, source: &Cause) -> Option<PyErr> {
    let host = source.downcast_ref::<HostError>()?;
    is_zaby_class(py, &host.0, "ZabyError").then(|| host.0.clone_ref(py))
}

/// The `__cause__` for an underlying error: the original Python exception, a Zaby error,
/// or a `RuntimeError` describing a Rust-side failure (with its whole source chain).
fn cause_to_py(py: Python<'_>, cause: &Cause) -> PyErr {
    if let Some(host) = cause.downcast_ref::<HostError>() {
        return host.0.clone_ref(py);
    }
    if let Some(zaby) = cause.downcast_ref::<ZabyError>() {
        return build(py, zaby).unwrap_or_else(|f| f);
    }
    let mut text = cause.to_string();
    let mut next = cause.source();
    while let Some(s) = next {
        text.push_str(": ");
        text.push_str(&s.to_string());
        next = s.source();
    }
    PyRuntimeError::new_err(text)
}

/// A Python exception raised by host code (a transport's `send`), as a core error:
/// Zaby connection errors and timeouts stay retryable; everything else passes through.
pub fn from_host(py: Python<'_>, err: PyErr) -> ZabyError {
    if is_zaby_class(py, &err, "ZabyTimeoutError") {
        let timeout_ms = err.value(py).getattr("timeout_ms").and_then(|v| v.extract::<u64>()).unwrap_or(0);
        return ZabyError::Timeout { message: err.value(py).to_string(), timeout_ms };
    }
    if is_zaby_class(py, &err, "ZabyConnectionError") {
        let message = err.value(py).to_string();
        return ZabyError::connection(message, Some(HostError::cause(err)));
    }
    ZabyError::External(HostError::cause(err))
}

/// `Result<T, ZabyError>` → `PyResult<T>`.
pub trait IntoPyResult<T> {
    fn py_result(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for zaby::Result<T> {
    fn py_result(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}
