//! Runtime-token usage report (E36).

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, str_param, time_window};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::policies::{self as policy_store, PolicyFilter};
use crate::storage::tokens::{self as store, UsageScope};
use crate::util::clock::{iso, now_ms};

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

pub async fn report(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let now = now_ms();
    let (from, to) = time_window(q, now, DAY_MS)?;
    let limit = match q.get("limit") {
        None => 20,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return Err(ApiError::invalid("limit", "must be an integer between 1 and 100")),
        },
    };
    let scope = UsageScope {
        external_app_id: str_param(q, "externalAppId"),
        deployment_id: str_param(q, "deploymentId"),
        agent_id: str_param(q, "agentId"),
        policy_id: str_param(q, "quotaPolicyId"),
    };
    let mut conn = ctx.db.read().await?;
    let t = &caller.tenant_id;
    let (runs_started, concurrent) = run_counts(&mut conn, t, &scope, from, to).await?;
    let totals = json!({
        "tokensIssued": store::count_grants(&mut conn, t, &scope, from, to).await?,
        "activeGrants": store::count_active_grants(&mut conn, t, &scope, now).await?,
        "runtimeRequests": store::count_requests(&mut conn, t, &scope, from, to).await?,
        "runsStarted": runs_started,
        "concurrentRuns": concurrent,
    });
    let pf = PolicyFilter {
        external_app_id: scope.external_app_id.clone(),
        deployment_id: scope.deployment_id.clone(),
        agent_id: scope.agent_id.clone(),
        ids: scope.policy_id.clone().map(|p| vec![p]),
        ..Default::default()
    };
    let mut windows: Vec<Value> = Vec::new();
    for p in policy_store::matching(&mut conn, t, &pf, limit).await? {
        let ps = UsageScope { policy_id: Some(p.id.clone()), ..Default::default() };
        let (runs, conc) = run_counts(&mut conn, t, &ps, from, to).await?;
        windows.push(json!({
            "quotaPolicyId": p.id,
            "policyName": p.name,
            "windowStart": iso(from),
            "windowEnd": iso(to),
            "maxConcurrentRuns": p.doc["maxConcurrentRuns"],
            "concurrentRuns": conc,
            "maxUsesPerToken": p.doc["maxUsesPerToken"],
            "tokensIssued": store::count_grants(&mut conn, t, &ps, from, to).await?,
            "runtimeRequests": store::count_requests(&mut conn, t, &ps, from, to).await?,
            "runsStarted": runs,
        }));
    }
    Ok(Outcome::Ok(json!({
        "externalAppId": scope.external_app_id,
        "deploymentId": scope.deployment_id,
        "agentId": scope.agent_id,
        "quotaPolicyId": scope.policy_id,
        "from": iso(from),
        "to": iso(to),
        "totals": totals,
        "quotaWindows": windows,
    })))
}
