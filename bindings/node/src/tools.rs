//! `runtime.runs.stream(runId, { tools })`: the facade passes the names of the client
//! tools and one function that calls any of them, `({ name, arguments }) => Promise<answer>`,
//! wrapped so that it never throws: `{ ok: true, value }` or `{ ok: false, message }`.
//! The core decides when to call it and submits the answer (`zaby::ClientTools`).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use serde_json::{Value, json};
use zaby::{ClientTools, ToolFn, ToolOutcome};

use crate::done::WeakFn;

/// The core's client tools for `names`, each answered through `call`.
pub fn client_tools(names: Vec<String>, call: Function<'_, Value, Promise<Value>>) -> Result<ClientTools> {
    let call: Arc<WeakFn<Value, Promise<Value>>> =
        Arc::new(call.build_threadsafe_function::<Value>().weak::<true>().build()?);
    Ok(names.into_iter().fold(ClientTools::new(), |tools, name| {
        let function = tool_fn(name.clone(), call.clone());
        tools.with_fn(name, function)
    }))
}

fn tool_fn(name: String, call: Arc<WeakFn<Value, Promise<Value>>>) -> ToolFn {
    Arc::new(move |arguments: Value| {
        let call = call.clone();
        let request = json!({ "name": name, "arguments": arguments });
        Box::pin(async move {
            const GONE: &str = "the Node environment is shutting down";
            let promise = call.call_async(request).await.map_err(|_| GONE.to_owned())?;
            let answer = promise.await.map_err(|_| GONE.to_owned())?;
            if answer.get("ok").and_then(Value::as_bool) == Some(true) {
                return Ok(answer.get("value").cloned().unwrap_or(Value::Null));
            }
            Err(answer.get("message").and_then(Value::as_str).unwrap_or("the tool failed").to_owned())
        }) as futures::future::BoxFuture<'static, ToolOutcome>
    })
}
