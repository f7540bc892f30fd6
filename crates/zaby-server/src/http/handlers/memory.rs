//! `/api/v1/provisioning/agentic-os/agents/memory-…` (E85–E92).

use axum::extract::State;
use serde_json::Value;
use zaby::types::{
    self as types, ApproveMemoryCandidateInput, DeleteMemoryItemInput, DeletedResponse, DisableMemoryItemInput,
    MemoryCandidate, MemoryItem, MemoryRetrievalResult, MemoryRetrieveInput, RejectMemoryCandidateInput,
};

use crate::error::ApiResult;
use crate::http::auth::Authed;
use crate::http::extract::{Body, PathIds, Query};
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::{SharedCtx, memory};

type S = State<SharedCtx>;

pub async fn list_items(State(ctx): S, Authed(c): Authed, Query(q): Query<types::E85Query>) -> ApiResult<Reply<Value>> {
    let page = memory::list_items(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::memory_item)?))
}

pub async fn get_item(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<MemoryItem>> {
    Ok(Reply::Ok(wire::memory_item(memory::get_item(&ctx, &c, p.get("memoryItemId")).await?)?))
}

pub async fn disable_item(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<DisableMemoryItemInput>,
) -> ApiResult<Reply<MemoryItem>> {
    Ok(Reply::Ok(wire::memory_item(memory::disable_item(&ctx, &c, p.get("memoryItemId"), input).await?)?))
}

pub async fn delete_item(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<DeleteMemoryItemInput>,
) -> ApiResult<Reply<DeletedResponse>> {
    Ok(Reply::Ok(wire::deleted(memory::delete_item(&ctx, &c, p.get("memoryItemId"), input).await?)))
}

pub async fn retrieve(
    State(ctx): S,
    Authed(c): Authed,
    Body(input): Body<MemoryRetrieveInput>,
) -> ApiResult<Reply<MemoryRetrievalResult>> {
    Ok(Reply::Ok(wire::memory_retrieval(memory::retrieve(&ctx, &c, input).await?)?))
}

pub async fn list_candidates(
    State(ctx): S,
    Authed(c): Authed,
    Query(q): Query<types::E90Query>,
) -> ApiResult<Reply<Value>> {
    let page = memory::list_candidates(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::memory_candidate)?))
}

pub async fn approve_candidate(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<ApproveMemoryCandidateInput>,
) -> ApiResult<Reply<MemoryCandidate>> {
    Ok(Reply::Ok(wire::memory_candidate(memory::approve_candidate(&ctx, &c, p.get("candidateId"), input).await?)?))
}

pub async fn reject_candidate(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Body(input): Body<RejectMemoryCandidateInput>,
) -> ApiResult<Reply<MemoryCandidate>> {
    Ok(Reply::Ok(wire::memory_candidate(memory::reject_candidate(&ctx, &c, p.get("candidateId"), input).await?)?))
}
