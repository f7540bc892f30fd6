//! Turning results into responses: JSON with `charset=utf-8`, error bodies,
//! `retry-after`, `idempotent-replayed`.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::error::ApiError;
use crate::services::Outcome;

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = json_response(self.status, &self.body());
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Outcome::Created(v) => json_response(StatusCode::CREATED, &v),
            Outcome::Ok(v) => json_response(StatusCode::OK, &v),
            Outcome::Replayed(v) => {
                let mut resp = json_response(StatusCode::OK, &v);
                resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
                resp
            }
        }
    }
}
