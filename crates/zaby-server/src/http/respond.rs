//! Turning results into responses: JSON with `charset=utf-8`, error bodies,
//! `retry-after`, `idempotent-replayed`.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;
use crate::services::SharedCtx;

/// Marks a response caused by a storage capacity fault, for [`note_storage_faults`].
#[derive(Clone, Copy)]
pub struct StorageFault;

/// Records the storage faults met by requests, so `/health` reports them.
pub async fn note_storage_faults(State(ctx): State<SharedCtx>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.extensions().get::<StorageFault>().is_some() {
        ctx.db.health().fault();
    }
    resp
}

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
        if self.storage_fault {
            resp.extensions_mut().insert(StorageFault);
        }
        resp
    }
}

/// A typed answer: a response type of the catalogue (`zaby::types::ExternalApp`, …)
/// with the status the handler chose. Handlers build it from the service's domain
/// struct (`http/handlers/wire.rs`), so the wire format is the catalogue's by
/// construction and a unit test checks it against the catalogue's schema.
pub enum Reply<T> {
    /// 201.
    Created(T),
    /// 200.
    Ok(T),
    /// 200 with `idempotent-replayed: true`: the answer an earlier request with the
    /// same `requestId` got (docs/idempotency.md).
    Replayed(T),
}

impl<T: Serialize> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        let (status, body, replayed) = match self {
            Reply::Created(body) => (StatusCode::CREATED, body, false),
            Reply::Ok(body) => (StatusCode::OK, body, false),
            Reply::Replayed(body) => (StatusCode::OK, body, true),
        };
        match serde_json::to_vec(&body) {
            Ok(bytes) => {
                let mut resp = Response::new(Body::from(bytes));
                *resp.status_mut() = status;
                resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
                if replayed {
                    resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
                }
                resp
            }
            Err(e) => ApiError::internal("the answer could not be written").with_cause(e.to_string()).into_response(),
        }
    }
}
