//! Run routes: starts, progress, event pages, lists, cancel, approvals, feedback,
//! usage. The SSE stream is in `run_stream`.

use axum::extract::State;

use serde_json::Value;
use zaby::endpoints::EndpointId;
use zaby::types::{self, AgentRunInput, ApprovalDecisionInput, CancelRunInput, RunEventPage, RunStartInput};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Authed, RuntimeAuthed, RuntimeChecked};
use crate::http::extract::{Body as Typed, JsonBody, PathIds, Query, decode};
use crate::http::handlers::agents::after_path;
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::runs::approvals::{self, Decider};
use crate::services::runs::feedback::{self, Giver};
use crate::services::runs::{self, Reader, StartBody, StartFrom, Started};

// ---- starts ----

/// `RunStartResponse`: 201 for a new run, 200 with `idempotent-replayed` for the
/// answer of an earlier start with the same `requestId`.
fn started(s: Started) -> ApiResult<Reply<types::RunStartResponse>> {
    let body = wire::run_start(s.run)?;
    Ok(if s.replayed { Reply::Replayed(body) } else { Reply::Created(body) })
}

/// The bodies of agent starts are handed over checked-or-not (`Result`), so an
/// unknown agent is a 404 before any 422 about the body.
fn agent_body(b: Result<Typed<AgentRunInput>, ApiError>) -> ApiResult<StartBody> {
    b.map(|Typed(i)| StartBody::Agent(i))
}

pub async fn test_run(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    b: Result<Typed<AgentRunInput>, ApiError>,
) -> ApiResult<Reply<types::RunStartResponse>> {
    started(runs::start(&ctx, StartFrom::Test { caller: &c, agent_id: p.get("agentId") }, agent_body(b)).await?)
}

pub async fn start_run(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    b: Result<Typed<AgentRunInput>, ApiError>,
) -> ApiResult<Reply<types::RunStartResponse>> {
    started(runs::start(&ctx, StartFrom::Managed { caller: &c, agent_id: p.get("agentId") }, agent_body(b)).await?)
}

/// The token's use is taken inside the start, so the body is handed over checked or
/// not: its errors come after the rate limit, and a refused start consumes nothing.
pub async fn runtime_start(
    State(ctx): State<SharedCtx>,
    RuntimeChecked(rc): RuntimeChecked,
    b: Result<Typed<RunStartInput>, ApiError>,
) -> ApiResult<Reply<types::RunStartResponse>> {
    started(runs::start(&ctx, StartFrom::Runtime(&rc), b.map(|Typed(b)| StartBody::Runtime(b))).await?)
}

// ---- reads ----

pub async fn progress(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<types::Run>> {
    Ok(Reply::Ok(wire::run(runs::progress(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId")).await?)?))
}

pub async fn events(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::ListQuery>,
) -> ApiResult<Reply<RunEventPage>> {
    let page = runs::events_page(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId"), &q).await?;
    Ok(Reply::Ok(wire::event_page(page)?))
}

pub async fn runtime_events(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Query(q): Query<types::ListQuery>,
) -> ApiResult<Reply<RunEventPage>> {
    let page = runs::events_page(&ctx, &Reader::Runtime(&rc), p.get("runId"), &q).await?;
    Ok(Reply::Ok(wire::event_page(page)?))
}

pub async fn list_runs(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E108Query>,
) -> ApiResult<Reply<Value>> {
    let page = runs::list(&ctx, &c, p.get("agentId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::run)?))
}

// ---- cancel ----

pub async fn cancel(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Typed(b): Typed<CancelRunInput>,
) -> ApiResult<Reply<types::Run>> {
    Ok(Reply::Ok(wire::run(runs::cancel(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId"), b).await?)?))
}

pub async fn runtime_cancel(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Typed(b): Typed<CancelRunInput>,
) -> ApiResult<Reply<types::Run>> {
    Ok(Reply::Ok(wire::run(runs::cancel(&ctx, &Reader::Runtime(&rc), p.get("runId"), b).await?)?))
}

// ---- approvals ----

pub async fn list_approvals(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E37Query>,
) -> ApiResult<Reply<Value>> {
    let page = approvals::list(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::approval)?))
}

async fn decide(
    ctx: &SharedCtx,
    who: Decider<'_>,
    p: &PathIds,
    b: ApprovalDecisionInput,
    approve: bool,
) -> ApiResult<Reply<types::Approval>> {
    let a = approvals::decide(ctx, who, p.get("runId"), p.get("approvalId"), b, approve).await?;
    Ok(Reply::Ok(wire::approval(a)?))
}

pub async fn approve(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Managed(&c), &p, b, true).await
}

pub async fn reject(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Managed(&c), &p, b, false).await
}

pub async fn runtime_approve(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Runtime(&rc), &p, b, true).await
}

pub async fn runtime_reject(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Runtime(&rc), &p, b, false).await
}

// ---- feedback and usage ----

/// A feedback answer: 201 when recorded now, 200 with `idempotent-replayed` when it
/// is the one an earlier request with the same `requestId` got.
fn given(g: feedback::Given) -> ApiResult<Reply<types::Feedback>> {
    let body = wire::feedback(g.feedback)?;
    Ok(if g.replayed { Reply::Replayed(body) } else { Reply::Created(body) })
}

/// The body of E28 or E125, handed over checked-or-not so that an unknown run is a
/// 404 first. `rating` also takes `"positive"` (5) and `"negative"` (1), aliases
/// (docs/api/runtime-tokens.md) that the catalogue's `int` cannot say: they are read
/// as those numbers before the typed check, so any other string is its 422.
fn feedback_body(id: EndpointId, body: Result<JsonBody, ApiError>) -> ApiResult<ApiResult<types::FeedbackInput>> {
    Ok(after_path(body.map(|JsonBody(b)| Typed(b)))?.and_then(|mut b| {
        let alias = match b.get("rating").and_then(Value::as_str) {
            Some("positive") => Some(5),
            Some("negative") => Some(1),
            _ => None,
        };
        if let Some(rating) = alias {
            b["rating"] = rating.into();
        }
        decode(id.as_str(), b)
    }))
}

pub async fn feedback(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    body: Result<JsonBody, ApiError>,
) -> ApiResult<Reply<types::Feedback>> {
    let input = feedback_body(EndpointId::E28, body)?;
    given(feedback::create(&ctx, Giver::Provisioning(&c), p.get("runId"), input).await?)
}

pub async fn runtime_feedback(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    body: Result<JsonBody, ApiError>,
) -> ApiResult<Reply<types::Feedback>> {
    let input = feedback_body(EndpointId::E125, body)?;
    given(feedback::create(&ctx, Giver::Runtime(&rc), p.get("runId"), input).await?)
}

pub async fn usage(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E40Query>,
) -> ApiResult<Reply<types::UsageReport>> {
    Ok(Reply::Ok(wire::agent_usage(runs::agent_usage::report(&ctx, &c, q).await?)))
}
