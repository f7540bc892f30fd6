//! `http` execution of function tools: the server sends the call to the tool's `url`.

use serde_json::{Value, json};
use zaby::types::FunctionTool;

use crate::error::ApiResult;
use crate::services::Ctx;
use crate::storage::runs::RunRow;

/// What a call gave: the result fed to the model, and whether it is an error.
pub(crate) struct Outcome {
    pub(crate) result: Value,
    pub(crate) is_error: bool,
}

/// Runs one `http` call of `run`. An `Err` is a storage failure the executor may try
/// again; everything the receiver does (or fails to do) is an `Outcome`.
pub(crate) async fn call(
    _ctx: &Ctx,
    _run: &RunRow,
    tool: &FunctionTool,
    _tool_call_id: &str,
    _arguments: &Value,
) -> ApiResult<Outcome> {
    let message = format!("http execution of {} is not available yet", tool.name);
    Ok(Outcome { result: json!({"code": "TOOL_HTTP_ERROR", "message": message}), is_error: true })
}
