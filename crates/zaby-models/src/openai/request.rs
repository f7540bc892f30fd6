//! The chat-completions request body for one step.

use serde_json::{Value, json};

use super::tool_names::ToolNames;
use crate::message::compact_json;
use crate::types::{ContextPassage, PassageKind, StepRequest, ToolRound};

/// `POST {base_url}/chat/completions` body: instructions as the system message, the
/// retrieved context in a second system message, the session history, the user
/// message, then each earlier tool round as an assistant message with `tool_calls`
/// followed by one `tool` message per result.
pub(crate) fn chat_body(model: &str, request: &StepRequest, names: &ToolNames) -> Value {
    let mut messages = Vec::new();
    if !request.instructions.trim().is_empty() {
        messages.push(json!({ "role": "system", "content": request.instructions }));
    }
    if !request.context.is_empty() {
        messages.push(json!({ "role": "system", "content": context_text(&request.context) }));
    }
    for turn in &request.history {
        messages.push(json!({ "role": "user", "content": turn.user }));
        messages.push(json!({ "role": "assistant", "content": turn.assistant }));
    }
    messages.push(json!({ "role": "user", "content": request.message }));
    for round in &request.tool_rounds {
        push_round(&mut messages, round, names);
    }

    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": names.wire(&tool.name),
                        "description": tool.description,
                        "parameters": parameters_schema(&tool.input_schema),
                    }
                })
            })
            .collect();
        body["tools"] = Value::Array(tools);
    }
    body
}

fn push_round(messages: &mut Vec<Value>, round: &ToolRound, names: &ToolNames) {
    let calls: Vec<Value> = round
        .calls
        .iter()
        .map(|done| {
            json!({
                "id": done.call.id,
                "type": "function",
                "function": {
                    "name": names.wire(&done.call.name),
                    "arguments": compact_json(&done.call.arguments),
                }
            })
        })
        .collect();
    let content = if round.text.is_empty() { Value::Null } else { Value::String(round.text.clone()) };
    messages.push(json!({ "role": "assistant", "content": content, "tool_calls": calls }));
    for done in &round.calls {
        let result = match &done.result {
            Value::String(text) => text.clone(),
            other => compact_json(other),
        };
        let content = if done.is_error { format!("The tool call failed: {result}") } else { result };
        messages.push(json!({ "role": "tool", "tool_call_id": done.call.id, "content": content }));
    }
}

/// Function parameters must be an object schema; an empty or missing schema means
/// "any object".
fn parameters_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) if !map.is_empty() => schema.clone(),
        _ => json!({ "type": "object", "properties": {} }),
    }
}

fn context_text(passages: &[ContextPassage]) -> String {
    let mut text = String::from(
        "Context retrieved for this conversation, best match first. Use it when it is relevant \
         and name the document you rely on.\n",
    );
    for (index, passage) in passages.iter().enumerate() {
        let source = match passage.kind {
            PassageKind::Chunk => format!("document \"{}\"", passage.title.as_deref().unwrap_or("untitled")),
            PassageKind::Memory => "memory about the user".to_owned(),
        };
        text.push_str(&format!("\n[{}] {source} (score {:.3}):\n{}\n", index + 1, passage.score, passage.content));
    }
    text
}
