//! Message normalization (`docs/server.md`), shared by every model and by retrieval.

use serde_json::Value;

/// `message` = `input` if it is a string; else `input.message` if `input` is an object
/// with a string `message`; else the compact JSON text of `input`.
pub fn normalize_message(input: &Value) -> String {
    match input {
        Value::String(text) => text.clone(),
        Value::Object(map) => match map.get("message") {
            Some(Value::String(text)) => text.clone(),
            _ => compact_json(input),
        },
        _ => compact_json(input),
    }
}

/// Compact JSON text (no spaces, object keys in their given order).
pub fn compact_json(value: &Value) -> String {
    // Serializing a `Value` cannot fail: its keys are strings and it holds no
    // non-finite numbers.
    serde_json::to_string(value).unwrap_or_default()
}

/// Number of whitespace-separated words, the development model's token count.
pub fn count_words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}
