//! Runtime-token usage report (E36).

use serde_json::{Value, json};

use super::paging::{Query, str_param};
use super::{Caller, Ctx, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::storage::policies::{self as policy_store, PolicyFilter};
use crate::storage::tokens::{self as store, UsageScope};
use crate::util::clock::{iso, now_ms, parse_bound};

const DAY_MS: i64 = 86_400_000;

/// Runs started and currently running under a scope. Runs are stored by the runs
/// domain, which is not part of this server yet; until then there are none. The
/// runs issue replaces this with a query on its table.
fn run_counts(_scope: &UsageScope, _from: i64, _to: i64) -> (i64, i64) {
    (0, 0)
}

pub async fn report(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let now = now_ms();
    let to = match q.get("to").filter(|s| !s.is_empty()) {
        Some(s) => parse_bound(s, true).ok_or_else(|| ApiError::invalid("to", "must be a timestamp or YYYY-MM-DD"))?,
        None => now,
    };
    let from = match q.get("from").filter(|s| !s.is_empty()) {
        Some(s) => {
            parse_bound(s, false).ok_or_else(|| ApiError::invalid("from", "must be a timestamp or YYYY-MM-DD"))?
        }
        None => to - DAY_MS,
    };
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
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
    let (runs_started, concurrent) = run_counts(&scope, from, to);
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
        let (runs, conc) = run_counts(&ps, from, to);
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
