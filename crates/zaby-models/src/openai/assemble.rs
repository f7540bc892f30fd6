//! Turns chat-completion chunks into model events, assembling tool calls whose id,
//! name and arguments arrive in pieces across chunks.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::tool_names::ToolNames;
use crate::error::ModelError;
use crate::types::{ModelEvent, ToolCall, Usage};

#[derive(Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// State of one streamed completion.
#[derive(Debug)]
pub(crate) struct Assembler {
    names: ToolNames,
    /// Prefix of ids made up for calls the provider sent without one.
    id_prefix: String,
    calls: BTreeMap<u64, PartialCall>,
    usage: Option<Usage>,
    finish_reason: Option<String>,
    done: bool,
}

impl Assembler {
    pub(crate) fn new(names: ToolNames, id_prefix: String) -> Self {
        Assembler { names, id_prefix, calls: BTreeMap::new(), usage: None, finish_reason: None, done: false }
    }

    /// Whether `data: [DONE]` arrived.
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// Takes one SSE `data` value; returns the text/thinking events it carries.
    pub(crate) fn accept(&mut self, data: &Value) -> Result<Vec<ModelEvent>, ModelError> {
        let chunk = match data {
            Value::String(text) if text.trim() == "[DONE]" => {
                self.done = true;
                return Ok(Vec::new());
            }
            Value::Object(chunk) => chunk,
            other => {
                return Err(ModelError::model(format!(
                    "the model provider streamed data that is not a JSON object: {}",
                    excerpt(&other.to_string())
                )));
            }
        };
        if let Some(error) = chunk.get("error") {
            return Err(ModelError::model(format!("the model provider reported an error: {}", error_text(error))));
        }
        if let Some(usage) = chunk.get("usage").and_then(parse_usage) {
            self.usage = Some(usage);
        }
        let mut events = Vec::new();
        let choice = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|choices| choices.iter().find(|c| c.get("index").and_then(Value::as_u64).unwrap_or(0) == 0));
        let Some(choice) = choice else {
            return Ok(events);
        };
        // Streamed chunks carry `delta`; a non-streamed completion carries `message`.
        if let Some(delta) = choice.get("delta").or_else(|| choice.get("message")) {
            for key in ["reasoning_content", "reasoning"] {
                if let Some(text) = delta.get(key).and_then(Value::as_str).filter(|t| !t.is_empty()) {
                    events.push(ModelEvent::Thinking(text.to_owned()));
                }
            }
            if let Some(text) = delta.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                events.push(ModelEvent::TextDelta(text.to_owned()));
            }
            if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
                for call in calls {
                    self.merge_call(call);
                }
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(reason.to_owned());
        }
        Ok(events)
    }

    fn merge_call(&mut self, delta: &Value) {
        let id = delta.get("id").and_then(Value::as_str).unwrap_or_default();
        // Some servers omit `index` and send each call whole: a new id is a new call.
        let index = match delta.get("index").and_then(Value::as_u64) {
            Some(index) => index,
            None => match self.calls.last_key_value() {
                Some((last, partial)) if id.is_empty() || partial.id == id => *last,
                Some((last, _)) => last + 1,
                None => 0,
            },
        };
        let partial = self.calls.entry(index).or_default();
        if partial.id.is_empty() {
            partial.id = id.to_owned();
        }
        let function = delta.get("function");
        if let Some(name) = function.and_then(|f| f.get("name")).and_then(Value::as_str) {
            // The name normally arrives whole in the first delta; repeats are ignored,
            // fragments appended.
            if partial.name != name {
                partial.name.push_str(name);
            }
        }
        match function.and_then(|f| f.get("arguments")) {
            Some(Value::String(piece)) => partial.arguments.push_str(piece),
            // A few servers send the arguments as an object instead of JSON text.
            Some(Value::Object(object)) => partial.arguments = Value::Object(object.clone()).to_string(),
            _ => {}
        }
    }

    /// The end of the completion: `ToolCalls` (if any), then `Usage` (if reported).
    pub(crate) fn finish(self) -> Result<Vec<ModelEvent>, ModelError> {
        if !self.done && self.finish_reason.is_none() {
            return Err(ModelError::model("the model provider's stream ended before the completion finished"));
        }
        let mut events = Vec::new();
        let mut calls = Vec::with_capacity(self.calls.len());
        for (position, partial) in self.calls.into_values().enumerate() {
            let Some(name) = self.names.offered(&partial.name) else {
                return Err(ModelError::tool_not_attached(&partial.name));
            };
            let arguments = parse_arguments(name, &partial.arguments)?;
            let id = if partial.id.is_empty() { format!("{}{}", self.id_prefix, position + 1) } else { partial.id };
            calls.push(ToolCall { id, name: name.to_owned(), arguments });
        }
        if !calls.is_empty() {
            events.push(ModelEvent::ToolCalls(calls));
        }
        if let Some(usage) = self.usage {
            events.push(ModelEvent::Usage(usage));
        }
        Ok(events)
    }
}

fn parse_arguments(name: &str, text: &str) -> Result<Value, ModelError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(arguments)) => Ok(Value::Object(arguments)),
        _ => Err(ModelError::model(format!(
            "the model called `{name}` with arguments that are not a JSON object: {}",
            excerpt(text)
        ))),
    }
}

fn parse_usage(usage: &Value) -> Option<Usage> {
    let input_tokens = usage.get("prompt_tokens").and_then(Value::as_u64)?;
    let output_tokens = usage.get("completion_tokens").and_then(Value::as_u64).unwrap_or(0);
    Some(Usage { input_tokens, output_tokens })
}

/// The `message` of an OpenAI-style error object, else its JSON.
pub(crate) fn error_text(error: &Value) -> String {
    match error.get("message").and_then(Value::as_str) {
        Some(message) => message.to_owned(),
        None => match error {
            Value::String(text) => text.clone(),
            other => excerpt(&other.to_string()),
        },
    }
}

pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
