//! The built-in tools (`docs/server.md`): their schemas and what they do. Every
//! result carries `structuredContent` plus a text mirror for clients that only
//! read `content`.

use std::sync::{Arc, LazyLock};

use rmcp::model::{CallToolResult, Tool, ToolAnnotations};
use serde_json::{Map, Value, json};

use super::KnowledgeSearch;
use super::time::{format_time, parse_timezone};
use crate::validate::ArgumentValidator;

/// Default and bounds of `kb_search.topK` (those of `RetrieveInput`, `docs/api/knowledge-bases.md`).
pub const KB_SEARCH_DEFAULT_TOP_K: u32 = 5;
const KB_SEARCH_MAX_TOP_K: u32 = 50;

/// A search the server runs for `kb_search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbSearchRequest {
    pub knowledge_base_id: String,
    pub query: String,
    /// 1–50; 5 when the caller gave none.
    pub top_k: u32,
}

/// A tool failure the caller should see (`isError: true`), e.g. an unknown
/// knowledge base. `code` is a machine-readable reason such as `NOT_FOUND`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolFailure {
    pub code: String,
    pub message: String,
}

impl ToolFailure {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}

pub(crate) struct BuiltinTool {
    pub tool: Tool,
    pub validator: ArgumentValidator,
}

fn tool(name: &'static str, title: &str, description: &'static str, schema: Value, read_only: bool) -> BuiltinTool {
    let Value::Object(schema_map) = schema.clone() else { unreachable!("built-in schemas are objects") };
    let tool = Tool::new(name, description, Arc::new(schema_map)).with_title(title).with_annotations(
        ToolAnnotations::with_title(title)
            .read_only(read_only)
            .destructive(false)
            .idempotent(name != "current_time")
            .open_world(false),
    );
    BuiltinTool { tool, validator: ArgumentValidator::new(&schema).expect("built-in schemas compile") }
}

pub(crate) static TOOLS: LazyLock<Vec<BuiltinTool>> = LazyLock::new(|| {
    vec![
        tool(
            "echo",
            "Echo",
            "Returns its arguments unchanged, as structured content. Useful to test a tool path end to end.",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "description": "Any JSON object; it is returned as is.",
                "additionalProperties": true
            }),
            true,
        ),
        tool(
            "sum",
            "Sum",
            "Adds a list of numbers and returns {\"sum\": number}. The sum of an empty list is 0.",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "numbers": {
                        "type": "array",
                        "description": "The numbers to add.",
                        "items": { "type": "number" }
                    }
                },
                "required": ["numbers"],
                "additionalProperties": false
            }),
            true,
        ),
        tool(
            "current_time",
            "Current time",
            "Returns the current time as ISO-8601 in {\"time\": string}, in UTC or in a fixed offset.",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "timezone": {
                        "type": "string",
                        "description": "\"UTC\" (the default) or a fixed UTC offset such as \"+02:00\" or \"-05:30\".",
                        "default": "UTC",
                        "examples": ["UTC", "+02:00", "-05:30"]
                    }
                },
                "additionalProperties": false
            }),
            true,
        ),
        tool(
            "kb_search",
            "Knowledge base search",
            "Searches a knowledge base of your tenant and returns a RetrievalResult {query, knowledgeBaseId, items, total} with the best-scoring chunks.",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "knowledgeBaseId": {
                        "type": "string",
                        "minLength": 1,
                        "description": "Id of the knowledge base to search."
                    },
                    "query": {
                        "type": "string",
                        "minLength": 1,
                        "description": "What to search for."
                    },
                    "topK": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": KB_SEARCH_MAX_TOP_K,
                        "default": KB_SEARCH_DEFAULT_TOP_K,
                        "description": "Number of chunks to return (1-50)."
                    }
                },
                "required": ["knowledgeBaseId", "query"],
                "additionalProperties": false
            }),
            true,
        ),
    ]
});

pub(crate) fn find(name: &str) -> Option<&'static BuiltinTool> {
    TOOLS.iter().find(|t| t.tool.name == name)
}

fn success(value: Value) -> CallToolResult {
    CallToolResult::structured(value)
}

pub(crate) fn failure(code: &str, message: impl Into<String>, extra: Option<(&str, Value)>) -> CallToolResult {
    let mut body = Map::new();
    body.insert("code".into(), Value::String(code.into()));
    body.insert("message".into(), Value::String(message.into()));
    if let Some((key, value)) = extra {
        body.insert(key.into(), value);
    }
    CallToolResult::structured_error(Value::Object(body))
}

/// Runs built-in tool `tool` for `tenant_id`; `arguments` are already valid.
pub(crate) async fn run(
    tool: &BuiltinTool,
    arguments: Map<String, Value>,
    tenant_id: &str,
    search: &dyn KnowledgeSearch,
) -> CallToolResult {
    match tool.tool.name.as_ref() {
        "echo" => success(Value::Object(arguments)),
        "sum" => sum(arguments.get("numbers")),
        "current_time" => {
            let zone = arguments.get("timezone").and_then(Value::as_str).unwrap_or("UTC");
            match parse_timezone(zone) {
                Ok(offset) => success(json!({ "time": format_time(chrono::Utc::now(), offset) })),
                Err(message) => failure("INVALID_TIMEZONE", message, None),
            }
        }
        "kb_search" => {
            let text = |key: &str| arguments.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            let request = KbSearchRequest {
                knowledge_base_id: text("knowledgeBaseId"),
                query: text("query"),
                top_k: arguments
                    .get("topK")
                    .and_then(Value::as_u64)
                    .map_or(KB_SEARCH_DEFAULT_TOP_K, |k| k.clamp(1, u64::from(KB_SEARCH_MAX_TOP_K)) as u32),
            };
            match search.search(tenant_id, request).await {
                Ok(result) => success(result),
                Err(ToolFailure { code, message }) => failure(&code, message, None),
            }
        }
        other => failure("UNKNOWN_TOOL", format!("no built-in tool {other:?}"), None),
    }
}

/// Integers add exactly (so `[1, 2]` gives `3`, not `3.0`); anything else, or
/// an integer overflow, adds as floating point.
fn sum(numbers: Option<&Value>) -> CallToolResult {
    let numbers = numbers.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let exact = numbers.iter().try_fold(0i64, |acc, n| n.as_i64().and_then(|n| acc.checked_add(n)));
    if let Some(total) = exact {
        return success(json!({ "sum": total }));
    }
    let total: f64 = numbers.iter().filter_map(Value::as_f64).sum();
    match serde_json::Number::from_f64(total) {
        Some(number) => success(json!({ "sum": number })),
        None => failure("NUMBER_OUT_OF_RANGE", "the sum is too large to represent", None),
    }
}
