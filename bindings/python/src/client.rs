//! `NativeClient`: one core client (`Zaby` or `ZabyRuntime`) and the three ways the
//! generated Python methods reach it — `call`, `paginate` and `stream`.

use std::future::Future;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use zaby::endpoints;
use zaby::transport::Transport;
use zaby::{Credential, ZabyError};

use crate::adapters::{PyCredentialProvider, PyTransport};
use crate::bridge::Outcome;
use crate::convert::{config, from_py_value, not_a_str, path_param, path_params, request_options, to_py_value};
use crate::errors::{IntoPyResult, to_py_err};
use crate::runtime::{to_py, to_py_with};
use crate::streams::{Paginator, RunEventStream};
use crate::sync::{Signal, SyncPaginator, SyncRunEventStream, block_on, ensure_no_running_loop};
use crate::transports::NativeTransport;

/// `user-agent` when the configuration sets none (`docs/configuration.md`).
fn default_user_agent() -> String {
    format!("zaby-python/{}", env!("CARGO_PKG_VERSION"))
}

#[derive(Clone)]
enum Inner {
    Zaby(zaby::Zaby),
    Runtime(zaby::ZabyRuntime),
}

#[pyclass(frozen, module = "zaby._native")]
pub struct NativeClient {
    inner: Inner,
}

/// `str` → static credential; any callable → provider (sync or async, awaited on the
/// caller's loop; on the sync client, `blocking`, a plain function); `None` → absent.
fn credential(name: &str, value: Option<&Bound<'_, PyAny>>, blocking: bool) -> PyResult<Option<Credential>> {
    let Some(v) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(Credential::Static(s.to_str()?.to_owned())));
    }
    if v.is_callable() {
        return Ok(Some(Credential::Provider(Arc::new(PyCredentialProvider::new(v.clone().unbind(), blocking)))));
    }
    let type_name = v.get_type().name()?;
    Err(to_py_err(ZabyError::invalid_argument(format!(
        "{name} must be a str or a callable returning one (sync or async), got {type_name}"
    ))))
}

/// A native transport is used directly; any other object is called through `send`
/// (awaited on the async client, called on the sync one).
fn transport(value: Option<&Bound<'_, PyAny>>, blocking: bool) -> PyResult<Option<Arc<dyn Transport>>> {
    let Some(v) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if let Ok(native) = v.cast::<NativeTransport>() {
        return Ok(Some(native.get().inner.clone()));
    }
    if !v.hasattr("send")? {
        let type_name = v.get_type().name()?;
        return Err(to_py_err(ZabyError::invalid_argument(format!(
            "transport must have {} send(request) method, got {type_name}",
            if blocking { "a" } else { "an async" }
        ))));
    }
    Ok(Some(Arc::new(PyTransport::new(v.clone().unbind(), blocking))))
}

impl NativeClient {
    fn call_parts(
        &self,
        client: &str,
        method: &str,
        params: Vec<String>,
        input: Option<serde_json::Value>,
    ) -> zaby::ZabyRequest {
        match &self.inner {
            Inner::Zaby(z) => z.call(client, method, params, input),
            Inner::Runtime(r) => r.call(client, method, params, input),
        }
    }

    fn core_paginator(
        &self,
        client: &str,
        iter: &str,
        params: &Bound<'_, PyAny>,
        query: Option<&Bound<'_, PyAny>>,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<zaby::Paginator> {
        let names = endpoints::resolve_iter(client, iter).map_or(&[][..], |(_, b)| b.params);
        let params = path_params(params, names)?;
        let query = from_py_value(query, "query")?;
        let options = request_options(request_id, timeout_ms)?;
        let p = match &self.inner {
            Inner::Zaby(z) => z.paginate(client, iter, params, query),
            Inner::Runtime(r) => r.paginate(client, iter, params, query),
        };
        Ok(p.options(options))
    }

    /// `deployments.wait_until_active`: the core polls E19 until ACTIVE or `timeout_ms`.
    fn core_wait(
        &self,
        deployment_id: &Bound<'_, PyAny>,
        timeout_ms: &Bound<'_, PyAny>,
        request_id: Option<String>,
    ) -> PyResult<impl Future<Output = zaby::Result<serde_json::Value>> + Send + 'static> {
        let Inner::Zaby(zaby) = &self.inner else {
            return Err(to_py_err(ZabyError::invalid_argument("wait_until_active is a Zaby method")));
        };
        let deployment_id = named_str("deployment_id", deployment_id)?;
        let total = wait_timeout(timeout_ms)?;
        let options = request_options(request_id, None)?;
        let deployments = zaby.deployments();
        Ok(async move { deployments.wait_until_active_json(&deployment_id, total, options).await })
    }

    fn core_stream(
        &self,
        run_id: Option<&Bound<'_, PyAny>>,
        query: Option<&Bound<'_, PyAny>>,
        max_reconnects: i64,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<zaby::RawRunEventStream> {
        let Inner::Runtime(runtime) = &self.inner else {
            return Err(to_py_err(ZabyError::invalid_argument("stream is a ZabyRuntime method")));
        };
        let run_id = match run_id {
            Some(v) => path_param(param_names("runtime_runs", "stream").first().copied().unwrap_or("run_id"), v)?,
            None => String::new(),
        };
        let query = from_py_value(query, "query")?;
        let options = request_options(request_id, timeout_ms)?;
        Ok(runtime
            .stream(&run_id, query)
            .options(options)
            .max_reconnects(max_reconnects.clamp(0, u32::MAX as i64) as u32)
            // Python types events in its own stubs; it takes the data as JSON, untyped here.
            .raw())
    }
}

/// The path parameter names of an SDK method, from the core's endpoint table.
fn param_names(client: &str, method: &str) -> &'static [&'static str] {
    endpoints::bindings_of(client, method).next().map_or(&[], |(_, b)| b.params)
}

/// A required string argument, refused with `INVALID_ARGUMENT` under the caller's name.
fn named_str(name: &str, value: &Bound<'_, PyAny>) -> PyResult<String> {
    match value.cast::<PyString>() {
        Ok(s) if !s.to_str()?.is_empty() => Ok(s.to_str()?.to_owned()),
        Ok(_) => Err(to_py_err(ZabyError::invalid_argument(format!("{name} must be a non-empty str")))),
        Err(_) => Err(not_a_str(name, value)),
    }
}

/// The whole wait of `wait_until_active`, in milliseconds (0 polls once).
fn wait_timeout(value: &Bound<'_, PyAny>) -> PyResult<std::time::Duration> {
    let ms = (!value.is_instance_of::<pyo3::types::PyBool>()).then(|| value.extract::<f64>().ok()).flatten();
    match ms {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Ok(std::time::Duration::from_millis(ms as u64)),
        _ => Err(to_py_err(ZabyError::invalid_argument(format!(
            "timeout_ms must be a number of milliseconds >= 0, got {}",
            value.repr()?
        )))),
    }
}

#[pymethods]
impl NativeClient {
    #[staticmethod]
    #[pyo3(signature = (api_key, access_token, transport_obj, config_obj, tenant_id, blocking=false))]
    fn zaby(
        api_key: Option<&Bound<'_, PyAny>>,
        access_token: Option<&Bound<'_, PyAny>>,
        transport_obj: Option<&Bound<'_, PyAny>>,
        config_obj: Option<&Bound<'_, PyAny>>,
        tenant_id: Option<String>,
        blocking: bool,
    ) -> PyResult<Self> {
        let mut b = zaby::Zaby::builder().default_user_agent(default_user_agent());
        if let Some(c) = credential("api_key", api_key, blocking)? {
            b = b.api_key(c);
        }
        if let Some(c) = credential("access_token", access_token, blocking)? {
            b = b.access_token(c);
        }
        if let Some(t) = tenant_id {
            b = b.tenant_id(t);
        }
        if let Some(t) = transport(transport_obj, blocking)? {
            b = b.transport(t);
        }
        if let Some(c) = config(config_obj)? {
            b = b.config(c);
        }
        Ok(NativeClient { inner: Inner::Zaby(b.build().py_result()?) })
    }

    #[staticmethod]
    #[pyo3(signature = (token, transport_obj, config_obj, blocking=false))]
    fn runtime(
        token: Option<&Bound<'_, PyAny>>,
        transport_obj: Option<&Bound<'_, PyAny>>,
        config_obj: Option<&Bound<'_, PyAny>>,
        blocking: bool,
    ) -> PyResult<Self> {
        let mut b = zaby::ZabyRuntime::builder().default_user_agent(default_user_agent());
        if let Some(c) = credential("token", token, blocking)? {
            b = b.token(c);
        }
        if let Some(t) = transport(transport_obj, blocking)? {
            b = b.transport(t);
        }
        if let Some(c) = config(config_obj)? {
            b = b.config(c);
        }
        Ok(NativeClient { inner: Inner::Runtime(b.build().py_result()?) })
    }

    /// One SDK method: resolves to the parsed JSON body.
    #[pyo3(signature = (client, method, params, input=None, request_id=None, timeout_ms=None))]
    #[allow(clippy::too_many_arguments)]
    fn call<'py>(
        &self,
        py: Python<'py>,
        client: &str,
        method: &str,
        params: &Bound<'py, PyAny>,
        input: Option<&Bound<'py, PyAny>>,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::logging::refresh(py);
        let params = path_params(params, param_names(client, method))?;
        let input = from_py_value(input, "input")?;
        let options = request_options(request_id, timeout_ms)?;
        let request = self.call_parts(client, method, params, input).options(options);
        // Both the value and an error become Python objects on the loop's thread.
        to_py_with(py, async move {
            let result = request.send_json().await;
            Ok(Box::new(move |py: Python<'_>| match result {
                Ok(value) => Ok(to_py_value(py, &value)?.unbind()),
                Err(e) => Err(to_py_err(e)),
            }) as Outcome)
        })
    }

    /// The `iter…` twin of a list method: an async iterator of items.
    #[pyo3(signature = (client, iter, params, query=None, request_id=None, timeout_ms=None))]
    #[allow(clippy::too_many_arguments)]
    fn paginate(
        &self,
        client: &str,
        iter: &str,
        params: &Bound<'_, PyAny>,
        query: Option<&Bound<'_, PyAny>>,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Paginator> {
        Ok(Paginator::new(self.core_paginator(client, iter, params, query, request_id, timeout_ms)?))
    }

    /// `runtime.runs.stream`: the run's events as a `RunEventStream`, answering the
    /// client tools of `tools` (a dict of sync or async functions) on the way.
    #[pyo3(signature = (run_id, query=None, max_reconnects=5, request_id=None, timeout_ms=None, tools=None))]
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        py: Python<'_>,
        run_id: Option<&Bound<'_, PyAny>>,
        query: Option<&Bound<'_, PyAny>>,
        max_reconnects: i64,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
        tools: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RunEventStream> {
        let stream = self.core_stream(run_id, query, max_reconnects, request_id, timeout_ms)?;
        let run_id = stream.run_id().to_owned();
        Ok(RunEventStream::new(run_id, crate::tools::events(py, stream, tools, false)?))
    }

    /// `call` for the sync client: blocks this thread (GIL released) until the answer.
    #[pyo3(signature = (client, method, params, input=None, request_id=None, timeout_ms=None, signal=None))]
    #[allow(clippy::too_many_arguments)]
    fn call_sync(
        &self,
        py: Python<'_>,
        client: &str,
        method: &str,
        params: &Bound<'_, PyAny>,
        input: Option<&Bound<'_, PyAny>>,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
        signal: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        ensure_no_running_loop(py)?;
        crate::logging::refresh(py);
        let params = path_params(params, param_names(client, method))?;
        let input = from_py_value(input, "input")?;
        let options = request_options(request_id, timeout_ms)?;
        let signal = Signal::from_py(signal)?;
        let request = self.call_parts(client, method, params, input).options(options);
        let value = block_on(py, request.send_json(), signal.as_ref())?;
        Ok(to_py_value(py, &value)?.unbind())
    }

    /// `paginate` for the sync client: a plain iterator of items.
    #[pyo3(signature = (client, iter, params, query=None, request_id=None, timeout_ms=None, signal=None))]
    #[allow(clippy::too_many_arguments)]
    fn paginate_sync(
        &self,
        client: &str,
        iter: &str,
        params: &Bound<'_, PyAny>,
        query: Option<&Bound<'_, PyAny>>,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
        signal: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<SyncPaginator> {
        let signal = Signal::from_py(signal)?;
        let p = self.core_paginator(client, iter, params, query, request_id, timeout_ms)?;
        Ok(SyncPaginator::new(p, signal))
    }

    /// `stream` for the sync client: a plain iterator of `SseEvent`s; `tools` are plain functions.
    #[pyo3(signature = (run_id, query=None, max_reconnects=5, request_id=None, timeout_ms=None, tools=None, signal=None))]
    #[allow(clippy::too_many_arguments)]
    fn stream_sync(
        &self,
        py: Python<'_>,
        run_id: Option<&Bound<'_, PyAny>>,
        query: Option<&Bound<'_, PyAny>>,
        max_reconnects: i64,
        request_id: Option<String>,
        timeout_ms: Option<&Bound<'_, PyAny>>,
        tools: Option<&Bound<'_, PyAny>>,
        signal: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<SyncRunEventStream> {
        let signal = Signal::from_py(signal)?;
        let stream = self.core_stream(run_id, query, max_reconnects, request_id, timeout_ms)?;
        let run_id = stream.run_id().to_owned();
        Ok(SyncRunEventStream::new(run_id, crate::tools::events(py, stream, tools, true)?, signal))
    }

    /// `deployments.wait_until_active`: resolves to the provisioning once ACTIVE.
    #[pyo3(signature = (deployment_id, timeout_ms, request_id=None))]
    fn wait_until_active<'py>(
        &self,
        py: Python<'py>,
        deployment_id: &Bound<'py, PyAny>,
        timeout_ms: &Bound<'py, PyAny>,
        request_id: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::logging::refresh(py);
        let wait = self.core_wait(deployment_id, timeout_ms, request_id)?;
        to_py_with(py, async move {
            let result = wait.await;
            Ok(Box::new(move |py: Python<'_>| match result {
                Ok(value) => Ok(to_py_value(py, &value)?.unbind()),
                Err(e) => Err(to_py_err(e)),
            }) as Outcome)
        })
    }

    /// `wait_until_active` for the sync client.
    #[pyo3(signature = (deployment_id, timeout_ms, request_id=None, signal=None))]
    fn wait_until_active_sync(
        &self,
        py: Python<'_>,
        deployment_id: &Bound<'_, PyAny>,
        timeout_ms: &Bound<'_, PyAny>,
        request_id: Option<String>,
        signal: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        ensure_no_running_loop(py)?;
        crate::logging::refresh(py);
        let signal = Signal::from_py(signal)?;
        let wait = self.core_wait(deployment_id, timeout_ms, request_id)?;
        let value = block_on(py, wait, signal.as_ref())?;
        Ok(to_py_value(py, &value)?.unbind())
    }

    /// Closes the client from the sync face (idempotent).
    fn close_sync(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.clone();
        block_on(
            py,
            async move {
                match inner {
                    Inner::Zaby(z) => z.close().await,
                    Inner::Runtime(r) => r.close().await,
                }
                Ok::<_, ZabyError>(())
            },
            None,
        )
    }

    /// Closes the client (idempotent).
    fn aclose<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        to_py(py, async move {
            match inner {
                Inner::Zaby(z) => z.close().await,
                Inner::Runtime(r) => r.close().await,
            }
            Ok(())
        })
    }

    #[getter]
    fn closed(&self) -> bool {
        match &self.inner {
            Inner::Zaby(z) => z.is_closed(),
            Inner::Runtime(r) => r.is_closed(),
        }
    }

    /// The configuration this client resolved at construction.
    fn resolved_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = match &self.inner {
            Inner::Zaby(z) => z.config(),
            Inner::Runtime(r) => r.config(),
        };
        crate::resolved_config_dict(py, c)
    }
}
