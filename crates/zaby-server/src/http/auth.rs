//! Credential extractors. Each route carries its table row ([`EndpointRef`]), which
//! says which credential it needs and, for runtime routes, which scope.

use axum::extract::FromRequestParts;
use http::request::Parts;
use zaby::endpoints::{Auth, Endpoint};

use crate::error::ApiError;
use crate::services::managed::runtime_auth::{self, RuntimeCaller};
use crate::services::{Caller, SharedCtx, auth};

/// The table row of the matched route, inserted by the router.
#[derive(Clone, Copy)]
pub struct EndpointRef(pub &'static Endpoint);

fn endpoint(parts: &Parts) -> Result<&'static Endpoint, ApiError> {
    parts
        .extensions
        .get::<EndpointRef>()
        .map(|e| e.0)
        .ok_or_else(|| ApiError::internal("route without endpoint metadata"))
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// API-key scopes a provisioning route needs (`docs/authentication.md`): any one of them.
pub fn key_scopes(ep: &Endpoint) -> &'static [&'static str] {
    if ep.id == "E80" {
        &["provisioning:manage", "mcp:invoke"]
    } else if ep.path.starts_with("/api/v1/provisioning/managed-agents/") {
        &["managed-agents:manage"]
    } else {
        &["provisioning:manage"]
    }
}

/// Runtime-token scope per runtime endpoint (`docs/api/runtime-runs.md`).
pub fn runtime_scope(ep: &Endpoint) -> &'static str {
    match ep.id {
        "E121" => "managed-agents:runtime:stream",
        "E123" | "E124" => "managed-agents:runtime:approve",
        "E125" => "managed-agents:runtime:feedback",
        _ => "managed-agents:runtime:run",
    }
}

/// A provisioning (API key) or tenant (access token) caller.
pub struct Authed(pub Caller);

impl FromRequestParts<SharedCtx> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let ep = endpoint(parts)?;
        let caller = match ep.auth {
            Auth::ApiKey => auth::api_key(ctx, header(parts, "x-zaby-api-key"), key_scopes(ep)).await?,
            Auth::Tenant => {
                auth::tenant_token(ctx, header(parts, "authorization"), header(parts, "x-tenant-id")).await?
            }
            Auth::None | Auth::Runtime => {
                return Err(ApiError::internal("route is not a provisioning or tenant route"));
            }
        };
        Ok(Authed(caller))
    }
}

/// A runtime caller that passed A.6 steps 1–9.
pub struct RuntimeAuthed(pub RuntimeCaller);

impl FromRequestParts<SharedCtx> for RuntimeAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let ep = endpoint(parts)?;
        let caller =
            runtime_auth::authenticate(ctx, header(parts, "authorization"), header(parts, "origin"), runtime_scope(ep))
                .await?;
        Ok(RuntimeAuthed(caller))
    }
}
