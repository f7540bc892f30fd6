//! The `simulate` directives of the development model (`docs/server.md`).

use serde_json::{Map, Value};

use crate::error::ModelError;

/// Largest accepted `simulate.delayMs`.
pub const MAX_DELAY_MS: u64 = 10_000;

/// The parsed `input.simulate` object. Every field is `None` when its key is absent or
/// `null`; unknown keys are ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Directives {
    /// `simulate.reply`: the reply text instead of the reply rules.
    pub reply: Option<String>,
    /// `simulate.thinking`: one `thinking` event right after `RunStarted`.
    pub thinking: Option<String>,
    /// `simulate.toolCalls`: replaces `/tool` and `config.localModel.rules`.
    pub tool_calls: Option<Vec<SimulatedToolCall>>,
    /// `simulate.fail`: the run fails with `AGENT_EXECUTION_FAILED` and this message.
    pub fail: Option<String>,
    /// `simulate.delayMs`: pause before every event after `RunStarted` (0–10 000).
    pub delay_ms: Option<u64>,
    /// `simulate.memoryCandidates`: replaces the memory-candidate rules.
    pub memory_candidates: Option<Vec<String>>,
}

/// One entry of `simulate.toolCalls`.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulatedToolCall {
    pub tool_name: String,
    /// Always an object (`{}` when absent).
    pub arguments: Value,
}

impl Directives {
    /// Reads `input.simulate`. Input that is not an object, or has no object member
    /// `simulate`, has no directives. A present key of the wrong type is an
    /// `AGENT_EXECUTION_FAILED` error naming the key.
    pub fn parse(input: &Value) -> Result<Directives, ModelError> {
        let Some(Value::Object(simulate)) = input.get("simulate") else {
            return Ok(Directives::default());
        };
        Ok(Directives {
            reply: string_key(simulate, "reply")?,
            thinking: string_key(simulate, "thinking")?,
            tool_calls: tool_calls_key(simulate)?,
            fail: string_key(simulate, "fail")?,
            delay_ms: delay_key(simulate)?,
            memory_candidates: string_list_key(simulate, "memoryCandidates")?,
        })
    }

    /// The pause before each event after `RunStarted`, if any.
    pub fn delay(&self) -> Option<std::time::Duration> {
        self.delay_ms.filter(|ms| *ms > 0).map(std::time::Duration::from_millis)
    }
}

fn present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|value| !value.is_null())
}

fn invalid(key: &str, expected: &str) -> ModelError {
    ModelError::execution_failed(format!("input.simulate.{key} must be {expected}"))
}

fn string_key(map: &Map<String, Value>, key: &str) -> Result<Option<String>, ModelError> {
    match present(map, key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid(key, "a string")),
    }
}

fn string_list_key(map: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, ModelError> {
    let Some(value) = present(map, key) else {
        return Ok(None);
    };
    let items = value.as_array().ok_or_else(|| invalid(key, "an array of strings"))?;
    items
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| invalid(key, "an array of strings")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn delay_key(map: &Map<String, Value>) -> Result<Option<u64>, ModelError> {
    let Some(value) = present(map, "delayMs") else {
        return Ok(None);
    };
    match value.as_u64() {
        Some(ms) if ms <= MAX_DELAY_MS => Ok(Some(ms)),
        _ => Err(invalid("delayMs", "an integer from 0 to 10000")),
    }
}

fn tool_calls_key(map: &Map<String, Value>) -> Result<Option<Vec<SimulatedToolCall>>, ModelError> {
    let Some(value) = present(map, "toolCalls") else {
        return Ok(None);
    };
    let entries = value.as_array().ok_or_else(|| invalid("toolCalls", "an array"))?;
    let mut calls = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let key = format!("toolCalls[{index}]");
        let entry = entry.as_object().ok_or_else(|| invalid(&key, "an object"))?;
        let tool_name = match entry.get("toolName") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => return Err(invalid(&format!("{key}.toolName"), "a non-empty string")),
        };
        let arguments = match present(entry, "arguments") {
            None => Value::Object(Map::new()),
            Some(Value::Object(args)) => Value::Object(args.clone()),
            Some(_) => return Err(invalid(&format!("{key}.arguments"), "an object")),
        };
        calls.push(SimulatedToolCall { tool_name, arguments });
    }
    Ok(Some(calls))
}
