//! Agent lifecycle routes, shared by provisioning (API key) and tenant (access
//! token) families: the credential extractor decides which applies.

use axum::extract::State;
use serde_json::Value;

use crate::error::ApiResult;
use crate::http::auth::Authed;
use crate::http::extract::{JsonBody, PathIds, QueryMap};
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::managed::{apps, tokens};
use crate::services::{Outcome, SharedCtx, agents, deployments};

pub async fn create(State(ctx): State<SharedCtx>, Authed(c): Authed, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    agents::create(&ctx, &c, &b).await
}

pub async fn list(State(ctx): State<SharedCtx>, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    agents::list(&ctx, &c, &q).await
}

pub async fn get(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    agents::get(&ctx, &c, p.get("agentId")).await
}

pub async fn update(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    agents::update(&ctx, &c, p.get("agentId"), &b).await
}

pub async fn delete(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    QueryMap(q): QueryMap,
) -> ApiResult<Outcome> {
    agents::delete(&ctx, &c, p.get("agentId"), &q).await
}

pub async fn publish(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    agents::publish(&ctx, &c, p.get("agentId")).await
}

pub async fn deploy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    deployments::create(&ctx, &c, p.get("agentId"), &b).await
}

pub async fn redeploy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    deployments::redeploy(&ctx, &c, p.get("agentId"), &b).await
}

pub async fn provisioning(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    deployments::provisioning(&ctx, &c, p.get("deploymentId")).await
}

pub async fn attach_mcp_tool(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    agents::attach_mcp_tool(&ctx, &c, p.get("agentId"), &b).await
}

pub async fn attach_knowledge_base(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    agents::attach_knowledge_base(&ctx, &c, p.get("agentId"), &b).await
}

pub async fn attach_skill(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    agents::attach_skill(&ctx, &c, p.get("agentId"), &b).await
}

pub async fn playground_token(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    tokens::playground(&ctx, &c, p.get("agentId"), &b).await
}

pub async fn playground_token_default(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
) -> ApiResult<Outcome> {
    tokens::playground_default(&ctx, &c, p.get("agentId")).await
}

pub async fn list_external_apps(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    QueryMap(q): QueryMap,
) -> ApiResult<Reply<Value>> {
    let page = apps::list(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::external_app)?))
}
