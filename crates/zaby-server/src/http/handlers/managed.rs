//! `/api/v1/provisioning/managed-agents/…`: external apps, runtime tokens,
//! policies, families, grants and usage.

use axum::extract::State;

use serde_json::Value;
use zaby::types::{
    ExternalApp, ExternalAppInput, ExternalAppUpdateInput, FamilyRevocation, Grant, RevokeFamilyInput,
    RevokeGrantInput, RuntimeTokenPolicy, RuntimeTokenPolicyInput, RuntimeTokenPolicyUpdateInput, TokenUsageReport,
};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Authed;
use crate::http::extract::{Body, JsonBody, PathIds, QueryMap};
use crate::http::handlers::agents::after_path;
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::managed::{apps, families, policies, token_usage, tokens};
use crate::services::{Outcome, SharedCtx};
use crate::util::clock::now_ms;

pub async fn list_apps(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    QueryMap(q): QueryMap,
) -> ApiResult<Reply<Value>> {
    let page = apps::list(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::external_app)?))
}

pub async fn create_app(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Body(input): Body<ExternalAppInput>,
) -> ApiResult<Reply<ExternalApp>> {
    Ok(Reply::Created(wire::external_app(apps::create(&ctx, &c, input).await?)?))
}

pub async fn get_app(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<ExternalApp>> {
    Ok(Reply::Ok(wire::external_app(apps::get(&ctx, &c, p.get("externalAppId")).await?)?))
}

/// An unknown app is a 404 before any 422 about the body ([`after_path`]).
pub async fn update_app(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<ExternalAppUpdateInput>, ApiError>,
) -> ApiResult<Reply<ExternalApp>> {
    let app = apps::update(&ctx, &c, p.get("externalAppId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::external_app(app)?))
}

pub async fn bind(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    apps::bind(&ctx, &c, p.get("externalAppId"), &b).await
}

pub async fn mint(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    tokens::mint(&ctx, &c, p.get("externalAppId"), &b).await
}

pub async fn rotate_by_unique_id(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    JsonBody(b): JsonBody,
) -> ApiResult<Outcome> {
    tokens::rotate_by_unique_id(&ctx, &c, p.get("externalAppId"), &b).await
}

pub async fn rotate(State(ctx): State<SharedCtx>, Authed(c): Authed, JsonBody(b): JsonBody) -> ApiResult<Outcome> {
    tokens::rotate(&ctx, &c, &b).await
}

pub async fn list_families(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    QueryMap(q): QueryMap,
) -> ApiResult<Reply<Value>> {
    let page = families::list(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::token_family)?))
}

/// As [`update_app`]: an unknown family is a 404 before any 422.
pub async fn revoke_family(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<RevokeFamilyInput>, ApiError>,
) -> ApiResult<Reply<FamilyRevocation>> {
    let r = families::revoke(&ctx, &c, p.get("tokenFamilyId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::family_revocation(r)))
}

pub async fn list_policies(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    QueryMap(q): QueryMap,
) -> ApiResult<Reply<Value>> {
    let page = policies::list(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::policy)?))
}

pub async fn create_policy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Body(input): Body<RuntimeTokenPolicyInput>,
) -> ApiResult<Reply<RuntimeTokenPolicy>> {
    Ok(Reply::Created(wire::policy(policies::create(&ctx, &c, input).await?)?))
}

pub async fn get_policy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
) -> ApiResult<Reply<RuntimeTokenPolicy>> {
    Ok(Reply::Ok(wire::policy(policies::get(&ctx, &c, p.get("policyId")).await?)?))
}

/// As [`update_app`]: an unknown policy is a 404 before any 422.
pub async fn update_policy(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<RuntimeTokenPolicyUpdateInput>, ApiError>,
) -> ApiResult<Reply<RuntimeTokenPolicy>> {
    let policy = policies::update(&ctx, &c, p.get("policyId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::policy(policy)?))
}

/// As [`update_app`]: an unknown grant is a 404 before any 422.
pub async fn revoke_grant(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<RevokeGrantInput>, ApiError>,
) -> ApiResult<Reply<Grant>> {
    let g = families::revoke_grant(&ctx, &c, p.get("grantId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::grant(g, now_ms())?))
}

pub async fn usage(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    QueryMap(q): QueryMap,
) -> ApiResult<Reply<TokenUsageReport>> {
    Ok(Reply::Ok(wire::token_usage(token_usage::report(&ctx, &c, &q).await?)))
}
