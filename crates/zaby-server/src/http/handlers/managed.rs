//! `/api/v1/provisioning/managed-agents/…`: external apps, runtime tokens,
//! policies, families, grants and usage.

use axum::extract::State;

use serde::de::DeserializeOwned;
use serde_json::Value;
use zaby::endpoints::EndpointId;
use zaby::types::{
    self as types, BindDeploymentInput, DeploymentBinding, ExternalApp, ExternalAppInput, ExternalAppUpdateInput,
    FamilyRevocation, Grant, RevokeFamilyInput, RevokeGrantInput, RotateRuntimeTokenInput, RuntimeTokenPolicy,
    RuntimeTokenPolicyInput, RuntimeTokenPolicyUpdateInput, RuntimeTokenResponse, TokenUsageReport,
};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Authed;
use crate::http::extract::{Body, JsonBody, PathIds, Query, decode};
use crate::http::handlers::agents::after_path;
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::managed::{apps, families, policies, token_usage, tokens};
use crate::util::clock::now_ms;

pub async fn list_apps(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E20Query>,
) -> ApiResult<Reply<Value>> {
    let page = apps::list(&ctx, &c, q).await?;
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

/// E24: 201 for a new binding, 200 when an existing one was updated. An unknown app
/// is a 404 before any 422.
pub async fn bind(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<BindDeploymentInput>, ApiError>,
) -> ApiResult<Reply<DeploymentBinding>> {
    let (binding, created) = apps::bind(&ctx, &c, p.get("externalAppId"), after_path(input)?).await?;
    let body = wire::deployment_binding(binding);
    Ok(if created { Reply::Created(body) } else { Reply::Ok(body) })
}

/// The body of E25 or E26 as endpoint `id`'s input type. The SDKs move
/// `externalAppId` out of the body into the path, while the catalogue's input type
/// requires it: the path's value stands in when the body names none (the path is
/// what the service uses).
fn app_body<T: DeserializeOwned>(id: EndpointId, app_id: &str, mut body: Value) -> ApiResult<T> {
    if let Some(map) = body.as_object_mut() {
        map.entry("externalAppId").or_insert_with(|| app_id.into());
    }
    decode(id.as_str(), body)
}

/// E25. A missing or `null` `quotaPolicyId` is not a type error but its own 422
/// (`QUOTA_POLICY_REQUIRED`, docs/api/runtime-tokens.md), which the service gives once
/// the other members pass: it reaches the service as empty.
pub async fn mint(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    body: Result<JsonBody, ApiError>,
) -> ApiResult<Reply<RuntimeTokenResponse>> {
    let app_id = p.get("externalAppId");
    let input = after_path(body.map(|JsonBody(b)| Body(b)))?.and_then(|mut b| {
        if b.get("quotaPolicyId").is_none_or(Value::is_null) {
            b["quotaPolicyId"] = "".into();
        }
        app_body(EndpointId::E25, app_id, b)
    });
    wire::minted(tokens::mint(&ctx, &c, app_id, input).await?)
}

pub async fn rotate_by_unique_id(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    body: Result<JsonBody, ApiError>,
) -> ApiResult<Reply<RuntimeTokenResponse>> {
    let app_id = p.get("externalAppId");
    let input = after_path(body.map(|JsonBody(b)| Body(b)))?.and_then(|b| app_body(EndpointId::E26, app_id, b));
    wire::minted(tokens::rotate_by_unique_id(&ctx, &c, app_id, input).await?)
}

pub async fn rotate(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Body(input): Body<RotateRuntimeTokenInput>,
) -> ApiResult<Reply<RuntimeTokenResponse>> {
    wire::minted(tokens::rotate(&ctx, &c, input).await?)
}

pub async fn list_families(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E29Query>,
) -> ApiResult<Reply<Value>> {
    let page = families::list(&ctx, &c, q).await?;
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
    Query(q): Query<types::E31Query>,
) -> ApiResult<Reply<Value>> {
    let page = policies::list(&ctx, &c, q).await?;
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
    Query(q): Query<types::E36Query>,
) -> ApiResult<Reply<TokenUsageReport>> {
    Ok(Reply::Ok(wire::token_usage(token_usage::report(&ctx, &c, q).await?)))
}
