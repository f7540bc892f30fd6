//! Credential extractors. Each route carries its table row ([`EndpointRef`]), which
//! says which credential it needs and, for runtime routes, which scope.

use axum::extract::FromRequestParts;
use http::request::Parts;
use zaby::endpoints::{Auth, Endpoint, EndpointId};

use crate::error::ApiError;
use crate::http::envelope::CallerTenant;
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
/// `None` for routes that take no API key. Every endpoint is listed, so a new one does
/// not compile until its scope is decided here.
pub(crate) fn key_scopes(id: EndpointId) -> Option<&'static [&'static str]> {
    use EndpointId::*;
    match id {
        E80 => Some(&["provisioning:manage", "mcp:invoke"]),
        E128 | E129 | E130 | E131 | E132 | E133 | E134 | E135 => Some(&["managed-agents:webhooks"]),
        E19 | E20 | E21 | E22 | E23 | E24 | E25 | E26 | E27 | E28 | E29 | E30 | E31 | E32 | E33 | E34 | E35 | E36 => {
            Some(&["managed-agents:manage"])
        }
        E2 | E3 | E4 | E5 | E6 | E7 | E8 | E9 | E10 | E11 | E12 | E13 | E14 | E15 | E16 | E17 | E18 | E37 | E38
        | E39 | E40 | E41 | E42 | E43 | E44 | E45 | E46 | E47 | E48 | E49 | E50 | E51 | E52 | E53 | E54 | E55 | E56
        | E57 | E58 | E59 | E60 | E61 | E62 | E63 | E64 | E65 | E66 | E67 | E68 | E69 | E70 | E71 | E72 | E73 | E74
        | E75 | E76 | E77 | E78 | E79 | E81 | E82 | E83 | E84 | E85 | E86 | E87 | E88 | E89 | E90 | E91 | E92 | E93
        | E94 | E95 | E96 | E97 | E127 => Some(&["provisioning:manage"]),
        E1 | E98 | E99 | E100 | E101 | E102 | E103 | E104 | E105 | E106 | E107 | E108 | E109 | E110 | E111 | E112
        | E113 | E114 | E115 | E116 | E117 | E118 | E119 | E120 | E121 | E122 | E123 | E124 | E125 | E126 => None,
    }
}

/// Runtime-token scope per runtime endpoint (`docs/api/runtime-runs.md`); `None` for
/// routes that take no runtime token. Every endpoint is listed, as in [`key_scopes`].
pub(crate) fn runtime_scope(id: EndpointId) -> Option<&'static str> {
    use EndpointId::*;
    match id {
        E121 => Some("managed-agents:runtime:stream"),
        E123 | E124 => Some("managed-agents:runtime:approve"),
        E125 => Some("managed-agents:runtime:feedback"),
        E119 | E120 | E122 | E126 => Some("managed-agents:runtime:run"),
        E1 | E2 | E3 | E4 | E5 | E6 | E7 | E8 | E9 | E10 | E11 | E12 | E13 | E14 | E15 | E16 | E17 | E18 | E19
        | E20 | E21 | E22 | E23 | E24 | E25 | E26 | E27 | E28 | E29 | E30 | E31 | E32 | E33 | E34 | E35 | E36 | E37
        | E38 | E39 | E40 | E41 | E42 | E43 | E44 | E45 | E46 | E47 | E48 | E49 | E50 | E51 | E52 | E53 | E54 | E55
        | E56 | E57 | E58 | E59 | E60 | E61 | E62 | E63 | E64 | E65 | E66 | E67 | E68 | E69 | E70 | E71 | E72 | E73
        | E74 | E75 | E76 | E77 | E78 | E79 | E80 | E81 | E82 | E83 | E84 | E85 | E86 | E87 | E88 | E89 | E90 | E91
        | E92 | E93 | E94 | E95 | E96 | E97 | E98 | E99 | E100 | E101 | E102 | E103 | E104 | E105 | E106 | E107
        | E108 | E109 | E110 | E111 | E112 | E113 | E114 | E115 | E116 | E117 | E118 | E127 | E128 | E129 | E130
        | E131 | E132 | E133 | E134 | E135 => None,
    }
}

/// A provisioning (API key) or tenant (access token) caller.
pub struct Authed(pub Caller);

impl FromRequestParts<SharedCtx> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let ep = endpoint(parts)?;
        let caller = match ep.auth {
            Auth::ApiKey => {
                let scopes =
                    key_scopes(ep.endpoint_id()).ok_or_else(|| ApiError::internal("API-key route without scopes"))?;
                auth::api_key(ctx, header(parts, "x-zaby-api-key"), scopes).await?
            }
            Auth::Tenant => {
                auth::tenant_token(ctx, header(parts, "authorization"), header(parts, "x-tenant-id")).await?
            }
            Auth::None | Auth::Runtime => {
                return Err(ApiError::internal("route is not a provisioning or tenant route"));
            }
        };
        if let Some(slot) = parts.extensions.get::<CallerTenant>() {
            slot.set(&caller.tenant_id);
        }
        Ok(Authed(caller))
    }
}

/// A runtime caller that passed every token check of docs/authentication.md, through the rate limit.
pub struct RuntimeAuthed(pub RuntimeCaller);

impl FromRequestParts<SharedCtx> for RuntimeAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let ep = endpoint(parts)?;
        let scope =
            runtime_scope(ep.endpoint_id()).ok_or_else(|| ApiError::internal("route is not a runtime route"))?;
        let caller =
            runtime_auth::authenticate(ctx, header(parts, "authorization"), header(parts, "origin"), scope).await?;
        Ok(RuntimeAuthed(caller))
    }
}

/// A runtime caller that passed the token checks that read only; the handler takes the
/// rate limit and the use in its own transaction (`runtime_auth::consume`), so that a
/// request its later checks refuse consumes nothing (run starts).
pub struct RuntimeChecked(pub RuntimeCaller);

impl FromRequestParts<SharedCtx> for RuntimeChecked {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, ctx: &SharedCtx) -> Result<Self, Self::Rejection> {
        let ep = endpoint(parts)?;
        let scope =
            runtime_scope(ep.endpoint_id()).ok_or_else(|| ApiError::internal("route is not a runtime route"))?;
        let caller = runtime_auth::check(ctx, header(parts, "authorization"), header(parts, "origin"), scope).await?;
        Ok(RuntimeChecked(caller))
    }
}

#[cfg(test)]
mod tests {
    use zaby::endpoints::{Auth, EndpointId};

    use super::{key_scopes, runtime_scope};

    /// The scope tables agree with the endpoint table: API-key routes and only they have
    /// key scopes, runtime routes and only they have a runtime scope.
    #[test]
    fn scopes_follow_each_endpoints_credential() {
        for &id in EndpointId::ALL {
            let ep = id.endpoint();
            assert_eq!(key_scopes(id).is_some(), ep.auth == Auth::ApiKey, "{}", ep.id);
            assert_eq!(runtime_scope(id).is_some(), ep.auth == Auth::Runtime, "{}", ep.id);
        }
    }

    /// Managed-agents paths need `managed-agents:manage`, but webhooks their own
    /// `managed-agents:webhooks`; MCP invoke also takes `mcp:invoke`; every other
    /// API-key route needs `provisioning:manage`.
    #[test]
    fn key_scopes_follow_the_path_family() {
        for &id in EndpointId::ALL {
            let ep = id.endpoint();
            let Some(scopes) = key_scopes(id) else { continue };
            let expected: &[&str] = if id == EndpointId::E80 {
                &["provisioning:manage", "mcp:invoke"]
            } else if ep.path.starts_with("/api/v1/provisioning/managed-agents/webhooks") {
                &["managed-agents:webhooks"]
            } else if ep.path.starts_with("/api/v1/provisioning/managed-agents/") {
                &["managed-agents:manage"]
            } else {
                &["provisioning:manage"]
            };
            assert_eq!(scopes, expected, "{}", ep.id);
        }
    }
}
