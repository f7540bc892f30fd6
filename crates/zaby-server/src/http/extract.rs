//! Extractors that never answer with axum's plain-text rejections: bodies (400 /
//! 413), query strings and path parameters. They also refuse NUL characters in
//! every input (422 naming the field; 404 in a path id), and body members and query
//! keys the endpoint's catalogue types do not know (422 naming each, `catalogue`).

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use http::header;
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;
use crate::http::auth::EndpointRef;
use crate::services::SharedCtx;

pub(crate) mod catalogue;

/// A JSON object body. An empty body reads as `{}`. Members the endpoint's request
/// type does not know are refused; values are left to the service.
pub struct JsonBody(pub Value);

impl FromRequest<SharedCtx> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let (endpoint, value) = read_object(req, ctx).await?;
        let unknown =
            endpoint.map(|id| catalogue::body_problems(id, &value, catalogue::Check::Members)).unwrap_or_default();
        if !unknown.is_empty() {
            return Err(ApiError::validation(unknown));
        }
        Ok(JsonBody(value))
    }
}

/// The typed extractor: a body deserialized into the catalogue's input type of the
/// endpoint (`Body<zaby::types::AgentInput>`).
///
/// The body passes the checks of [`JsonBody`] (size, content type, JSON object, NUL,
/// free-form size), then is checked against the row's request type in the catalogue
/// — unknown members (with "did you mean"), JSON types, enumeration values, required
/// members, `null` only where the type allows it — and every problem found is listed
/// in one 422 (docs/errors.md), not only the first. Only then is it deserialized into
/// `T`, which therefore cannot fail on a shape the catalogue allows.
///
/// To convert a handler: take `Body(input): Body<types::XInput>` instead of
/// `JsonBody(b)`, hand the service the typed input, and let the service check what
/// the catalogue cannot say (lengths, patterns, ranges, references) with
/// [`crate::util::input::Problems`].
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<SharedCtx> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let (endpoint, value) = read_object(req, ctx).await?;
        let id = endpoint.ok_or_else(|| ApiError::internal("route without endpoint metadata"))?;
        decode(id, value).map(Body)
    }
}

/// Checks `value` against endpoint `id`'s request type, then deserializes it.
pub(crate) fn decode<T: DeserializeOwned>(id: &str, value: Value) -> Result<T, ApiError> {
    let problems = catalogue::body_problems(id, &value, catalogue::Check::Types);
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    // Reached only where the catalogue and the Rust type disagree, or for a number
    // out of the Rust type's range: still the caller's input, so a 422.
    serde_json::from_value(value).map_err(|e| ApiError::invalid("body", &e.to_string()))
}

/// The body as a JSON object, with the endpoint id of the route.
async fn read_object(req: Request, ctx: &SharedCtx) -> Result<(Option<&'static str>, Value), ApiError> {
    let limit = ctx.settings.max_body_bytes;
    let too_large = || {
        ApiError::new(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("request body is larger than {limit} bytes"),
        )
    };
    let endpoint = req.extensions().get::<EndpointRef>().map(|e| e.0.id);
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|s| s.to_ascii_lowercase());
    let bytes = read_limited(req.into_body(), limit).await?.ok_or_else(too_large)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok((endpoint, Value::Object(Default::default())));
    }
    let is_json = content_type.as_deref().is_some_and(|ct| {
        let mime = ct.split(';').next().unwrap_or("").trim();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    });
    if !is_json {
        return Err(ApiError::bad_request("content-type must be application/json"));
    }
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("the request body must be a JSON object"));
    }
    if let Some(field) = nul_field(&value, "") {
        return Err(ApiError::invalid(&field, NUL_MESSAGE));
    }
    let cap = ctx.settings.max_object_bytes;
    if let Some(field) = oversized_field(&value, "", cap) {
        return Err(ApiError::invalid(&field, &format!("must be at most {cap} bytes of JSON")));
    }
    Ok((endpoint, value))
}

const NUL_MESSAGE: &str = "must not contain NUL characters";

/// The path (`a.b[2].c`) of the first string or key of `v` holding a NUL character.
/// NUL is refused in every input, once, here: PostgreSQL cannot store it in text,
/// and SQLite would store what no other part of the platform can read back alike.
fn nul_field(v: &Value, path: &str) -> Option<String> {
    match v {
        Value::String(s) => s.contains('\0').then(|| path.to_string()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| nul_field(x, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let here = if path.is_empty() { k.replace('\0', "") } else { format!("{path}.{}", k.replace('\0', "")) };
            if k.contains('\0') { Some(here) } else { nul_field(x, &here) }
        }),
        _ => None,
    }
}

/// The free-form objects of the API (docs/server.md: whatever the client puts in them is stored and
/// listed back as it is), capped by `ZABY_MAX_OBJECT_BYTES` so a list page of them
/// stays bounded.
const FREE_FORM: &[&str] = &["metadata", "config", "settings", "rules", "arguments", "credentials"];

/// The path of the first free-form object of `v` whose JSON is larger than `cap`.
fn oversized_field(v: &Value, path: &str, cap: usize) -> Option<String> {
    let map = match v {
        Value::Object(map) => map,
        Value::Array(items) => {
            return items.iter().enumerate().find_map(|(i, x)| oversized_field(x, &format!("{path}[{i}]"), cap));
        }
        _ => return None,
    };
    map.iter().find_map(|(k, x)| {
        let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        if FREE_FORM.contains(&k.as_str()) && (x.is_object() || x.is_array()) {
            // Serialising stops counting past the cap: no copy of a huge value is made.
            let mut counter = CappedCounter { left: cap };
            serde_json::to_writer(&mut counter, x).is_err().then_some(here)
        } else {
            oversized_field(x, &here, cap)
        }
    })
}

/// A writer that fails once more than `left` bytes were written to it.
struct CappedCounter {
    left: usize,
}

impl std::io::Write for CappedCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.left = self.left.checked_sub(buf.len()).ok_or_else(|| std::io::Error::other("over the cap"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How much of an oversized body is read and discarded, so that the client gets the
/// 413 instead of a reset connection while it is still sending.
const DRAIN_ALLOWANCE: usize = 64 * 1024 * 1024;

/// Reads at most `limit` bytes; `None` when the body is larger.
async fn read_limited(body: axum::body::Body, limit: usize) -> Result<Option<Vec<u8>>, ApiError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ApiError::bad_request("the request body could not be read"))?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen <= limit {
                buf.extend_from_slice(&data);
            } else if seen > limit.saturating_add(DRAIN_ALLOWANCE) {
                return Ok(None);
            }
        }
    }
    Ok((seen <= limit).then_some(buf))
}

/// The typed query extractor: the query string deserialized into the catalogue's
/// query type of the endpoint (`Query<zaby::types::E3Query>`).
///
/// Keys are checked first (NUL, unknown keys; the last value of a repeated key wins),
/// then each value is read
/// as its parameter's type — integers (within the parameter's bounds), booleans
/// `true`/`false`, enumeration values (an open enumeration's known values: a filter
/// must name a state that exists) — and every problem found is listed in one 422.
/// Empty values read as absent.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (endpoint, map) = query_pairs(parts)?;
        let id = endpoint.ok_or_else(|| ApiError::internal("route without endpoint metadata"))?;
        let object = catalogue::query_object(id, &map).map_err(ApiError::validation)?;
        // Reached only where the catalogue and the Rust type disagree: still the
        // caller's input, so a 422.
        serde_json::from_value(Value::Object(object)).map(Query).map_err(|e| ApiError::invalid("query", &e.to_string()))
    }
}

/// The query string's pairs, refused when a key or value holds NUL or a key is not
/// one of the endpoint's; with the endpoint id of the route.
fn query_pairs(parts: &Parts) -> Result<(Option<&'static str>, HashMap<String, String>), ApiError> {
    let map: HashMap<String, String> =
        parts.uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    if let Some((k, _)) = map.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(ApiError::invalid(&k.replace('\0', ""), NUL_MESSAGE));
    }
    let endpoint = parts.extensions.get::<EndpointRef>().map(|e| e.0.id);
    if let Some(id) = endpoint {
        let unknown = catalogue::unknown_query_keys(id, map.keys());
        if !unknown.is_empty() {
            return Err(ApiError::validation(unknown));
        }
    }
    Ok((endpoint, map))
}

/// Path parameters by name; undecodable parameters are a 404.
pub struct PathIds(pub HashMap<String, String>);

impl PathIds {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<HashMap<String, String>>::from_request_parts(parts, state).await {
            // No stored id holds a NUL, so such an id names nothing.
            Ok(Path(map)) if map.values().any(|v| v.contains('\0')) => Err(ApiError::not_found("resource")),
            Ok(Path(map)) => Ok(PathIds(map)),
            Err(_) => Err(ApiError::not_found("resource")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use zaby::types::{AgentInput, AgentVisibility};

    #[test]
    fn decode_lists_every_problem_then_gives_the_typed_input() {
        let err =
            decode::<AgentInput>("E2", json!({"name": 1, "visibility": "SECRET", "instruction": "x"})).unwrap_err();
        assert_eq!(err.code, "VALIDATION_ERROR");
        let fields: Vec<&str> = err.details.as_ref().unwrap()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields.len(), 4, "{fields:?}");
        for field in ["name", "visibility", "instruction", "slug"] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
        let input: AgentInput =
            decode("E2", json!({"slug": "a", "name": "A", "visibility": "PUBLIC", "tags": ["x"]})).unwrap();
        assert_eq!(input.slug, "a");
        assert_eq!(input.visibility, Some(AgentVisibility::Public));
        assert!(input.extra.is_empty());
    }
}
