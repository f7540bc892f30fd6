//! Query-string helpers shared by list endpoints.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::storage::page::{Page, PageRequest, decode_cursor};

pub type Query = HashMap<String, String>;

/// `limit` (default 20, 1–`max`) and `cursor` (API.md §1.10); both → 422 when bad.
pub fn page_request(q: &Query, default: i64, max: i64) -> ApiResult<PageRequest> {
    let limit = match q.get("limit") {
        None => default,
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid("limit", &format!("must be an integer between 1 and {max}")));
            }
        },
    };
    let after = match q.get("cursor").map(String::as_str) {
        None | Some("") => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| ApiError::invalid("cursor", "is not a valid cursor"))?),
    };
    Ok(PageRequest { limit, after })
}

/// A filter value that must belong to a closed enumeration.
pub fn enum_param(q: &Query, key: &str, allowed: &[&str]) -> ApiResult<Option<String>> {
    match q.get(key) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if allowed.contains(&v.as_str()) => Ok(Some(v.clone())),
        Some(_) => Err(ApiError::invalid(key, &format!("must be one of {}", allowed.join(", ")))),
    }
}

pub fn str_param(q: &Query, key: &str) -> Option<String> {
    q.get(key).filter(|v| !v.is_empty()).cloned()
}

pub fn bool_param(q: &Query, key: &str) -> ApiResult<Option<bool>> {
    match q.get(key).map(String::as_str) {
        None | Some("") => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid(key, "must be true or false")),
    }
}

/// `{items, nextCursor, total}`.
pub fn list_body(page: Page<Value>) -> Value {
    json!({ "items": page.items, "nextCursor": page.next_cursor, "total": page.total })
}

/// The `from`/`to` window of a report query, in epoch ms: `to` defaults to `now` and
/// `from` to `default_span_ms` before `to`; each is a timestamp or a `YYYY-MM-DD` date
/// (`to` inclusive of its whole day), and `from` must not be after `to`.
pub fn time_window(q: &Query, now: i64, default_span_ms: i64) -> ApiResult<(i64, i64)> {
    use crate::util::clock::parse_bound;
    let bound = |key: &str, end: bool| -> ApiResult<Option<i64>> {
        match q.get(key).filter(|s| !s.is_empty()) {
            Some(s) => {
                parse_bound(s, end).map(Some).ok_or_else(|| ApiError::invalid(key, "must be a timestamp or YYYY-MM-DD"))
            }
            None => Ok(None),
        }
    };
    let to = bound("to", true)?.unwrap_or(now);
    let from = bound("from", false)?.unwrap_or(to - default_span_ms);
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    Ok((from, to))
}
