//! Agent lifecycle routes, shared by provisioning (API key) and tenant (access
//! token) families: the credential extractor decides which applies.

use axum::extract::State;
use http::StatusCode;
use serde_json::Value;

use zaby::types::{
    self, AgentInput, AgentUpdateInput, AgentVersion, AttachKnowledgeBaseInput, AttachMcpToolInput, AttachSkillInput,
    DeletedResponse, DeployInput, Deployment, KnowledgeBaseAttachment, McpToolAttachment, PlaygroundRuntimeTokenInput,
    Provisioning, RedeployInput, RuntimeTokenResponse, SkillAttachment,
};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Authed;
use crate::http::extract::{Body, PathIds, Query};
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::managed::{apps, tokens};
use crate::services::{SharedCtx, agents, deployments};

/// A body for a route whose path names a resource: a malformed body (400, 413) is
/// answered at once, before the path is looked up, while a 422 about its members is
/// handed to the service, which answers it only once the resource is found (404 first).
pub(super) fn after_path<T>(input: Result<Body<T>, ApiError>) -> ApiResult<ApiResult<T>> {
    match input {
        Ok(Body(t)) => Ok(Ok(t)),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => Ok(Err(e)),
        Err(e) => Err(e),
    }
}

pub async fn create(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Body(input): Body<AgentInput>,
) -> ApiResult<Reply<types::Agent>> {
    let a = agents::create(&ctx, &c, input).await?;
    Ok(Reply::Created(wire::agent(a, &ctx.settings.runtime_url())?))
}

pub async fn list(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E3Query>,
) -> ApiResult<Reply<Value>> {
    let page = agents::list(&ctx, &c, &q).await?;
    let runtime_url = ctx.settings.runtime_url();
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, |a| wire::agent(a, &runtime_url))?))
}

pub async fn get(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<types::Agent>> {
    let a = agents::get(&ctx, &c, p.get("agentId")).await?;
    Ok(Reply::Ok(wire::agent(a, &ctx.settings.runtime_url())?))
}

/// An unknown agent is a 404 before any 422 about the body ([`after_path`]).
pub async fn update(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<AgentUpdateInput>, ApiError>,
) -> ApiResult<Reply<types::Agent>> {
    let a = agents::update(&ctx, &c, p.get("agentId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::agent(a, &ctx.settings.runtime_url())?))
}

pub async fn delete(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E6Query>,
) -> ApiResult<Reply<DeletedResponse>> {
    let force = q.force.unwrap_or(false);
    Ok(Reply::Ok(wire::deleted(agents::delete(&ctx, &c, p.get("agentId"), force).await?)))
}

/// 201 with a new version, 200 with the latest one when nothing changed.
pub async fn publish(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<AgentVersion>> {
    let agents::Published { version, created } = agents::publish(&ctx, &c, p.get("agentId")).await?;
    let version = wire::agent_version(version)?;
    Ok(if created { Reply::Created(version) } else { Reply::Ok(version) })
}

/// E8 / E104; an unknown agent is a 404 before any 422 ([`after_path`]).
pub async fn deploy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<DeployInput>, ApiError>,
) -> ApiResult<Reply<Deployment>> {
    let d = deployments::create(&ctx, &c, p.get("agentId"), after_path(input)?).await?;
    Ok(Reply::Created(wire::deployment(d, &ctx.settings.runtime_url())?))
}

/// E105, as [`deploy`].
pub async fn redeploy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<RedeployInput>, ApiError>,
) -> ApiResult<Reply<Deployment>> {
    let d = deployments::redeploy(&ctx, &c, p.get("agentId"), after_path(input)?).await?;
    Ok(Reply::Created(wire::deployment(d, &ctx.settings.runtime_url())?))
}

pub async fn provisioning(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
) -> ApiResult<Reply<Provisioning>> {
    let p = deployments::provisioning(&ctx, &c, p.get("deploymentId")).await?;
    Ok(Reply::Ok(wire::provisioning(p, &ctx.settings.runtime_url())?))
}

/// 201 for a new key, 200 when an attachment of that key was replaced.
fn attached<T>(a: agents::Attached<T>) -> Reply<T> {
    if a.replaced { Reply::Ok(a.attachment) } else { Reply::Created(a.attachment) }
}

pub async fn attach_mcp_tool(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<AttachMcpToolInput>, ApiError>,
) -> ApiResult<Reply<McpToolAttachment>> {
    Ok(attached(agents::attach_mcp_tool(&ctx, &c, p.get("agentId"), after_path(input)?).await?))
}

pub async fn attach_knowledge_base(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<AttachKnowledgeBaseInput>, ApiError>,
) -> ApiResult<Reply<KnowledgeBaseAttachment>> {
    Ok(attached(agents::attach_knowledge_base(&ctx, &c, p.get("agentId"), after_path(input)?).await?))
}

pub async fn attach_skill(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<AttachSkillInput>, ApiError>,
) -> ApiResult<Reply<SkillAttachment>> {
    Ok(attached(agents::attach_skill(&ctx, &c, p.get("agentId"), after_path(input)?).await?))
}

/// E14 / E118: an unknown agent is a 404 before any 422 about the body.
pub async fn playground_token(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<PlaygroundRuntimeTokenInput>, ApiError>,
) -> ApiResult<Reply<RuntimeTokenResponse>> {
    wire::minted(tokens::playground(&ctx, &c, p.get("agentId"), after_path(input)?).await?)
}

pub async fn playground_token_default(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
) -> ApiResult<Reply<RuntimeTokenResponse>> {
    Ok(Reply::Ok(wire::runtime_token(tokens::playground_default(&ctx, &c, p.get("agentId")).await?)?))
}

pub async fn list_external_apps(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E117Query>,
) -> ApiResult<Reply<Value>> {
    let types::E117Query { status, agent_id, cursor, limit, .. } = q;
    let q = types::E20Query { status, agent_id, cursor, limit, ..Default::default() };
    let page = apps::list(&ctx, &c, q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::external_app)?))
}
