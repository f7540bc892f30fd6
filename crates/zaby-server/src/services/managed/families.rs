//! Token families (E29, E30) and grants (E35).

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, enum_param, list_body, page_request, str_param};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::storage::tokens::{self as store, FamilyFilter, FamilyRow, GrantRow};
use crate::util::clock::{iso, iso_opt, now_ms};
use crate::util::input::Fields;

pub async fn render_family(conn: &mut Conn, f: &FamilyRow) -> ApiResult<Value> {
    let (grants, active) = store::family_grant_counts(conn, &f.id, now_ms()).await?;
    Ok(json!({
        "id": f.id,
        "status": f.status,
        "name": f.name,
        "externalAppId": f.external_app_id,
        "deploymentId": f.deployment_id,
        "uniqueIdHash": f.unique_id_hash,
        "externalUserId": f.external_user_id,
        "grantCount": grants,
        "activeGrantCount": active,
        "createdAt": iso(f.created_at),
        "updatedAt": iso(f.updated_at),
        "revokedAt": iso_opt(f.revoked_at),
        "revokeReason": f.revoke_reason,
    }))
}

pub fn render_grant(g: &GrantRow) -> Value {
    let d = &g.doc;
    json!({
        "id": g.id,
        "tokenFamilyId": g.family_id,
        "externalAppId": g.external_app_id,
        "deploymentId": g.deployment_id,
        "quotaPolicyId": g.policy_id,
        "agentSessionId": g.session_id,
        "status": g.status(now_ms()),
        "scopes": g.scopes,
        "channel": g.channel,
        "externalUserId": d["externalUserId"],
        "uniqueIdHash": d["uniqueIdHash"],
        "externalSessionId": d["externalSessionId"],
        "externalConversationId": d["externalConversationId"],
        "displayName": d["displayName"],
        "locale": d["locale"],
        "timezone": d["timezone"],
        "metadata": d["metadata"],
        "maxUses": g.max_uses,
        "usedCount": g.used_count,
        "remainingUses": g.remaining_uses(),
        "expiresAt": iso(g.expires_at),
        "createdAt": iso(g.created_at),
        "revokedAt": iso_opt(g.revoked_at),
        "revokeReason": g.revoke_reason,
    })
}

pub async fn list(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let filter = FamilyFilter {
        external_app_id: str_param(q, "externalAppId"),
        deployment_id: str_param(q, "deploymentId"),
        status: enum_param(q, "status", &["ACTIVE", "REVOKED"])?,
        external_user_id: str_param(q, "externalUserId"),
    };
    let mut conn = ctx.db.read().await?;
    let rows = store::list_families(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for f in &rows.items {
        items.push(render_family(&mut conn, f).await?);
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

fn reason(body: &Value) -> ApiResult<Option<String>> {
    let mut f = Fields::new(body);
    let r = f.opt_text("reason", 1000);
    f.finish()?;
    Ok(r)
}

/// E30: revokes the family and all its grants at once; idempotent.
pub async fn revoke(ctx: &Ctx, caller: &Caller, family_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let fam = store::get_family(tx.conn(), &caller.tenant_id, family_id)
        .await?
        .ok_or_else(|| ApiError::not_found("token family"))?;
    let reason = reason(body)?;
    let count = store::revoke_family(tx.conn(), &caller.tenant_id, &fam.id, reason.as_deref(), now_ms()).await?;
    let fam = store::get_family(tx.conn(), &caller.tenant_id, family_id)
        .await?
        .ok_or_else(|| ApiError::not_found("token family"))?;
    tx.commit().await?;
    Ok(Outcome::Ok(json!({
        "tokenFamilyId": fam.id,
        "revokedAt": iso_opt(fam.revoked_at),
        "status": fam.status,
        "reason": fam.revoke_reason,
        "revokedGrantCount": count,
    })))
}

/// E35: revokes one grant; idempotent.
pub async fn revoke_grant(ctx: &Ctx, caller: &Caller, grant_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    if store::get_grant(tx.conn(), &caller.tenant_id, grant_id).await?.is_none() {
        return Err(ApiError::not_found("grant"));
    }
    let reason = reason(body)?;
    store::revoke_grant(tx.conn(), &caller.tenant_id, grant_id, reason.as_deref(), now_ms()).await?;
    let g =
        store::get_grant(tx.conn(), &caller.tenant_id, grant_id).await?.ok_or_else(|| ApiError::not_found("grant"))?;
    tx.commit().await?;
    Ok(Outcome::Ok(render_grant(&g)))
}
