//! `runtime.runs.stream(runId, tools = …)`: the Kotlin functions that answer a run's
//! client tool calls, as the core's `zaby::ClientTools`. The core decides which calls
//! to answer and submits each outcome (E126); Kotlin only runs the function.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use zaby::{ClientTools, ToolFn, ToolOutcome};

use crate::host::HostFailure;

/// What a Kotlin tool gave: its result as JSON text, or the message of its failure.
#[derive(uniffi::Enum)]
pub enum FfiToolOutcome {
    Answered { result_json: String },
    Failed { message: String },
}

/// The caller's tools, called by name with the call's arguments as JSON text. The
/// facade turns whatever a tool throws into `Failed`; `HostFailure` is only UniFFI's
/// own failure to call it.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait ToolHost: Send + Sync {
    async fn call(&self, name: String, arguments_json: String) -> Result<FfiToolOutcome, HostFailure>;
}

/// One core tool per name, each calling `host` with that name.
pub(crate) fn client_tools(names: Vec<String>, host: Arc<dyn ToolHost>) -> ClientTools {
    names.into_iter().fold(ClientTools::new(), |tools, name| {
        let function = tool_fn(name.clone(), host.clone());
        tools.with_fn(name, function)
    })
}

fn tool_fn(name: String, host: Arc<dyn ToolHost>) -> ToolFn {
    Arc::new(move |arguments: Value| {
        let (name, host) = (name.clone(), host.clone());
        Box::pin(async move { outcome(host.call(name, arguments.to_string()).await) })
    })
}

fn outcome(answer: Result<FfiToolOutcome, HostFailure>) -> ToolOutcome {
    match answer {
        Ok(FfiToolOutcome::Answered { result_json }) => {
            serde_json::from_str(&result_json).map_err(|e| format!("the tool's result could not be read as JSON: {e}"))
        }
        Ok(FfiToolOutcome::Failed { message }) => Err(message),
        Err(failure) => Err(failure.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_a_failure_and_a_failed_callback_become_the_cores_outcomes() {
        let answered = outcome(Ok(FfiToolOutcome::Answered { result_json: r#"{"celsius":21}"#.into() }));
        assert_eq!(answered, Ok(serde_json::json!({ "celsius": 21 })));
        let failed = outcome(Ok(FfiToolOutcome::Failed { message: "no such city".into() }));
        assert_eq!(failed, Err("no such city".to_owned()));
        let broken = outcome(Ok(FfiToolOutcome::Answered { result_json: "{".into() }));
        assert!(broken.is_err_and(|m| m.starts_with("the tool's result could not be read as JSON")));
        let unexpected = outcome(Err(HostFailure::Unexpected { reason: "callback gone".into() }));
        assert_eq!(unexpected, Err("callback gone".to_owned()));
    }
}
