//! `/api/v1/provisioning/agentic-os/agents/intelligence/…` (E93–E97).

use axum::extract::State;
use zaby::types::{ApproveImprovementInput, RejectImprovementInput};

use crate::error::ApiResult;
use crate::http::auth::Authed;
use crate::http::extract::{Body, PathIds, QueryMap};
use crate::services::{Outcome, SharedCtx, intelligence};

type S = State<SharedCtx>;

pub async fn list_signals(State(ctx): S, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    intelligence::list_signals(&ctx, &c, &q).await
}

pub async fn list_rollups(State(ctx): S, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    intelligence::list_rollups(&ctx, &c, &q).await
}

pub async fn list_improvements(State(ctx): S, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    intelligence::list_improvements(&ctx, &c, &q).await
}

pub async fn approve(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<ApproveImprovementInput>,
) -> ApiResult<Outcome> {
    intelligence::approve(&ctx, &c, p.get("candidateId"), input).await
}

pub async fn reject(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<RejectImprovementInput>,
) -> ApiResult<Outcome> {
    intelligence::reject(&ctx, &c, p.get("candidateId"), input).await
}
