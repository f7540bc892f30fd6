//! Token families (E29, E30) and grants (E35).

use zaby::types::{E29Query, RevokeFamilyInput, RevokeGrantInput};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::page::Page;
use crate::storage::tokens::{self as store, FamilyFilter, FamilyRow, GrantRow};
use crate::util::clock::now_ms;
use crate::util::input::Problems;

const REASON_MAX: usize = 1000;

/// A token family with its grant counts.
pub(crate) struct Family {
    pub(crate) row: FamilyRow,
    pub(crate) grant_count: i64,
    /// Grants usable now.
    pub(crate) active_grant_count: i64,
}

/// E29.
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, q: E29Query) -> ApiResult<Page<Family>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let filter = FamilyFilter {
        external_app_id: q.external_app_id,
        deployment_id: q.deployment_id,
        status: q.status.map(|s| s.as_str().to_string()),
        external_user_id: q.external_user_id,
    };
    let mut conn = ctx.db.read().await?;
    let rows = store::list_families(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let now = now_ms();
    let mut items = Vec::with_capacity(rows.items.len());
    for row in rows.items {
        let (grant_count, active_grant_count) = store::family_grant_counts(&mut conn, &row.id, now).await?;
        items.push(Family { row, grant_count, active_grant_count });
    }
    Ok(Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total })
}

fn check_reason(reason: Option<&str>) -> ApiResult<()> {
    let mut p = Problems::default();
    if let Some(r) = reason {
        p.text("reason", r, REASON_MAX, true);
    }
    p.finish()
}

/// A family revocation: the family as it is now and how many grants this call revoked.
pub(crate) struct Revocation {
    pub(crate) family: FamilyRow,
    pub(crate) revoked_grants: i64,
}

/// E30: revokes the family and all its grants at once; idempotent. The body is
/// checked after the family is found (404 first).
pub(crate) async fn revoke(
    ctx: &Ctx,
    caller: &Caller,
    family_id: &str,
    input: ApiResult<RevokeFamilyInput>,
) -> ApiResult<Revocation> {
    let mut tx = ctx.db.write().await?;
    let fam = store::get_family(tx.conn(), &caller.tenant_id, family_id)
        .await?
        .ok_or_else(|| ApiError::not_found("token family"))?;
    let reason = input?.reason;
    check_reason(reason.as_deref())?;
    let count = store::revoke_family(tx.conn(), &caller.tenant_id, &fam.id, reason.as_deref(), now_ms()).await?;
    let family = store::get_family(tx.conn(), &caller.tenant_id, family_id)
        .await?
        .ok_or_else(|| ApiError::not_found("token family"))?;
    tx.commit().await?;
    Ok(Revocation { family, revoked_grants: count as i64 })
}

/// E35: revokes one grant; idempotent. The body is checked after the grant is found.
pub(crate) async fn revoke_grant(
    ctx: &Ctx,
    caller: &Caller,
    grant_id: &str,
    input: ApiResult<RevokeGrantInput>,
) -> ApiResult<GrantRow> {
    let mut tx = ctx.db.write().await?;
    if store::get_grant(tx.conn(), &caller.tenant_id, grant_id).await?.is_none() {
        return Err(ApiError::not_found("grant"));
    }
    let reason = input?.reason;
    check_reason(reason.as_deref())?;
    store::revoke_grant(tx.conn(), &caller.tenant_id, grant_id, reason.as_deref(), now_ms()).await?;
    let g =
        store::get_grant(tx.conn(), &caller.tenant_id, grant_id).await?.ok_or_else(|| ApiError::not_found("grant"))?;
    tx.commit().await?;
    Ok(g)
}
