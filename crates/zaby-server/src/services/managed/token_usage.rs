//! Runtime-token usage report (E36).

use crate::error::ApiResult;
use crate::services::paging::time_window;
use crate::services::{Caller, Ctx};
use crate::storage::policies::{self as policy_store, PolicyFilter, PolicyRow};
use crate::storage::tokens::{self as store, UsageScope};
use crate::util::clock::now_ms;
use zaby::types::E36Query;

const DAY_MS: i64 = 86_400_000;

/// Runs started in `[from, to]` and runs live now (QUEUED, RUNNING or
/// WAITING_FOR_APPROVAL) under a scope, from the runs table.
async fn run_counts(
    conn: &mut crate::storage::Conn,
    tenant_id: &str,
    scope: &UsageScope,
    from: i64,
    to: i64,
) -> ApiResult<(i64, i64)> {
    let mut f = crate::storage::sql::Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = &scope.external_app_id {
        f.eq("external_app_id", a.as_str());
    }
    if let Some(d) = &scope.deployment_id {
        f.eq("deployment_id", d.as_str());
    }
    if let Some(p) = &scope.policy_id {
        f.eq("policy_id", p.as_str());
    }
    if let Some(a) = &scope.agent_id {
        f.eq("agent_id", a.as_str());
    }
    Ok(crate::storage::runs::usage_counts(conn, &f, from, to).await?)
}

/// What was counted under one scope in the window.
pub(crate) struct Counts {
    pub(crate) tokens_issued: i64,
    pub(crate) runtime_requests: i64,
    pub(crate) runs_started: i64,
    /// Runs live now.
    pub(crate) concurrent_runs: i64,
}

/// The E36 report: the filters (echoed), the window, the totals and one entry per
/// matching policy.
pub(crate) struct Usage {
    pub(crate) scope: UsageScope,
    pub(crate) from: i64,
    pub(crate) to: i64,
    pub(crate) totals: Counts,
    /// Grants usable now, under the whole scope.
    pub(crate) active_grants: i64,
    pub(crate) windows: Vec<(PolicyRow, Counts)>,
}

async fn counts(
    conn: &mut crate::storage::Conn,
    tenant_id: &str,
    scope: &UsageScope,
    from: i64,
    to: i64,
) -> ApiResult<Counts> {
    let (runs_started, concurrent_runs) = run_counts(conn, tenant_id, scope, from, to).await?;
    Ok(Counts {
        tokens_issued: store::count_grants(conn, tenant_id, scope, from, to).await?,
        runtime_requests: store::count_requests(conn, tenant_id, scope, from, to).await?,
        runs_started,
        concurrent_runs,
    })
}

/// E36.
pub(crate) async fn report(ctx: &Ctx, caller: &Caller, q: E36Query) -> ApiResult<Usage> {
    let now = now_ms();
    let (from, to) = time_window(q.from.as_deref(), q.to.as_deref(), now, DAY_MS)?;
    // Within 1–100: `http::extract::Query` checks the catalogue's bounds.
    let limit = q.limit.unwrap_or(20);
    let scope = UsageScope {
        external_app_id: q.external_app_id,
        deployment_id: q.deployment_id,
        agent_id: q.agent_id,
        policy_id: q.quota_policy_id,
    };
    let mut conn = ctx.db.read().await?;
    let t = &caller.tenant_id;
    let totals = counts(&mut conn, t, &scope, from, to).await?;
    let active_grants = store::count_active_grants(&mut conn, t, &scope, now).await?;
    let pf = PolicyFilter {
        external_app_id: scope.external_app_id.clone(),
        deployment_id: scope.deployment_id.clone(),
        agent_id: scope.agent_id.clone(),
        ids: scope.policy_id.clone().map(|p| vec![p]),
        ..Default::default()
    };
    let mut windows = Vec::new();
    for p in policy_store::matching(&mut conn, t, &pf, limit).await? {
        let ps = UsageScope { policy_id: Some(p.id.clone()), ..Default::default() };
        let c = counts(&mut conn, t, &ps, from, to).await?;
        windows.push((p, c));
    }
    Ok(Usage { scope, from, to, totals, active_grants, windows })
}
