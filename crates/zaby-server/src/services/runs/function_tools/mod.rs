//! Function tools (docs/function-tools.md): tools the app defines on an agent
//! (`functionTools`, frozen into each published version) or on a run start (`tools`,
//! for that run only). The run's tools are its snapshot's `functionTools`, both lists
//! merged at the start. A `client` call waits, the run `WAITING_FOR_TOOL_RESULT`, for
//! its result (E126, E127; `results`); an `http` call is sent by the server (`http`).

pub mod http;
pub(crate) mod results;

use serde_json::{Map, Value, json};
use zaby::types::{FunctionTool, FunctionToolApprovalMode, FunctionToolExecution, ValidationIssue};
use zaby_models::ToolSpec;

use crate::error::{ApiError, ApiResult};
use crate::services::webhooks::target;
use crate::util::input::Problems;

/// How long a `client` call waits for its result when the tool does not say.
const CLIENT_TIMEOUT_MS: i64 = 3_600_000;
/// How long an `http` call waits for its answer when the tool does not say.
pub(crate) const HTTP_TIMEOUT_MS: i64 = 10_000;
/// Longest `timeoutMs` accepted: a day.
const MAX_TIMEOUT_MS: i64 = 86_400_000;
const DESCRIPTION_MAX: usize = 4_000;

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// 422 `TOOL_NAME_CONFLICT` naming both tools.
fn conflict(field: &str, name: &str, other: &str) -> ApiError {
    ApiError::unprocessable("TOOL_NAME_CONFLICT", field, &format!("is {name}, the name of {other} too"))
}

/// Checks a list of tools as it arrives (`field` is `functionTools` or `tools`):
/// every problem of a member is listed, a repeated name is a `TOOL_NAME_CONFLICT`.
pub(crate) fn check(field: &str, tools: &[FunctionTool]) -> ApiResult<()> {
    let mut p = Problems::default();
    for (i, t) in tools.iter().enumerate() {
        let at = |member: &str| format!("{field}.{i}.{member}");
        if !valid_name(&t.name) {
            p.add(&at("name"), "must be 1–64 letters, digits, '_' or '-'");
        }
        if let Some(d) = &t.description {
            p.text(&at("description"), d, DESCRIPTION_MAX, true);
        }
        if let Some(schema) = &t.parameters
            && let Err(e) = zaby_mcp::ArgumentValidator::new(&Value::Object(schema.clone()))
        {
            p.add(&at("parameters"), format!("is not a usable JSON Schema: {e}"));
        }
        match (execution(t), &t.url) {
            (FunctionToolExecution::Http, None) => p.add(&at("url"), "is required when execution is \"http\""),
            (FunctionToolExecution::Http, Some(url)) => {
                if let Err(why) = target::check_url(url) {
                    p.add(&at("url"), why);
                }
            }
            (FunctionToolExecution::Client, Some(_)) => p.add(&at("url"), "is only for execution \"http\""),
            (FunctionToolExecution::Client, None) => {}
        }
        if let Some(ms) = t.timeout_ms
            && !(1..=MAX_TIMEOUT_MS).contains(&ms)
        {
            p.add(&at("timeoutMs"), format!("must be between 1 and {MAX_TIMEOUT_MS}"));
        }
    }
    p.finish()?;
    for (i, t) in tools.iter().enumerate() {
        if let Some(j) = tools[..i].iter().position(|o| o.name == t.name) {
            return Err(conflict(&format!("{field}.{i}.name"), &t.name, &format!("{field}.{j}")));
        }
    }
    Ok(())
}

/// A name of `tools` that an MCP tool attached to the agent (by its key) also has.
pub(crate) fn check_against_mcp(field: &str, tools: &[FunctionTool], mcp_tools: &[Value]) -> ApiResult<()> {
    for (i, t) in tools.iter().enumerate() {
        if mcp_tools.iter().any(|a| a["key"].as_str() == Some(t.name.as_str())) {
            return Err(conflict(&format!("{field}.{i}.name"), &t.name, "an MCP tool attached to the agent"));
        }
    }
    Ok(())
}

/// Adds a start's `tools` to the function tools of the snapshot the run executes.
/// A runtime caller may not name an `http` tool (`HTTP_TOOLS_NOT_ALLOWED`: its URL
/// would be called with the agent's signing secret).
pub(crate) fn add_to_run(snapshot: &mut Value, tools: Option<Vec<FunctionTool>>, runtime: bool) -> ApiResult<()> {
    let empty = Vec::new();
    let mcp = snapshot["mcpTools"].as_array().unwrap_or(&empty);
    check_against_mcp("functionTools", &of_run(snapshot), mcp)?;
    let Some(tools) = tools.filter(|t| !t.is_empty()) else { return Ok(()) };
    if runtime && let Some(i) = tools.iter().position(|t| execution(t) == FunctionToolExecution::Http) {
        return Err(ApiError::unprocessable(
            "HTTP_TOOLS_NOT_ALLOWED",
            &format!("tools.{i}.execution"),
            "is \"http\", which only an agent's functionTools may be (a runtime start may add client tools)",
        ));
    }
    check("tools", &tools)?;
    let of_version = of_run(snapshot);
    for (i, t) in tools.iter().enumerate() {
        if let Some(j) = of_version.iter().position(|o| o.name == t.name) {
            return Err(conflict(&format!("tools.{i}.name"), &t.name, &format!("the agent's functionTools.{j}")));
        }
    }
    check_against_mcp("tools", &tools, mcp)?;
    let all: Vec<FunctionTool> = of_version.into_iter().chain(tools).collect();
    snapshot["functionTools"] = serde_json::to_value(all)
        .map_err(|e| ApiError::internal("the run's tools could not be stored").with_cause(e.to_string()))?;
    Ok(())
}

/// The function tools of a run, from its snapshot (none in a snapshot taken before
/// function tools existed).
pub(crate) fn of_run(snapshot: &Value) -> Vec<FunctionTool> {
    serde_json::from_value(snapshot["functionTools"].clone()).unwrap_or_default()
}

pub(crate) fn execution(t: &FunctionTool) -> FunctionToolExecution {
    t.execution.unwrap_or(FunctionToolExecution::Client)
}

pub(crate) fn is_manual(t: &FunctionTool) -> bool {
    t.approval_mode == Some(FunctionToolApprovalMode::Manual)
}

/// How long a call of `t` waits for its result.
pub(crate) fn timeout_ms(t: &FunctionTool) -> i64 {
    t.timeout_ms.unwrap_or(match execution(t) {
        FunctionToolExecution::Client => CLIENT_TIMEOUT_MS,
        FunctionToolExecution::Http => HTTP_TIMEOUT_MS,
    })
}

fn parameters(t: &FunctionTool) -> Value {
    t.parameters.clone().map_or_else(|| json!({"type": "object"}), Value::Object)
}

/// What the model is told about `t`.
pub(crate) fn spec(t: &FunctionTool) -> ToolSpec {
    ToolSpec {
        name: t.name.clone(),
        description: t.description.clone().unwrap_or_default(),
        input_schema: parameters(t),
    }
}

/// The `INVALID_ARGUMENTS` result of a call whose arguments fail the tool's
/// `parameters`, with a JSON pointer per failure as for MCP tools; `None` when valid.
pub(crate) fn invalid_arguments(t: &FunctionTool, arguments: &Value) -> Option<Value> {
    let issue = |field: String, message: String| ValidationIssue { field, message, extra: Map::new() };
    let errors: Vec<ValidationIssue> = match zaby_mcp::validate_arguments(&parameters(t), arguments) {
        Ok(errors) => errors.into_iter().map(|e| issue(e.field, e.message)).collect(),
        Err(e) => vec![issue(String::new(), format!("the tool's parameters cannot be used: {e}"))],
    };
    if errors.is_empty() {
        return None;
    }
    let message = format!("the arguments of {} do not match its parameters", t.name);
    Some(json!({"code": "INVALID_ARGUMENTS", "message": message, "errors": errors}))
}
