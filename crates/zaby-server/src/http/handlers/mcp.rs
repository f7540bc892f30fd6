//! `/api/v1/provisioning/agentic-os/mcp/…` (E68–E84).

use axum::extract::State;
use serde_json::Value;
use zaby::types::{
    self as types, AccessGrant, AccessGrantInput, AuthPolicy, AuthPolicyInput, CredentialBinding,
    CredentialBindingInput, DeletedResponse, InvokeToolInput, McpInstallInput, McpInstallation, McpInstallationTool,
    McpInstallationUpdateInput, McpServer, McpServerInput, McpServerUpdateInput, PreflightInput, PreflightResult,
    ToolDiscovery, ToolInvocationResult, ToolPolicyInput,
};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Authed;
use crate::http::extract::{Body, JsonBody, PathIds, Query, decode};
use crate::http::handlers::agents::after_path;
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::mcp::{calls, installations, servers};

type S = State<SharedCtx>;

/// 201 for what the request created, 200 for what it replaced.
fn upserted<T>(body: T, created: bool) -> Reply<T> {
    if created { Reply::Created(body) } else { Reply::Ok(body) }
}

/// The built-in server is shown at this origin.
fn origin(ctx: &SharedCtx) -> &str {
    &ctx.settings.public_origin
}

pub async fn catalog(State(ctx): S, Authed(c): Authed, Query(q): Query<types::E68Query>) -> ApiResult<Reply<Value>> {
    let page = servers::catalog(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::catalog_entry)?))
}

/// The value aliases of `transport` and `type` are read before the typed checks
/// (`servers::transport_aliases`).
pub async fn create_server(State(ctx): S, Authed(c): Authed, JsonBody(b): JsonBody) -> ApiResult<Reply<McpServer>> {
    let input: McpServerInput = decode("E69", servers::transport_aliases(b))?;
    let s = servers::create(&ctx, &c, input).await?;
    Ok(Reply::Created(wire::mcp_server(s, origin(&ctx))?))
}

pub async fn get_server(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<McpServer>> {
    let s = servers::get(&ctx, &c, p.get("serverId")).await?;
    Ok(Reply::Ok(wire::mcp_server(s, origin(&ctx))?))
}

/// As [`create_server`]; an unknown definition is a 404 before any 422.
pub async fn update_server(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Reply<McpServer>> {
    let input = decode::<McpServerUpdateInput>("E71", servers::transport_aliases(b));
    let s = servers::update(&ctx, &c, p.get("serverId"), input).await?;
    Ok(Reply::Ok(wire::mcp_server(s, origin(&ctx))?))
}

pub async fn discover_tools(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<ToolDiscovery>> {
    Ok(Reply::Ok(wire::tool_discovery(servers::discover_tools(&ctx, &c, p.get("serverId")).await?)?))
}

/// `serverId` is read as `serverDefinitionId` before the typed checks
/// (`installations::server_id_alias`).
pub async fn install(State(ctx): S, Authed(c): Authed, JsonBody(b): JsonBody) -> ApiResult<Reply<McpInstallation>> {
    let input: McpInstallInput = decode("E73", installations::server_id_alias(b))?;
    Ok(Reply::Created(wire::mcp_installation(installations::install(&ctx, &c, input).await?)?))
}

pub async fn list_installations(
    State(ctx): S,
    Authed(c): Authed,
    Query(q): Query<types::E74Query>,
) -> ApiResult<Reply<Value>> {
    let page = installations::list(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::mcp_installation)?))
}

/// An unknown installation is a 404 before any 422 ([`after_path`]).
pub async fn update_installation(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<McpInstallationUpdateInput>, ApiError>,
) -> ApiResult<Reply<McpInstallation>> {
    let i = installations::update(&ctx, &c, p.get("installationId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::mcp_installation(i)?))
}

pub async fn revoke_installation(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<McpInstallation>> {
    Ok(Reply::Ok(wire::mcp_installation(installations::revoke(&ctx, &c, p.get("installationId")).await?)?))
}

pub async fn installation_tools(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::ListQuery>,
) -> ApiResult<Reply<Value>> {
    let page = installations::tools(&ctx, &c, p.get("installationId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::installation_tool)?))
}

/// An unknown installation or tool is a 404 before any 422 ([`after_path`]).
pub async fn update_tool_policy(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<ToolPolicyInput>, ApiError>,
) -> ApiResult<Reply<McpInstallationTool>> {
    let t =
        installations::update_policy(&ctx, &c, p.get("installationId"), p.get("toolId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::installation_tool(t)?))
}

/// As [`update_tool_policy`].
pub async fn preflight(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<PreflightInput>, ApiError>,
) -> ApiResult<Reply<PreflightResult>> {
    let input = after_path(input)?;
    Ok(Reply::Ok(calls::preflight(&ctx, &c, p.get("installationId"), p.get("toolName"), input).await?))
}

/// As [`update_tool_policy`].
pub async fn invoke(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<InvokeToolInput>, ApiError>,
) -> ApiResult<Reply<ToolInvocationResult>> {
    let input = after_path(input)?;
    let done = calls::invoke(&ctx, &c, p.get("installationId"), p.get("toolName"), input).await?;
    Ok(Reply::Ok(wire::invocation(done)))
}

/// As [`update_installation`].
pub async fn create_binding(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<CredentialBindingInput>, ApiError>,
) -> ApiResult<Reply<CredentialBinding>> {
    let binding = installations::create_binding(&ctx, &c, p.get("installationId"), after_path(input)?).await?;
    Ok(Reply::Created(wire::credential_binding(binding)))
}

pub async fn delete_binding(State(ctx): S, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<DeletedResponse>> {
    Ok(Reply::Ok(wire::deleted(installations::delete_binding(&ctx, &c, p.get("bindingId")).await?)))
}

/// As [`update_installation`].
pub async fn upsert_auth_policy(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<AuthPolicyInput>, ApiError>,
) -> ApiResult<Reply<AuthPolicy>> {
    let (policy, created) =
        installations::upsert_auth_policy(&ctx, &c, p.get("installationId"), after_path(input)?).await?;
    Ok(upserted(wire::auth_policy(policy)?, created))
}

/// As [`update_installation`].
pub async fn grant_access(
    State(ctx): S,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<AccessGrantInput>, ApiError>,
) -> ApiResult<Reply<AccessGrant>> {
    let (grant, created) = installations::grant_access(&ctx, &c, p.get("installationId"), after_path(input)?).await?;
    Ok(upserted(wire::access_grant(grant)?, created))
}
