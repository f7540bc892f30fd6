//! Host callables the core calls back: credential providers and custom transports
//! (`docs/architecture.md` rule 5). Both are awaited on the event loop of the Python call that
//! started the Rust future, through the small helpers in `zaby/_adapters.py`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyModule, PyString};
use pyo3_async_runtimes::TaskLocals;
use zaby::error::{Message, codes};
use zaby::transport::{Transport, TransportRequest, TransportResponse};
use zaby::{CredentialProvider, ZabyError};

use crate::convert::{from_py_value, to_py_value};
use crate::errors::{HostError, from_host};
use crate::runtime::{await_on_caller_loop, await_on_loop, caller_locals};

static ADAPTERS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn adapters(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ADAPTERS.get_or_try_init(py, || Ok::<_, PyErr>(py.import("zaby._adapters")?.unbind())).map(|m| m.bind(py))
}

/// A sync or async Python callable returning the credential. On the sync client
/// (`blocking`) it is a plain function called on the thread that makes the call.
pub struct PyCredentialProvider {
    callable: Py<PyAny>,
    blocking: bool,
}

impl PyCredentialProvider {
    pub fn new(callable: Py<PyAny>, blocking: bool) -> Self {
        PyCredentialProvider { callable, blocking }
    }
}

/// The value a host callable returned, refusing an awaitable: the sync client has no
/// event loop to run it on.
fn not_awaitable<'py>(value: Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyAny>> {
    if !value.hasattr("__await__")? {
        return Ok(value);
    }
    if let Ok(close) = value.getattr("close") {
        // Never awaited: closing it avoids the "coroutine was never awaited" warning.
        let _ = close.call0();
    }
    Err(crate::errors::to_py_err(ZabyError::invalid_argument(format!(
        "{what} returned an awaitable; the sync client needs a plain function (use the async client for async ones)"
    ))))
}

fn provider_failed(err: PyErr) -> ZabyError {
    let text = HostError(Python::attach(|py| err.clone_ref(py))).to_string();
    ZabyError::client_with_source(
        codes::CREDENTIAL_PROVIDER_FAILED,
        format!("credential provider failed: {text}"),
        HostError::cause(err),
    )
}

#[async_trait]
impl CredentialProvider for PyCredentialProvider {
    async fn credential(&self) -> zaby::Result<String> {
        if self.blocking {
            let value = Python::attach(|py| {
                let value = self.callable.bind(py).call0().and_then(|v| not_awaitable(v, "the credential provider"));
                value.map(Bound::unbind)
            })
            .map_err(provider_failed)?;
            return credential_string(value);
        }
        let callable = Python::attach(|py| self.callable.clone_ref(py));
        let value = await_on_caller_loop(move |py| adapters(py)?.call_method1("call_provider", (callable,)))
            .await
            .map_err(provider_failed)?;
        credential_string(value)
    }
}

fn credential_string(value: Py<PyAny>) -> zaby::Result<String> {
    Python::attach(|py| {
        let value = value.bind(py);
        match value.cast::<PyString>() {
            Ok(s) => Ok(s.to_str().map_err(provider_failed)?.to_owned()),
            Err(_) => {
                let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
                Err(ZabyError::client_with_source(
                    codes::CREDENTIAL_PROVIDER_FAILED,
                    format!("credential provider returned {type_name}, expected a non-empty str"),
                    std::sync::Arc::new(Message(format!("provider returned {type_name}"))),
                ))
            }
        }
    })
}

/// A Python object with `async def send(request) -> TransportResponse`, or, on the
/// sync client (`blocking`), a plain `def send(request)` called on the calling thread.
pub struct PyTransport {
    transport: Py<PyAny>,
    blocking: bool,
}

impl PyTransport {
    pub fn new(transport: Py<PyAny>, blocking: bool) -> Self {
        PyTransport { transport, blocking }
    }
}

/// The fields of a `TransportRequest`, as keyword arguments for the Python dataclass.
pub fn request_kwargs<'py>(py: Python<'py>, r: &TransportRequest) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("method", &r.method)?;
    d.set_item("url", &r.url)?;
    d.set_item("path", &r.path)?;
    d.set_item("headers", r.headers.clone().into_pyobject(py)?)?;
    d.set_item("json_body", r.json_body.as_ref().map(|v| to_py_value(py, v)).transpose()?)?;
    d.set_item("stream", r.stream)?;
    d.set_item("timeout_ms", r.timeout.as_millis() as u64)?;
    Ok(d)
}

/// A `TransportRequest` dataclass (or any object with its attributes) as the core's request.
pub fn request_from_py(obj: &Bound<'_, PyAny>) -> PyResult<TransportRequest> {
    let get = |name: &str| obj.getattr(name);
    let headers: BTreeMap<String, String> =
        get("headers")?.extract::<Option<BTreeMap<String, String>>>()?.unwrap_or_default();
    let timeout_ms: Option<u64> = get("timeout_ms")?.extract()?;
    Ok(TransportRequest {
        method: get("method")?.extract::<String>()?.to_ascii_uppercase(),
        url: get("url")?.extract()?,
        path: get("path")?.extract()?,
        headers: headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
        json_body: from_py_value(Some(&get("json_body")?), "json_body")?,
        stream: get("stream")?.extract::<Option<bool>>()?.unwrap_or(false),
        timeout: Duration::from_millis(timeout_ms.unwrap_or(30_000)),
    })
}

fn chunk_bytes(chunk: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = chunk.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(b) = chunk.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    if let Ok(s) = chunk.cast::<PyString>() {
        return Ok(Bytes::from(s.to_str()?.to_owned()));
    }
    Err(PyTypeError::new_err(format!("body_stream yielded {}, expected bytes", chunk.get_type().name()?)))
}

/// A Python async iterator of bytes as the core's byte stream; each `__anext__` is
/// awaited on the loop captured when the response arrived.
fn byte_stream(iterator: Py<PyAny>, locals: TaskLocals) -> futures::stream::BoxStream<'static, zaby::Result<Bytes>> {
    stream::unfold(Some((iterator, locals)), |state| async move {
        let (iterator, locals) = state?;
        let result = await_on_loop(&locals, |py| iterator.bind(py).call_method0("__anext__")).await;
        Python::attach(|py| match result {
            Ok(chunk) => Some((chunk_bytes(chunk.bind(py)).map_err(|e| from_host(py, e)), Some((iterator, locals)))),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopAsyncIteration>(py) => None,
            Err(e) => Some((Err(from_host(py, e)), None)),
        })
    })
    .boxed()
}

/// A sync Python iterator of bytes (a sync transport's `body_stream`) as the core's
/// byte stream; `next()` runs on the thread that reads the stream.
fn blocking_byte_stream(iterator: Py<PyAny>) -> futures::stream::BoxStream<'static, zaby::Result<Bytes>> {
    stream::unfold(Some(iterator), |state| async move {
        let iterator = state?;
        Python::attach(|py| match iterator.bind(py).call_method0("__next__") {
            Ok(chunk) => Some((chunk_bytes(&chunk).map_err(|e| from_host(py, e)), Some(iterator))),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) => None,
            Err(e) => Some((Err(from_host(py, e)), None)),
        })
    })
    .boxed()
}

/// Where a custom transport's `body_stream` is read: on the captured event loop (async
/// client) or on the calling thread (sync client).
enum BodyReader {
    Loop(TaskLocals),
    Blocking,
}

/// A `TransportResponse` (or any object with its attributes) as the core's response.
fn response_from_py(obj: &Bound<'_, PyAny>, reader: Option<BodyReader>) -> PyResult<TransportResponse> {
    let attr = |name: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
        match obj.getattr(name) {
            Ok(v) if v.is_none() => Ok(None),
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyAttributeError>(obj.py()) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let status: u16 = attr("status")?
        .ok_or_else(|| PyTypeError::new_err("the transport response has no status"))?
        .extract()
        .map_err(|_| PyTypeError::new_err("TransportResponse.status must be an int between 0 and 65535"))?;
    let headers = attr("headers")?.map(|h| h.extract::<BTreeMap<String, String>>()).transpose()?.unwrap_or_default();
    let json_body = from_py_value(attr("json_body")?.as_ref(), "TransportResponse.json_body")?;
    let body = attr("body")?
        .map(|b| match b.cast::<PyBytes>() {
            Ok(bytes) => Ok(String::from_utf8_lossy(bytes.as_bytes()).into_owned()),
            Err(_) => b.extract::<String>(),
        })
        .transpose()?;
    let body_stream = match (attr("body_stream")?, reader) {
        (Some(it), Some(BodyReader::Loop(locals))) => {
            let iterator = if it.hasattr("__anext__")? { it } else { it.call_method0("__aiter__")? };
            Some(byte_stream(iterator.unbind(), locals))
        }
        (Some(it), Some(BodyReader::Blocking)) => {
            // The built-in transport's body (`send_sync`) is both; a plain iterator wins.
            if !it.hasattr("__iter__")? {
                return Err(crate::errors::to_py_err(ZabyError::invalid_argument(
                    "the transport's body_stream is an async iterator; the sync client needs an iterator of bytes",
                )));
            }
            Some(blocking_byte_stream(it.try_iter()?.into_any().unbind()))
        }
        _ => None,
    };
    Ok(TransportResponse { status, headers, json_body, body, body_stream })
}

#[async_trait]
impl Transport for PyTransport {
    async fn send(&self, request: TransportRequest) -> zaby::Result<TransportResponse> {
        if self.blocking {
            return Python::attach(|py| {
                let sent = (|| {
                    let kwargs = request_kwargs(py, &request)?;
                    let request = adapters(py)?.getattr("TransportRequest")?.call((), Some(&kwargs))?;
                    let response = self.transport.bind(py).call_method1("send", (request,))?;
                    let response = not_awaitable(response, "the transport's send")?;
                    response_from_py(&response, Some(BodyReader::Blocking))
                })();
                sent.map_err(|e| from_host(py, e))
            });
        }
        let transport = Python::attach(|py| self.transport.clone_ref(py));
        let result = await_on_caller_loop(move |py| {
            let kwargs = request_kwargs(py, &request)?;
            adapters(py)?.call_method1("send_via", (transport, kwargs))
        })
        .await;
        let reader = caller_locals().map(BodyReader::Loop);
        Python::attach(|py| match result {
            Ok(response) => response_from_py(response.bind(py), reader).map_err(|e| from_host(py, e)),
            Err(e) => Err(from_host(py, e)),
        })
    }
}
