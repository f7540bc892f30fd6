//! Results of client function tool calls (E126 runtime, E127 API key;
//! docs/function-tools.md). Both answer the run; an unknown run is a 404 before any
//! 422 about the body.

use axum::extract::State;
use http::StatusCode;
use zaby::types::{self, ToolResultInput};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Authed, RuntimeAuthed};
use crate::http::extract::{Body as Typed, PathIds};
use crate::http::handlers::agents::after_path;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::runs::{Reader, load_visible};

/// No run waits for a client call until the executor runs function tools, so every
/// call is answered by its run's state.
async fn submit_to(
    ctx: &SharedCtx,
    reader: &Reader<'_>,
    run_id: &str,
    input: ApiResult<ToolResultInput>,
) -> ApiResult<Reply<types::Run>> {
    let run = {
        let mut conn = ctx.db.read().await?;
        load_visible(&mut conn, reader, run_id).await?
    };
    let input = input?;
    if run.status != "WAITING_FOR_TOOL_RESULT" {
        return Err(ApiError::conflict(
            "RUN_NOT_WAITING_FOR_TOOL_RESULT",
            format!("the run is {}, not waiting for a tool result", run.status),
        ));
    }
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "TOOL_CALL_NOT_FOUND",
        format!("the run has no client tool call {}", input.tool_call_id),
    ))
}

/// E126: a runtime token answers a call of a run of its own session.
pub async fn runtime_submit(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    b: Result<Typed<ToolResultInput>, ApiError>,
) -> ApiResult<Reply<types::Run>> {
    submit_to(&ctx, &Reader::Runtime(&rc), p.get("runId"), after_path(b)?).await
}

/// E127: an API key answers a call of any run of its tenant.
pub async fn submit(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    b: Result<Typed<ToolResultInput>, ApiError>,
) -> ApiResult<Reply<types::Run>> {
    submit_to(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId"), after_path(b)?).await
}
