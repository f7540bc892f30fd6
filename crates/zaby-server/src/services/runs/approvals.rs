//! Approvals (`docs/api/approvals.md`, `docs/api/runtime-approvals.md`): listing, deciding (API key, tenant, runtime),
//! expiry. A decision moves the run from WAITING_FOR_APPROVAL back to RUNNING with no
//! lease, in the same transaction, so the next executor poll resumes it.

use zaby::types::{ApprovalDecisionInput, ApprovalStatus, E37Query, RunStatus};

use super::{Reader, load_visible, signals};
use crate::error::{ApiError, ApiResult};
use crate::services::managed::runtime_auth::RuntimeCaller;
use crate::services::paging::page_of;
use crate::services::webhooks::outbox;
use crate::services::{Caller, CallerKind, Ctx};
use crate::storage::page::Page;
use crate::storage::runs::{self as store, ApprovalFilter, ApprovalRow};
use crate::storage::sql::{Conn, lock_row};
use crate::util::clock::now_ms;
use crate::util::input::Problems;

/// E37.
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, q: &E37Query) -> ApiResult<Page<ApprovalRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.as_ref().unwrap_or(&ApprovalStatus::Pending).as_str().to_string();
    let af = ApprovalFilter { status: Some(status), agent_id: q.agent_id.clone(), run_id: q.run_id.clone() };
    let mut conn = ctx.db.read().await?;
    Ok(store::list_approvals(&mut conn, &caller.tenant_id, &af, &page).await?)
}

/// Who decides.
pub enum Decider<'a> {
    Managed(&'a Caller),
    Runtime(&'a RuntimeCaller),
}

/// E38/E39, E111/E112, E123/E124.
pub(crate) async fn decide(
    ctx: &Ctx,
    who: Decider<'_>,
    run_id: &str,
    approval_id: &str,
    body: ApprovalDecisionInput,
    approve: bool,
) -> ApiResult<ApprovalRow> {
    let ApprovalDecisionInput { reason, decided_by, .. } = body;
    let mut p = Problems::default();
    if let Some(r) = &reason {
        p.text("reason", r, 2000, true);
    }
    // The runtime routes take `reason` only: a runtime caller does not name the decider.
    let decided_by_in = match who {
        Decider::Managed(_) => decided_by,
        Decider::Runtime(_) => None,
    };
    if let Some(d) = &decided_by_in {
        p.text("decidedBy", d, 200, false);
    }
    p.finish()?;
    let (reader, decided_by) = match &who {
        Decider::Managed(c) => {
            let default = match c.kind {
                CallerKind::ApiKey => "api-key",
                CallerKind::Tenant => "tenant",
            };
            (Reader::Tenant(&c.tenant_id), decided_by_in.unwrap_or_else(|| default.to_string()))
        }
        Decider::Runtime(rc) => (Reader::Runtime(rc), "runtime".to_string()),
    };
    let now = now_ms();
    let mut tx = ctx.db.write().await?;
    lock_row(tx.conn(), "runs", run_id).await?;
    let run = load_visible(tx.conn(), &reader, run_id).await?;
    let approval = match store::get_approval(tx.conn(), &run.tenant_id, approval_id).await? {
        Some(a) if a.run_id == run.id => a,
        _ => return Err(ApiError::not_found("approval")),
    };
    if let Decider::Runtime(rc) = &who
        && rc.binding.as_ref().is_some_and(|b| !b.allow_approvals)
    {
        return Err(ApiError::forbidden(
            "APPROVALS_NOT_ALLOWED",
            "the deployment binding does not allow approvals with runtime tokens",
        ));
    }
    if approval.status != ApprovalStatus::Pending.as_str() {
        return Err(ApiError::conflict(
            "APPROVAL_ALREADY_DECIDED",
            format!("the approval is already {}", approval.status),
        ));
    }
    let status = if approve { "APPROVED" } else { "REJECTED" };
    if !store::decide_approval(tx.conn(), &approval.id, status, reason.as_deref(), Some(&decided_by), now).await? {
        return Err(ApiError::conflict("APPROVAL_ALREADY_DECIDED", "the approval was decided concurrently"));
    }
    store::resume(tx.conn(), &run.id, RunStatus::WaitingForApproval, now).await?;
    signals::approval_decided(tx.conn(), &run, &approval, status, now).await?;
    let decided = store::get_approval(tx.conn(), &run.tenant_id, &approval.id)
        .await?
        .ok_or_else(|| ApiError::not_found("approval"))?;
    record_decided(tx.conn(), &run.tenant_id, decided.clone()).await?;
    tx.commit().await?;
    ctx.runs.notify(&run.id);
    ctx.runs.wakeup.notify_one();
    Ok(decided)
}

/// Expires PENDING approvals past `ZABY_APPROVAL_TTL_S`; their runs continue as if
/// rejected (reason `"expired"`).
pub async fn expire_due(ctx: &Ctx) -> ApiResult<()> {
    let due = {
        let mut conn = ctx.db.read().await?;
        store::expired_approvals(&mut conn, now_ms(), 100).await?
    };
    for (id, tenant) in due {
        let now = now_ms();
        let mut tx = ctx.db.write().await?;
        let Some(a) = store::get_approval(tx.conn(), &tenant, &id).await? else { continue };
        lock_row(tx.conn(), "runs", &a.run_id).await?;
        if !store::decide_approval(tx.conn(), &a.id, "EXPIRED", Some("expired"), None, now).await? {
            continue;
        }
        store::resume(tx.conn(), &a.run_id, RunStatus::WaitingForApproval, now).await?;
        if let Some(run) = store::get(tx.conn(), &tenant, &a.run_id).await? {
            signals::approval_decided(tx.conn(), &run, &a, "EXPIRED", now).await?;
        }
        if let Some(expired) = store::get_approval(tx.conn(), &tenant, &a.id).await? {
            record_decided(tx.conn(), &tenant, expired).await?;
        }
        tx.commit().await?;
        ctx.runs.notify(&a.run_id);
        ctx.runs.wakeup.notify_one();
    }
    Ok(())
}

/// `approval.decided` to the webhook outbox, with the approval and its run as the
/// deciding transaction leaves them (the run back to RUNNING).
async fn record_decided(conn: &mut Conn, tenant_id: &str, decided: ApprovalRow) -> ApiResult<()> {
    let Some(run) = store::get(conn, tenant_id, &decided.run_id).await? else { return Ok(()) };
    outbox::record_approval(conn, &run, decided).await
}
