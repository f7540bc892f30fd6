//! Results of client function tool calls (E126 runtime, E127 API key;
//! docs/function-tools.md). Both answer the run: 200, with `idempotent-replayed`
//! when the same result was stored before. An unknown run is a 404 before any 422
//! about the body.

use axum::extract::State;
use zaby::types::{self, ToolResultInput};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Authed, RuntimeAuthed};
use crate::http::extract::{Body as Typed, PathIds};
use crate::http::handlers::agents::after_path;
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::runs::Reader;
use crate::services::runs::function_tools::results::{self, Submitted};

fn answered(s: Submitted) -> ApiResult<Reply<types::Run>> {
    let body = wire::run(s.run)?;
    Ok(if s.replayed { Reply::Replayed(body) } else { Reply::Ok(body) })
}

/// E126: a runtime token answers a call of a run of its own session.
pub async fn runtime_submit(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    b: Result<Typed<ToolResultInput>, ApiError>,
) -> ApiResult<Reply<types::Run>> {
    answered(results::submit(&ctx, &Reader::Runtime(&rc), p.get("runId"), after_path(b)?).await?)
}

/// E127: an API key answers a call of any run of its tenant.
pub async fn submit(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    b: Result<Typed<ToolResultInput>, ApiError>,
) -> ApiResult<Reply<types::Run>> {
    answered(results::submit(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId"), after_path(b)?).await?)
}
