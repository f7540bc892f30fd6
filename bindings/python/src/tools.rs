//! `stream(..., tools={"name": fn})`: each Python function becomes one of the core's
//! client tools (`zaby::ClientTools`), which decides when to call it and submits its answer.
//!
//! A function is called on a tokio worker with the GIL, which is released again before
//! anything waits on the network. When it returns an awaitable (an `async def`), that is
//! awaited on the event loop of the code that opened the stream (the sync client has
//! none, so there it is a failed call). An exception becomes a failed call with its message.

use futures::stream::{BoxStream, StreamExt};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3_async_runtimes::TaskLocals;
use serde_json::Value;
use zaby::{ClientTools, RawSseEvent, ToolFn, ToolOutcome};

use crate::convert::{from_py_value, to_py_value};
use crate::runtime::{ZabyTokio, await_on_loop};

/// The events a binding stream hands out, with or without client tools answered.
pub(crate) type Events = BoxStream<'static, zaby::Result<RawSseEvent>>;

/// `stream`'s events, answering the client tools of `tools` (a dict of callables) if any.
/// `blocking` is the sync client: its functions must be plain ones.
pub(crate) fn events(
    py: Python<'_>,
    stream: zaby::RawRunEventStream,
    tools: Option<&Bound<'_, PyAny>>,
    blocking: bool,
) -> PyResult<Events> {
    let Some(tools) = tools.filter(|t| !t.is_none()) else { return Ok(stream.boxed()) };
    let tools = tools.cast::<PyDict>().map_err(|_| PyTypeError::new_err("tools must be a dict of name → function"))?;
    let locals =
        if blocking {
            None
        } else {
            Some(pyo3_async_runtimes::generic::get_current_locals::<ZabyTokio>(py).map_err(|_| {
                PyTypeError::new_err("tools need a running event loop: open the stream from async code")
            })?)
        };
    let mut client_tools = ClientTools::new();
    for (name, function) in tools.iter() {
        let name = name.cast::<PyString>().map_err(|_| PyTypeError::new_err("tools' names must be str"))?.to_string();
        if !function.is_callable() {
            return Err(PyTypeError::new_err(format!("tools[{name:?}] is not callable")));
        }
        if blocking && is_async_function(py, &function)? {
            return Err(PyTypeError::new_err(format!(
                "tools[{name:?}] is an async function; the sync client needs plain ones (use the async client for async ones)"
            )));
        }
        client_tools = client_tools.with_fn(name, tool_fn(function.unbind(), locals.clone()));
    }
    Ok(stream.with_tools(client_tools).boxed())
}

fn is_async_function(py: Python<'_>, function: &Bound<'_, PyAny>) -> PyResult<bool> {
    py.import("inspect")?.call_method1("iscoroutinefunction", (function,))?.is_truthy()
}

/// What calling the function gave: a value, or an awaitable still to run on the loop.
enum Called {
    Value(Value),
    Awaitable(Py<PyAny>),
}

fn tool_fn(function: Py<PyAny>, locals: Option<TaskLocals>) -> ToolFn {
    let function = std::sync::Arc::new(function);
    std::sync::Arc::new(move |arguments: Value| {
        let function = function.clone();
        let locals = locals.clone();
        Box::pin(async move {
            let called = Python::attach(|py| -> PyResult<Called> {
                let out = function.bind(py).call1((to_py_value(py, &arguments)?,))?;
                if out.hasattr("__await__")? {
                    Ok(Called::Awaitable(out.unbind()))
                } else {
                    Ok(Called::Value(json(&out)?))
                }
            });
            match called {
                Ok(Called::Value(value)) => Ok(value),
                Err(e) => Err(message(e)),
                Ok(Called::Awaitable(awaitable)) => {
                    let Some(locals) = locals else {
                        Python::attach(|py| {
                            // Never awaited: closing it avoids the "coroutine was never awaited" warning.
                            let _ = awaitable.bind(py).call_method0("close");
                        });
                        return Err("the tool returned an awaitable; the sync client needs a plain function".into());
                    };
                    let out = await_on_loop(&locals, move |py| Ok(awaitable.into_bound(py))).await.map_err(message)?;
                    Python::attach(|py| json(out.bind(py))).map_err(message)
                }
            }
        }) as futures::future::BoxFuture<'static, ToolOutcome>
    })
}

/// The function's answer as JSON (what `from_py_value` accepts: dicts, lists, str, numbers, …).
fn json(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    Ok(from_py_value(Some(value), "the tool's result")?.unwrap_or(Value::Null))
}

/// An exception's message (`str(e)`), or its class name when that is empty.
fn message(err: PyErr) -> String {
    Python::attach(|py| {
        let value = err.value(py);
        match value.str().map(|s| s.to_string()) {
            Ok(text) if !text.is_empty() => text,
            _ => value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into()),
        }
    })
}
