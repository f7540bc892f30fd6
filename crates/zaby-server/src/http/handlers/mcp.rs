//! `/api/v1/provisioning/agentic-os/mcp/…` (E68–E84).

use axum::extract::State;

use zaby::types::{AccessGrant, AuthPolicy, CredentialBinding, DeletedResponse};

use crate::error::ApiResult;
use crate::http::auth::Authed;
use crate::http::extract::{JsonBody, PathIds, QueryMap};
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::mcp::{calls, installations, servers};
use crate::services::{Outcome, SharedCtx};

/// 201 for what the request created, 200 for what it replaced.
fn upserted<T>(body: T, created: bool) -> Reply<T> {
    if created { Reply::Created(body) } else { Reply::Ok(body) }
}

pub async fn catalog(State(ctx): State<SharedCtx>, Authed(c): Authed, QueryMap(q): QueryMap) -> ApiResult<Outcome> {
    servers::catalog(&ctx, &c, &q).await
}

pub async fn create_server(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    servers::create(&ctx, &c, &b).await
}

pub async fn get_server(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    servers::get(&ctx, &c, p.get("serverId")).await
}

pub async fn update_server(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    servers::update(&ctx, &c, p.get("serverId"), &b).await
}

pub async fn discover_tools(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    servers::discover_tools(&ctx, &c, p.get("serverId")).await
}

pub async fn install(State(ctx): State<SharedCtx>, Authed(c): Authed, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    installations::install(&ctx, &c, &b).await
}

pub async fn list_installations(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    QueryMap(q): QueryMap,
) -> ApiResult<Outcome> {
    installations::list(&ctx, &c, &q).await
}

pub async fn update_installation(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    installations::update(&ctx, &c, p.get("installationId"), &b).await
}

pub async fn revoke_installation(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Outcome> {
    installations::revoke(&ctx, &c, p.get("installationId")).await
}

pub async fn installation_tools(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    QueryMap(q): QueryMap,
) -> ApiResult<Outcome> {
    installations::tools(&ctx, &c, p.get("installationId"), &q).await
}

pub async fn update_tool_policy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    installations::update_policy(&ctx, &c, p.get("installationId"), p.get("toolId"), &b).await
}

pub async fn preflight(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    calls::preflight(&ctx, &c, p.get("installationId"), p.get("toolName"), &b).await
}

pub async fn invoke(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    calls::invoke(&ctx, &c, p.get("installationId"), p.get("toolName"), &b).await
}

pub async fn create_binding(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Reply<CredentialBinding>> {
    let binding = installations::create_binding(&ctx, &c, p.get("installationId"), &b).await?;
    Ok(Reply::Created(wire::credential_binding(binding)))
}

pub async fn delete_binding(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
) -> ApiResult<Reply<DeletedResponse>> {
    Ok(Reply::Ok(wire::deleted(installations::delete_binding(&ctx, &c, p.get("bindingId")).await?)))
}

pub async fn upsert_auth_policy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Reply<AuthPolicy>> {
    let (policy, created) = installations::upsert_auth_policy(&ctx, &c, p.get("installationId"), &b).await?;
    Ok(upserted(wire::auth_policy(policy)?, created))
}

pub async fn grant_access(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Reply<AccessGrant>> {
    let (grant, created) = installations::grant_access(&ctx, &c, p.get("installationId"), &b).await?;
    Ok(upserted(wire::access_grant(grant)?, created))
}
