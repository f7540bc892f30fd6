//! The core's own transports as Python objects: the built-in HTTP transport and the
//! `MockTransport` queue. The Python classes `HttpTransport` / `MockTransport` wrap a
//! `NativeTransport`; when one of them is passed as `transport=`, the core uses the
//! Rust transport directly instead of calling back into Python.

use std::collections::BTreeMap;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;
use zaby::testing::{MockResponse, MockTransport};
use zaby::transport::{HttpTransport, Transport, TransportResponse};

use crate::adapters::request_from_py;
use crate::convert::{from_py_value, to_py_value};
use crate::errors::IntoPyResult;
use crate::runtime::to_py;
use crate::streams::ByteStream;
use crate::sync::{block_on, ensure_no_running_loop};

/// A core response as a dict with the fields of `TransportResponse`.
fn response_dict(py: Python<'_>, response: TransportResponse) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("status", response.status)?;
    let headers: BTreeMap<String, String> =
        response.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    d.set_item("headers", headers.into_pyobject(py)?)?;
    d.set_item("json_body", response.json_body.as_ref().map(|v| to_py_value(py, v)).transpose()?)?;
    d.set_item("body", response.body)?;
    match response.body_stream {
        Some(s) => d.set_item("body_stream", Py::new(py, ByteStream::new(s))?)?,
        None => d.set_item("body_stream", py.None())?,
    }
    Ok(d.into_any().unbind())
}

#[pyclass(frozen, module = "zaby._native")]
pub struct NativeTransport {
    pub inner: Arc<dyn Transport>,
    mock: Option<Arc<MockTransport>>,
}

impl NativeTransport {
    fn mock_ref(&self) -> PyResult<&MockTransport> {
        self.mock.as_deref().ok_or_else(|| pyo3::exceptions::PyTypeError::new_err("not a MockTransport"))
    }
}

#[pymethods]
impl NativeTransport {
    /// The built-in transport (reqwest + rustls).
    #[staticmethod]
    fn http() -> Self {
        NativeTransport { inner: Arc::new(HttpTransport::new()), mock: None }
    }

    /// An empty mock queue.
    #[staticmethod]
    fn mock() -> Self {
        let mock = Arc::new(MockTransport::default());
        NativeTransport { inner: mock.clone(), mock: Some(mock) }
    }

    /// Sends one request (a `TransportRequest`); resolves to a dict with the fields of
    /// `TransportResponse`.
    fn send<'py>(&self, py: Python<'py>, request: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let request = request_from_py(request)?;
        let transport = self.inner.clone();
        to_py(py, async move {
            let response = transport.send(request).await.py_result()?;
            Python::attach(|py| response_dict(py, response))
        })
    }

    /// `send` for wrappers on the sync client: blocks this thread (GIL released).
    fn send_sync(&self, py: Python<'_>, request: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        ensure_no_running_loop(py)?;
        let request = request_from_py(request)?;
        let transport = self.inner.clone();
        let response = block_on(py, async move { transport.send(request).await }, None)?;
        response_dict(py, response)
    }

    /// Queues one response (`MockResponse` fields, already normalised by the facade).
    #[pyo3(signature = (method, path, status, json_body, body, headers, events))]
    #[allow(clippy::too_many_arguments)]
    fn mock_push(
        &self,
        method: String,
        path: String,
        status: u16,
        json_body: Option<&Bound<'_, PyAny>>,
        body: Option<String>,
        headers: Option<BTreeMap<String, String>>,
        events: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let events = match from_py_value(events, "events")? {
            None => None,
            Some(Value::Array(items)) => Some(items),
            Some(_) => {
                return Err(pyo3::exceptions::PyTypeError::new_err("events must be a list"));
            }
        };
        let response = MockResponse {
            method,
            path,
            status,
            json_body: from_py_value(json_body, "json_body")?,
            body,
            headers: headers.unwrap_or_default().into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
            events,
        };
        self.mock_ref()?.push(response);
        Ok(())
    }

    /// Recorded requests as dicts, in order.
    fn mock_requests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for r in self.mock_ref()?.requests() {
            let d = PyDict::new(py);
            d.set_item("method", r.method)?;
            d.set_item("url", r.url)?;
            d.set_item("path", r.path)?;
            d.set_item("headers", r.headers.into_pyobject(py)?)?;
            d.set_item("json_body", r.json_body.as_ref().map(|v| to_py_value(py, v)).transpose()?)?;
            d.set_item("stream", r.stream)?;
            list.append(d)?;
        }
        Ok(list)
    }

    fn mock_reset(&self) -> PyResult<()> {
        self.mock_ref()?.reset();
        Ok(())
    }

    fn mock_pending(&self) -> PyResult<usize> {
        Ok(self.mock_ref()?.pending())
    }
}
