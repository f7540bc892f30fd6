//! The runtime check order of `docs/authentication.md`, steps 1–9, for every request under
//! `/api/v1/agent-runtime/`. Step 10 (endpoint checks) belongs to the handler.

use http::StatusCode;
use serde_json::json;

use super::tokens::RuntimeClaims;
use crate::error::{ApiError, ApiResult};
use crate::services::Ctx;
use crate::storage::Conn;
use crate::storage::apps::BindingRow;
use crate::storage::tokens::{self as store, GrantRow};
use crate::util::clock::now_ms;

/// A runtime caller that passed the token's checks ([`check`]); [`authenticate`] has
/// also taken its use ([`consume`]).
#[derive(Debug, Clone)]
pub struct RuntimeCaller {
    pub tenant_id: String,
    pub grant: GrantRow,
    pub binding: Option<BindingRow>,
}

impl RuntimeCaller {
    pub fn session_id(&self) -> &str {
        &self.grant.session_id
    }
}

fn revoked() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED", "the runtime token has been revoked")
}

fn exhausted() -> ApiError {
    ApiError::forbidden("MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED", "the runtime token has no uses left")
}

/// Every check, then one use consumed in its own transaction.
pub async fn authenticate(
    ctx: &Ctx,
    authorization: Option<&str>,
    origin: Option<&str>,
    scope: &str,
) -> ApiResult<RuntimeCaller> {
    let mut caller = check(ctx, authorization, origin, scope).await?;
    let mut tx = ctx.db.write().await?;
    consume(tx.conn(), &caller, now_ms()).await?;
    tx.commit().await?;
    caller.grant.used_count += 1;
    Ok(caller)
}

/// The checks that read only (steps 1–7).
pub async fn check(
    ctx: &Ctx,
    authorization: Option<&str>,
    origin: Option<&str>,
    scope: &str,
) -> ApiResult<RuntimeCaller> {
    // 1. A well-formed bearer token with a valid signature and a known grant.
    let bad = || ApiError::unauthorized("missing or invalid runtime token");
    let token = authorization
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 8192)
        .ok_or_else(bad)?;
    let claims = ctx.signer.verify::<RuntimeClaims>(token).await?.ok_or_else(bad)?;
    if claims.aud.is_some() || claims.iss != crate::services::auth::ISSUER {
        return Err(bad());
    }
    let mut conn = ctx.db.read().await?;
    let rows = store::runtime_auth_rows(&mut conn, &claims.ten, &claims.sub).await?.ok_or_else(bad)?;
    drop(conn);
    let grant = rows.grant;
    // 2. Grant and family not revoked.
    if grant.revoked_at.is_some() || !rows.family_active {
        return Err(revoked());
    }
    // 3. Not expired.
    let now = now_ms();
    if now >= grant.expires_at {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED",
            "the runtime token has expired",
        ));
    }
    // 4. Uses remaining.
    if grant.remaining_uses() == Some(0) {
        return Err(exhausted());
    }
    // 5. Scope.
    if !grant.scopes.iter().any(|s| s == scope) {
        return Err(ApiError::forbidden("INSUFFICIENT_SCOPE", format!("the runtime token lacks the scope {scope}")));
    }
    // 6. External app ACTIVE (playground tokens have none).
    let (app, binding) = match &grant.external_app_id {
        Some(_) => {
            let app = rows.app.ok_or_else(bad)?;
            super::tokens::check_app_active(&app)?;
            (Some(app), rows.binding)
        }
        None => (None, None),
    };
    // 7. Origin.
    if let (Some(origin), Some(app)) = (origin, &app) {
        let allowed = &app.doc.allowed_origins;
        if !allowed.is_empty() && !allowed.iter().any(|o| o == origin) {
            return Err(ApiError::forbidden(
                "ORIGIN_NOT_ALLOWED",
                format!("origin {origin} is not allowed for this external app"),
            ));
        }
    }
    Ok(RuntimeCaller { tenant_id: claims.ten, grant, binding })
}

/// Steps 8 + 9, the rate limit and one use, in the caller's transaction: a rejected
/// request consumes nothing, and a run start takes them in its own transaction, so a
/// start refused by its later checks consumes nothing either.
pub async fn consume(conn: &mut Conn, caller: &RuntimeCaller, now: i64) -> ApiResult<()> {
    let grant = &caller.grant;
    if !store::consume_use(conn, &grant.id).await? {
        let current = store::get_grant(conn, &caller.tenant_id, &grant.id).await?;
        return Err(match current {
            Some(g) if g.revoked_at.is_some() => revoked(),
            _ => exhausted(),
        });
    }
    if let Some(b) = &caller.binding
        && let Some(limit) = b.rate_limit_per_minute
    {
        let window = now - now.rem_euclid(60_000);
        if !store::hit_window(conn, &format!("binding:{}", b.id), window, limit).await? {
            let retry = ((window + 60_000 - now) as u64).div_ceil(1000).max(1);
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("more than {limit} runtime requests in this minute"),
            )
            .with_details(json!({ "limit": limit, "windowSeconds": 60 }))
            .with_retry_after(retry));
        }
    }
    store::log_runtime_request(conn, grant, now).await?;
    Ok(())
}
