//! `/health` (E1) and `/openapi.json`.

use axum::extract::State;
use axum::response::Response;
use http::StatusCode;
use serde_json::json;

use crate::http::respond::json_response;
use crate::services::SharedCtx;
use crate::util::clock::{iso, now_ms};

pub async fn health(State(ctx): State<SharedCtx>) -> Response {
    let reachable = ctx.db.ping().await;
    let writable = !ctx.db.health().degraded();
    json_response(
        StatusCode::OK,
        &json!({
            "status": if reachable && writable { "ok" } else { "degraded" },
            "timestamp": iso(now_ms()),
            "uptime": ctx.started.elapsed().as_secs_f64(),
            "version": env!("CARGO_PKG_VERSION"),
            "database": { "kind": ctx.db.kind().as_str(), "reachable": reachable, "writable": writable },
        }),
    )
}

pub async fn openapi(State(ctx): State<SharedCtx>) -> Response {
    crate::http::openapi::response(&ctx.settings.public_origin)
}
