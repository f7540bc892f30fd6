//! `GET /ready`: whether this replica can serve — the database answers and its schema
//! has every migration this binary knows. 503 with the reason otherwise, so a load
//! balancer or an orchestrator keeps traffic away (`/health` stays the liveness probe).

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use serde_json::json;

use crate::http::respond::json_response;
use crate::services::SharedCtx;
use crate::storage::migrate;

/// Longer than a healthy database ever needs for one small query.
const TIMEOUT: Duration = Duration::from_secs(5);

pub async fn ready(State(ctx): State<SharedCtx>) -> Response {
    let reason = match tokio::time::timeout(TIMEOUT, migrate::missing(&ctx.db)).await {
        Ok(Ok(missing)) if missing.is_empty() => None,
        Ok(Ok(missing)) => {
            Some(format!("the database lacks migrations {missing:?}; start a replica of this version to apply them"))
        }
        Ok(Err(e)) => Some(format!("the database does not answer: {e}")),
        Err(_) => Some(format!("the database did not answer within {} s", TIMEOUT.as_secs())),
    };
    match reason {
        None => json_response(StatusCode::OK, &json!({ "status": "ready" })),
        Some(reason) => {
            json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({ "status": "not ready", "reason": reason }))
        }
    }
}
