//! `/api/v1/provisioning/agentic-os/agents/intelligence/…` (E93–E97).

use axum::extract::State;
use serde_json::Value;
use zaby::types::{self as types, ApproveImprovementInput, Improvement, RejectImprovementInput};

use crate::error::ApiResult;
use crate::http::auth::Authed;
use crate::http::extract::{Body, PathIds, Query};
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::{SharedCtx, intelligence};

type S = State<SharedCtx>;

pub async fn list_signals(
    State(ctx): S,
    Authed(c): Authed,
    Query(q): Query<types::E93Query>,
) -> ApiResult<Reply<Value>> {
    let page = intelligence::list_signals(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::signal)?))
}

pub async fn list_rollups(
    State(ctx): S,
    Authed(c): Authed,
    Query(q): Query<types::E94Query>,
) -> ApiResult<Reply<Value>> {
    let page = intelligence::list_rollups(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::rollup)?))
}

pub async fn list_improvements(
    State(ctx): S,
    Authed(c): Authed,
    Query(q): Query<types::E95Query>,
) -> ApiResult<Reply<Value>> {
    let page = intelligence::list_improvements(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::improvement)?))
}

pub async fn approve(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<ApproveImprovementInput>,
) -> ApiResult<Reply<Improvement>> {
    Ok(Reply::Ok(wire::improvement(intelligence::approve(&ctx, &c, p.get("candidateId"), input).await?)?))
}

pub async fn reject(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<RejectImprovementInput>,
) -> ApiResult<Reply<Improvement>> {
    Ok(Reply::Ok(wire::improvement(intelligence::reject(&ctx, &c, p.get("candidateId"), input).await?)?))
}
