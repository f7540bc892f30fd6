//! Which tools the development model calls: `simulate.toolCalls`, else `/tool NAME
//! {json}`, else every matching `config.localModel.rules` entry (`docs/server.md`).

use serde_json::{Map, Value};

use crate::directives::Directives;
use crate::error::ModelError;
use crate::types::{StepRequest, ToolCall};

/// The tool calls of the first step, with names checked against the offered tools.
/// Ids are `call_<run id>_1`, `call_<run id>_2`, … in order: unique within the run (the
/// development model asks for tools in one step only) and across runs, because an http
/// tool's call carries its id as `webhook-id`, which Standard Webhooks receivers take as
/// unique per message and de-duplicate on. Derived, not random, so a step asked again
/// after a crash names its calls as before.
pub(crate) fn plan_tool_calls(request: &StepRequest, directives: &Directives) -> Result<Vec<ToolCall>, ModelError> {
    let wanted: Vec<(String, Value)> = match &directives.tool_calls {
        Some(calls) => calls.iter().map(|c| (c.tool_name.clone(), c.arguments.clone())).collect(),
        None => match parse_tool_command(&request.message)? {
            Some(call) => vec![call],
            None => matching_rules(&request.config, &request.message)?,
        },
    };
    // Every name is checked before any call is made, so a run with an unknown name
    // fails without half of its calls having run.
    if let Some((name, _)) = wanted.iter().find(|(name, _)| !request.tools.iter().any(|t| &t.name == name)) {
        return Err(ModelError::tool_not_attached(name));
    }
    Ok(wanted
        .into_iter()
        .enumerate()
        .map(|(index, (name, arguments))| ToolCall {
            id: format!("call_{}_{}", request.run_id, index + 1),
            name,
            arguments,
        })
        .collect())
}

/// Parses `/tool NAME [json object]`. `None` when the message is not a `/tool`
/// command; an error when it is one but malformed.
pub fn parse_tool_command(message: &str) -> Result<Option<(String, Value)>, ModelError> {
    let Some(rest) = message.strip_prefix("/tool") else {
        return Ok(None);
    };
    // `/toolbox …` is an ordinary message, not a command.
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return Ok(None);
    }
    let rest = rest.trim_start();
    let name_end = rest.find(|c: char| c.is_whitespace() || c == '{').unwrap_or(rest.len());
    let (name, arguments_text) = rest.split_at(name_end);
    if name.is_empty() {
        return Err(ModelError::execution_failed("`/tool` must be followed by a tool name"));
    }
    let arguments_text = arguments_text.trim();
    if arguments_text.is_empty() {
        return Ok(Some((name.to_owned(), Value::Object(Map::new()))));
    }
    match serde_json::from_str::<Value>(arguments_text) {
        Ok(Value::Object(arguments)) => Ok(Some((name.to_owned(), Value::Object(arguments)))),
        _ => Err(ModelError::execution_failed(format!(
            "the text after `/tool {name}` must be a JSON object, got: {}",
            excerpt(arguments_text)
        ))),
    }
}

/// Every rule of `config.localModel.rules` whose `match` occurs in the message, in list
/// order.
fn matching_rules(config: &Value, message: &str) -> Result<Vec<(String, Value)>, ModelError> {
    let Some(rules) = config.get("localModel").and_then(|local| local.get("rules")) else {
        return Ok(Vec::new());
    };
    if rules.is_null() {
        return Ok(Vec::new());
    }
    let rules = rules.as_array().ok_or_else(|| invalid_rule("", "an array"))?;
    let mut calls = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let at = format!("[{index}]");
        let rule = rule.as_object().ok_or_else(|| invalid_rule(&at, "an object"))?;
        let pattern = rule
            .get("match")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_rule(&format!("{at}.match"), "a string"))?;
        let tool_name = match rule.get("toolName") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => {
                return Err(invalid_rule(&format!("{at}.toolName"), "a non-empty string"));
            }
        };
        let arguments = match rule.get("arguments") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(Value::Object(arguments)) => Value::Object(arguments.clone()),
            Some(_) => return Err(invalid_rule(&format!("{at}.arguments"), "an object")),
        };
        if message.contains(pattern) {
            calls.push((tool_name, arguments));
        }
    }
    Ok(calls)
}

fn invalid_rule(at: &str, expected: &str) -> ModelError {
    ModelError::execution_failed(format!("agent config.localModel.rules{at} must be {expected}"))
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
