//! Extractors that never answer with axum's plain-text rejections: bodies (400 /
//! 413), query strings and path parameters.

use std::collections::HashMap;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use http::header;
use http::request::Parts;
use serde_json::Value;

use crate::error::ApiError;
use crate::services::SharedCtx;

/// A JSON object body. An empty body reads as `{}`.
pub struct JsonBody(pub Value);

impl FromRequest<SharedCtx> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let limit = ctx.settings.max_body_bytes;
        let too_large = || {
            ApiError::new(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                format!("request body is larger than {limit} bytes"),
            )
        };
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|s| s.to_ascii_lowercase());
        let bytes = read_limited(req.into_body(), limit).await?.ok_or_else(too_large)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Default::default())));
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
        Ok(JsonBody(value))
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

/// The query string as a flat map (the last value of a repeated key wins).
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let map =
            parts.uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
        Ok(QueryMap(map))
    }
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
            Ok(Path(map)) => Ok(PathIds(map)),
            Err(_) => Err(ApiError::not_found("resource")),
        }
    }
}
