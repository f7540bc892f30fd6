//! `/api/v1/provisioning/agentic-os/agents/memory-…` (E85–E92).

use axum::extract::State;
use zaby::types::{
    ApproveMemoryCandidateInput, DeleteMemoryItemInput, DisableMemoryItemInput, MemoryRetrieveInput,
    RejectMemoryCandidateInput,
};

use crate::error::ApiResult;
use crate::http::auth::Authed;
use crate::http::extract::{Body, PathIds, QueryMap};
use crate::services::{Outcome, SharedCtx, memory};

type S = State<SharedCtx>;

pub async fn list_items(State(ctx): S, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    memory::list_items(&ctx, &c, &q).await
}

pub async fn get_item(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    memory::get_item(&ctx, &c, p.get("memoryItemId")).await
}

pub async fn disable_item(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<DisableMemoryItemInput>,
) -> ApiResult<Outcome> {
    memory::disable_item(&ctx, &c, p.get("memoryItemId"), input).await
}

pub async fn delete_item(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<DeleteMemoryItemInput>,
) -> ApiResult<Outcome> {
    memory::delete_item(&ctx, &c, p.get("memoryItemId"), input).await
}

pub async fn retrieve(State(ctx): S, Authed(c): Authed, Body(input): Body<MemoryRetrieveInput>) -> ApiResult<Outcome> {
    memory::retrieve(&ctx, &c, input).await
}

pub async fn list_candidates(State(ctx): S, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    memory::list_candidates(&ctx, &c, &q).await
}

pub async fn approve_candidate(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<ApproveMemoryCandidateInput>,
) -> ApiResult<Outcome> {
    memory::approve_candidate(&ctx, &c, p.get("candidateId"), input).await
}

pub async fn reject_candidate(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<RejectMemoryCandidateInput>,
) -> ApiResult<Outcome> {
    memory::reject_candidate(&ctx, &c, p.get("candidateId"), input).await
}
