//! Unknown routes (404), known paths with another method (405 + `allow`), and
//! OPTIONS preflights (`docs/operations.md`).

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use super::envelope::EXPOSE_HEADERS;
use crate::error::ApiError;

pub async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such route").into_response()
}

pub fn method_not_allowed(allow: &str) -> Response {
    let mut resp = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("method not allowed; allowed: {allow}"),
    )
    .into_response();
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_str(allow).unwrap_or(HeaderValue::from_static("OPTIONS")));
    resp
}

/// 204 with the CORS preflight headers. Runtime routes also get
/// `access-control-allow-origin` from the envelope when an origin was sent.
pub async fn preflight() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "authorization, content-type, x-request-id, x-zaby-api-key, x-tenant-id, last-event-id",
        ),
    );
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    resp
}
