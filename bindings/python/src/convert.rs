//! Host values ↔ core values: JSON via pythonize (no JSON strings in between), the
//! configuration layers, and per-call options.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use serde_json::Value;
use zaby::config::BackoffFn;
use zaby::{Retries, RetryPolicy, ZabyGlobalConfig};

/// A JSON value as a Python object (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`).
pub fn to_py_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A Python object as a JSON value; `None` stays `None` (an omitted input).
pub fn from_py_value(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Value>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => pythonize::depythonize::<Value>(o)
            .map(Some)
            .map_err(|e| PyTypeError::new_err(format!("{what} is not JSON-compatible: {e}"))),
    }
}

/// Path parameters: strings (an empty string or `None` is left to the core, which
/// rejects it with `INVALID_ARGUMENT` before any I/O). `names` are the method's
/// parameter names from the core's endpoint table, so an error names the argument as
/// the caller wrote it.
pub fn path_params(params: &Bound<'_, PyAny>, names: &[&str]) -> PyResult<Vec<String>> {
    params
        .try_iter()?
        .enumerate()
        .map(|(i, item)| path_param(names.get(i).copied().unwrap_or("path parameter"), &item?))
        .collect()
}

pub fn path_param(name: &str, item: &Bound<'_, PyAny>) -> PyResult<String> {
    if item.is_none() {
        return Ok(String::new());
    }
    match item.cast::<PyString>() {
        Ok(s) => Ok(s.to_str()?.to_owned()),
        Err(_) => Err(not_a_str(name, item)),
    }
}

/// `INVALID_ARGUMENT "<name> must be a str, got int 42"`.
pub fn not_a_str(name: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let described = value.get_type().name().and_then(|t| Ok(format!("{t} {}", value.repr()?)));
    let got = described.unwrap_or_else(|_| "a value that cannot be shown".to_owned());
    crate::errors::to_py_err(zaby::ZabyError::invalid_argument(format!("{name} must be a str, got {got}")))
}

fn opt_attr<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    let v = obj.getattr(name)?;
    Ok((!v.is_none()).then_some(v))
}

fn opt_str(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<String>> {
    opt_attr(obj, name)?
        .map(|v| v.extract::<String>().map_err(|_| PyTypeError::new_err(format!("config field {name} must be a str"))))
        .transpose()
}

/// An int field that is not a bool.
fn int(v: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    if v.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!("{name} must be an int, not a bool")));
    }
    v.extract::<i64>().map_err(|_| PyTypeError::new_err(format!("{name} must be an int")))
}

/// A `ZabyGlobalConfig` dataclass as the core's configuration layer.
pub fn config(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ZabyGlobalConfig>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let timeout_ms = opt_attr(obj, "timeout_ms")?
        .map(|v| int(&v, "timeout_ms"))
        .transpose()?
        // Zero and negative values reach the core as 0, which it rejects as INVALID_CONFIG.
        .map(|n| n.max(0) as u64);
    let retries = opt_attr(obj, "retries")?.map(|v| retries(&v)).transpose()?;
    Ok(Some(ZabyGlobalConfig {
        environment: opt_str(obj, "environment")?,
        api_origin: opt_str(obj, "api_origin")?,
        timeout_ms,
        retries,
        user_agent: opt_str(obj, "user_agent")?,
        tenant_id: opt_str(obj, "tenant_id")?,
    }))
}

fn retries(v: &Bound<'_, PyAny>) -> PyResult<Retries> {
    if v.hasattr("attempts")? {
        return Ok(Retries::Policy(retry_policy(v)?));
    }
    Ok(Retries::Count(
        int(v, "retries").map_err(|_| PyTypeError::new_err("config field retries must be an int or a RetryPolicy"))?,
    ))
}

fn retry_policy(p: &Bound<'_, PyAny>) -> PyResult<RetryPolicy> {
    let attempts = opt_attr(p, "attempts")?.map(|v| int(&v, "RetryPolicy.attempts")).transpose()?.unwrap_or(0);
    let retry_methods = opt_attr(p, "retry_methods")?
        .map(|v| v.extract::<Vec<String>>())
        .transpose()
        .map_err(|_| PyTypeError::new_err("RetryPolicy.retry_methods must be a list of str"))?;
    let retry_statuses = opt_attr(p, "retry_statuses")?
        .map(|v| v.extract::<Vec<u16>>())
        .transpose()
        .map_err(|_| PyTypeError::new_err("RetryPolicy.retry_statuses must be a list of int"))?;
    let backoff_ms = match opt_attr(p, "backoff_ms")? {
        None => None,
        Some(f) if f.is_callable() => Some(backoff(f.unbind())),
        Some(_) => {
            return Err(PyTypeError::new_err("RetryPolicy.backoff_ms must be callable"));
        }
    };
    Ok(RetryPolicy { attempts: attempts.clamp(0, u32::MAX as i64) as u32, retry_methods, retry_statuses, backoff_ms })
}

/// Default backoff of `docs/configuration.md`, used when the host function fails.
fn default_backoff(attempt: u32) -> u64 {
    100u64.saturating_mul(1u64 << attempt.min(20)).min(1000)
}

/// A Python `backoff_ms(attempt)` as the core's backoff function. It is sync, so it is
/// called under the GIL from the runtime thread; a failing or non-numeric result is
/// logged and replaced by the default delay rather than aborting the call.
fn backoff(f: Py<PyAny>) -> BackoffFn {
    Arc::new(move |attempt: u32| {
        Python::attach(|py| {
            let result = f.call1(py, (attempt,)).and_then(|v| v.extract::<f64>(py));
            match result {
                Ok(ms) if ms.is_finite() && ms >= 0.0 => ms.round() as u64,
                Ok(ms) => {
                    log::warn!(target: "zaby", "backoff_ms({attempt}) returned {ms}; using the default delay");
                    default_backoff(attempt)
                }
                Err(e) => {
                    log::warn!(target: "zaby", "backoff_ms({attempt}) failed: {e}; using the default delay");
                    default_backoff(attempt)
                }
            }
        })
    })
}

/// Per-call options: `request_id` and `timeout_ms` (already merged by the facade).
pub fn request_options(
    request_id: Option<String>,
    timeout_ms: Option<&Bound<'_, PyAny>>,
) -> PyResult<zaby::RequestOptions> {
    let timeout = match timeout_ms.filter(|v| !v.is_none()) {
        None => None,
        Some(v) => {
            let ms = if v.is_instance_of::<PyBool>() {
                return Err(PyTypeError::new_err("timeout_ms must be a number of milliseconds"));
            } else {
                v.extract::<f64>().map_err(|_| PyTypeError::new_err("timeout_ms must be a number of milliseconds"))?
            };
            if !(ms.is_finite() && ms >= 1.0) {
                let e = zaby::ZabyError::invalid_argument(format!("timeout_ms must be at least 1 (got {ms})"));
                return Err(crate::errors::to_py_err(e));
            }
            Some(Duration::from_millis(ms as u64))
        }
    };
    Ok(zaby::RequestOptions { request_id, timeout, ..Default::default() })
}
