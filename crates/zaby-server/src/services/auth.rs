//! Authentication of provisioning (API key) and tenant (access token) calls.

use serde_json::json;

use super::{Caller, CallerKind, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::storage::tenancy;
use crate::util::clock::now_ms;
use crate::util::crypto::{ct_eq, sha256_hex};
use crate::util::ids::new_id;

pub const TENANT_AUDIENCE: &str = "zaby-tenant";
pub const ISSUER: &str = "zaby-server";

/// Whether a key holding `held` may use a route needing `needed` (`docs/api/types.md`).
pub fn scope_grants(held: &str, needed: &str) -> bool {
    if held == "*" || held == needed {
        return true;
    }
    match held.strip_suffix('*') {
        Some(prefix) if prefix.ends_with(':') => needed.starts_with(prefix),
        _ => false,
    }
}

/// Authenticates `x-zaby-api-key` and checks that it holds one of `needed`.
pub async fn api_key(ctx: &Ctx, presented: Option<&str>, needed: &[&str]) -> ApiResult<Caller> {
    let Some(presented) = presented.filter(|k| !k.is_empty() && k.len() <= 256) else {
        return Err(ApiError::unauthorized("missing API key (x-zaby-api-key)"));
    };
    let hash = sha256_hex(presented);
    let key = {
        let mut conn = ctx.db.read().await?;
        tenancy::find_key_by_hash(&mut conn, &hash).await?
    };
    let Some(key) = key.filter(|k| ct_eq(k.key_hash.as_bytes(), hash.as_bytes())) else {
        return Err(ApiError::unauthorized("unknown API key"));
    };
    let now = now_ms();
    if key.revoked_at.is_some() {
        return Err(ApiError::unauthorized("API key has been revoked"));
    }
    if key.expires_at.is_some_and(|e| now >= e) {
        return Err(ApiError::unauthorized("API key has expired"));
    }
    let allowed = needed.iter().any(|n| key.scopes.iter().any(|h| scope_grants(h, n)));
    if !allowed {
        return Err(ApiError::forbidden(
            "INSUFFICIENT_SCOPE",
            format!("API key lacks the scope {}", needed.join(" or ")),
        ));
    }
    Ok(Caller { tenant_id: key.tenant_id, kind: CallerKind::ApiKey })
}

/// Issues a tenant access token (`zaby-server tokens issue-tenant`).
pub async fn issue_tenant_token(ctx: &Ctx, tenant_id: &str, user: &str, ttl_seconds: i64) -> ApiResult<(String, i64)> {
    let iat = now_ms() / 1000;
    let exp = iat + ttl_seconds;
    let claims = json!({
        "iss": ISSUER,
        "sub": user,
        "ten": tenant_id,
        "aud": TENANT_AUDIENCE,
        "iat": iat,
        "exp": exp,
        "jti": new_id(),
    });
    Ok((ctx.signer.sign(&claims).await?, exp))
}

/// Authenticates `authorization: Bearer <tenant access token>` and the optional
/// `x-tenant-id`.
pub async fn tenant_token(ctx: &Ctx, authorization: Option<&str>, tenant_header: Option<&str>) -> ApiResult<Caller> {
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("missing tenant access token (authorization: Bearer …)"))?;
    let claims = ctx
        .signer
        .verify::<serde_json::Value>(token)
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid tenant access token"))?;
    if claims["aud"] != TENANT_AUDIENCE || claims["iss"] != ISSUER {
        return Err(ApiError::unauthorized("not a tenant access token"));
    }
    let exp = claims["exp"].as_i64().unwrap_or(0);
    if now_ms() / 1000 >= exp {
        return Err(ApiError::unauthorized("tenant access token has expired"));
    }
    // A token names its tenant and its user (`sub`); only the tenant decides access.
    let (Some(tenant_id), true) = (claims["ten"].as_str(), claims["sub"].is_string()) else {
        return Err(ApiError::unauthorized("invalid tenant access token"));
    };
    if let Some(h) = tenant_header
        && h != tenant_id
    {
        return Err(ApiError::unauthorized("x-tenant-id does not match the access token"));
    }
    let exists = {
        let mut conn = ctx.db.read().await?;
        tenancy::get_tenant(&mut conn, tenant_id).await?.is_some()
    };
    if !exists {
        return Err(ApiError::unauthorized("unknown tenant"));
    }
    Ok(Caller { tenant_id: tenant_id.to_string(), kind: CallerKind::Tenant })
}

#[cfg(test)]
mod tests {
    use super::scope_grants;

    #[test]
    fn wildcards() {
        assert!(scope_grants("*", "managed-agents:manage"));
        assert!(scope_grants("managed-agents:*", "managed-agents:manage"));
        assert!(!scope_grants("managed-agents:*", "provisioning:manage"));
        assert!(scope_grants("provisioning:manage", "provisioning:manage"));
        assert!(!scope_grants("provisioning:manage", "managed-agents:manage"));
        assert!(!scope_grants("mcp:invoke", "provisioning:manage"));
    }
}
