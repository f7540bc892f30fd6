//! `/api/v1/provisioning/managed-agents/webhooks…` (E128–E135): webhook endpoints and
//! their deliveries.

use axum::extract::State;
use serde_json::Value;
use zaby::types::{
    self as types, DeletedResponse, WebhookDelivery, WebhookEndpoint, WebhookEndpointInput, WebhookEndpointUpdateInput,
};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::Authed;
use crate::http::extract::{Body, PathIds, Query};
use crate::http::handlers::agents::after_path;
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::webhooks;

pub async fn create(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Body(input): Body<WebhookEndpointInput>,
) -> ApiResult<Reply<WebhookEndpoint>> {
    Ok(Reply::Created(wire::webhook_endpoint(webhooks::create(&ctx, &c, input).await?)))
}

pub async fn list(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::ListQuery>,
) -> ApiResult<Reply<Value>> {
    let page = webhooks::list(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, |e| Ok(wire::webhook_endpoint(e)))?))
}

pub async fn get(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<WebhookEndpoint>> {
    Ok(Reply::Ok(wire::webhook_endpoint(webhooks::get(&ctx, &c, p.get("webhookId")).await?)))
}

/// An unknown endpoint is a 404 before any 422 about the body ([`after_path`]).
pub async fn update(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    input: Result<Body<WebhookEndpointUpdateInput>, ApiError>,
) -> ApiResult<Reply<WebhookEndpoint>> {
    let e = webhooks::update(&ctx, &c, p.get("webhookId"), after_path(input)?).await?;
    Ok(Reply::Ok(wire::webhook_endpoint(e)))
}

pub async fn delete(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<DeletedResponse>> {
    Ok(Reply::Ok(wire::deleted(webhooks::delete(&ctx, &c, p.get("webhookId")).await?)))
}

pub async fn rotate_secret(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
) -> ApiResult<Reply<WebhookEndpoint>> {
    Ok(Reply::Ok(wire::webhook_endpoint(webhooks::rotate_secret(&ctx, &c, p.get("webhookId")).await?)))
}

pub async fn list_deliveries(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E134Query>,
) -> ApiResult<Reply<Value>> {
    let page = webhooks::list_deliveries(&ctx, &c, p.get("webhookId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::webhook_delivery)?))
}

pub async fn redeliver(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
) -> ApiResult<Reply<WebhookDelivery>> {
    let d = webhooks::redeliver(&ctx, &c, p.get("webhookId"), p.get("deliveryId")).await?;
    Ok(Reply::Ok(wire::webhook_delivery(d)?))
}
