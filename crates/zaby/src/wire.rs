//! Wire conventions (`docs/configuration.md`): path parameter encoding and query strings.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::error::{Result, ZabyError};

/// Everything but `A–Z a–z 0–9 - _ . ~ ! ' ( ) *` is encoded.
const PATH_PARAM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'!')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*');

/// Percent-encodes one path parameter (upper-case hex).
pub fn encode_path_param(value: &str) -> String {
    utf8_percent_encode(value, PATH_PARAM).to_string()
}

/// Fills `{name}` placeholders of `template` with `values`, in order.
/// An empty value is rejected before any I/O.
pub fn fill_path(template: &str, names: &[&str], values: &[String]) -> Result<String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut values = values.iter();
    let mut names = names.iter();
    while let Some(start) = rest.find('{') {
        let end = start + rest[start..].find('}').unwrap_or(rest.len() - start);
        out.push_str(&rest[..start]);
        let placeholder = &rest[start + 1..end];
        let name = names.next().copied().unwrap_or(placeholder);
        let value =
            values.next().ok_or_else(|| ZabyError::invalid_argument(format!("missing path parameter {name}")))?;
        if value.is_empty() {
            return Err(ZabyError::invalid_argument(format!("path parameter {name} must not be empty")));
        }
        out.push_str(&encode_path_param(value));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Builds a query string from a flat mapping (without the leading `?`; empty when
/// nothing remains). `null` values are dropped, lists repeat the key, nested objects
/// are rejected.
pub fn build_query(query: Option<&Value>) -> Result<String> {
    let Some(query) = query else { return Ok(String::new()) };
    let map = match query {
        Value::Null => return Ok(String::new()),
        Value::Object(map) => map,
        other => {
            return Err(ZabyError::invalid_argument(format!(
                "query must be a mapping of names to values, got {}",
                kind_of(other)
            )));
        }
    };
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in map {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    if let Some(text) = scalar(key, item)? {
                        out.append_pair(key, &text);
                    }
                }
            }
            other => {
                if let Some(text) = scalar(key, other)? {
                    out.append_pair(key, &text);
                }
            }
        }
    }
    Ok(out.finish())
}

fn scalar(key: &str, value: &Value) -> Result<Option<String>> {
    Ok(match value {
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(number_text(n)),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => {
            return Err(ZabyError::invalid_argument(format!(
                "query parameter {key:?} must be a string, number, boolean or a list of those; nested {} are not representable",
                kind_of(value)
            )));
        }
    })
}

/// The shortest decimal form of a number: integral floats lose their `.0` (so `1.0` is
/// sent as `1`, as JavaScript and every other binding would), everything else keeps
/// serde_json's shortest round-trip spelling.
fn number_text(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        // Below 2^53 every integral float is an exact integer.
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
            return format!("{}", f as i64);
        }
    }
    n.to_string()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "lists",
        Value::Object(_) => "objects",
    }
}

/// Joins a path and a query string.
pub fn path_with_query(path: &str, query: &str) -> String {
    if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
}

#[cfg(test)]
mod tests;
