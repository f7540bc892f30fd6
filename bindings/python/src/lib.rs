//! `zaby._native`: the Python binding of the Zaby core. It translates values, errors,
//! futures and streams; every behaviour lives in the `zaby` crate. The public Python
//! API is the package in `python/zaby`, which wraps this module.

mod adapters;
mod bridge;
mod client;
mod convert;
mod errors;
mod logging;
mod runtime;
mod streams;
mod sync;
mod tools;
mod transports;
mod webhooks;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use zaby::config::{EffectiveRetryPolicy, ResolvedConfig};
use zaby::endpoints::{CLIENTS, ClientInfo, ENDPOINTS, Input, Owner};

use crate::errors::IntoPyResult;

/// A resolved retry policy's backoff, callable from Python (`backoff_ms(attempt)`).
#[pyclass(frozen, module = "zaby._native")]
struct Backoff {
    policy: EffectiveRetryPolicy,
}

#[pymethods]
impl Backoff {
    fn __call__(&self, py: Python<'_>, attempt: u32) -> u64 {
        // A host backoff function needs the GIL, which `detach` gives back to it.
        py.detach(|| self.policy.backoff_ms(attempt))
    }
}

pub(crate) fn resolved_config_dict<'py>(py: Python<'py>, c: &ResolvedConfig) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("environment", &c.environment)?;
    d.set_item("api_origin", &c.api_origin)?;
    d.set_item("timeout_ms", c.timeout_ms)?;
    let r = PyDict::new(py);
    r.set_item("attempts", c.retries.attempts)?;
    r.set_item("retry_methods", c.retries.retry_methods.clone())?;
    r.set_item("retry_statuses", c.retries.retry_statuses.clone())?;
    r.set_item("backoff_ms", Py::new(py, Backoff { policy: c.retries.clone() })?)?;
    d.set_item("retries", r)?;
    d.set_item("user_agent", c.user_agent.as_deref())?;
    d.set_item("tenant_id", c.tenant_id.as_deref())?;
    Ok(d)
}

/// Merges a `ZabyGlobalConfig` into the process-wide configuration.
#[pyfunction]
fn configure(config: &Bound<'_, PyAny>) -> PyResult<()> {
    if let Some(c) = convert::config(Some(config))? {
        zaby::configure_zaby(c);
    }
    Ok(())
}

#[pyfunction]
fn reset_config() {
    zaby::reset_zaby_config_for_tests();
}

#[pyfunction]
#[pyo3(signature = (overrides=None))]
fn resolve_config<'py>(py: Python<'py>, overrides: Option<&Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyDict>> {
    let overrides = convert::config(overrides)?;
    let resolved = zaby::resolve_zaby_config(overrides.as_ref()).py_result()?;
    resolved_config_dict(py, &resolved)
}

fn input_rule(input: Input) -> &'static str {
    match input {
        Input::None => "none",
        Input::Query => "query",
        Input::Body => "body",
        Input::OptionalBody => "body_opt",
        Input::BodyOrEmpty => "body_or_empty",
        Input::BodyMovingToPath { .. } => "body_moving",
        Input::WhenGiven => "given",
        Input::WhenOmitted => "omitted",
        Input::Stream => "stream",
    }
}

/// The endpoint table, for tests that must cover every row.
#[pyfunction]
fn endpoints(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for e in ENDPOINTS {
        let d = PyDict::new(py);
        d.set_item("id", e.id)?;
        d.set_item("method", e.method.as_str())?;
        d.set_item("path", e.path)?;
        d.set_item("list", e.list)?;
        d.set_item("sse", e.sse)?;
        d.set_item("idempotent", e.idempotent)?;
        let bindings = PyList::empty(py);
        for b in e.bindings {
            let bd = PyDict::new(py);
            let info = ClientInfo::by_id(b.client).expect("every binding names a known client");
            bd.set_item("client", b.client)?;
            bd.set_item("owner", if info.owner == Owner::Zaby { "zaby" } else { "runtime" })?;
            bd.set_item("attr", info.attr)?;
            bd.set_item("method", b.method)?;
            bd.set_item("params", b.params.to_vec())?;
            bd.set_item("input", input_rule(b.input))?;
            if let Input::BodyMovingToPath { field, .. } = b.input {
                bd.set_item("moved_field", field)?;
            }
            bd.set_item("iter", b.iter)?;
            bindings.append(bd)?;
        }
        d.set_item("bindings", bindings)?;
        out.append(d)?;
    }
    Ok(out)
}

/// The class of `docs/errors.md` for a failed response (`create_zaby_api_error`).
#[pyfunction]
#[pyo3(signature = (status, code=None))]
fn api_error_class(status: u16, code: Option<&str>) -> &'static str {
    zaby::ApiErrorKind::classify(status, code).class_name()
}

/// Sub-clients: (id, owner, attribute, class).
#[pyfunction]
fn clients() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    CLIENTS.iter().map(|c| (c.id, if c.owner == Owner::Zaby { "zaby" } else { "runtime" }, c.attr, c.class)).collect()
}

#[pymodule(gil_used = true)]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The core logs through `tracing` (target "zaby"); with tracing's `log` feature the
    // events reach the gate of `logging.rs`, which hands them to pyo3-log once the first
    // call has built it.
    if log::set_boxed_logger(Box::new(logging::Gated)).is_ok() {
        log::set_max_level(log::LevelFilter::Trace);
    }

    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_ZABY_API_ORIGIN", zaby::DEFAULT_ZABY_API_ORIGIN)?;
    m.add("LOCAL_ZABY_API_ORIGIN", zaby::LOCAL_ZABY_API_ORIGIN)?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<transports::NativeTransport>()?;
    m.add_class::<streams::RunEventStream>()?;
    m.add_class::<streams::Paginator>()?;
    m.add_class::<streams::ByteStream>()?;
    m.add_class::<sync::SyncPaginator>()?;
    m.add_class::<sync::SyncRunEventStream>()?;
    m.add_class::<Backoff>()?;
    m.add_function(wrap_pyfunction!(configure, m)?)?;
    m.add_function(wrap_pyfunction!(reset_config, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_config, m)?)?;
    m.add_function(wrap_pyfunction!(endpoints, m)?)?;
    m.add_function(wrap_pyfunction!(clients, m)?)?;
    m.add_function(wrap_pyfunction!(api_error_class, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::after_fork_in_child, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::runtime_id, m)?)?;
    m.add_function(wrap_pyfunction!(webhooks::verify_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(webhooks::verify_signature, m)?)?;
    Ok(())
}
