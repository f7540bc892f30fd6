//! `TokenUsageReport` (E36).

use serde_json::Map;
use zaby::types::{QuotaWindow, TokenUsageReport, TokenUsageTotals};

use crate::services::managed::token_usage::Usage;
use crate::util::clock::iso;

/// `TokenUsageReport`.
pub(crate) fn token_usage(u: Usage) -> TokenUsageReport {
    let Usage { scope, from, to, totals, active_grants, windows } = u;
    let (window_start, window_end) = (iso(from), iso(to));
    TokenUsageReport {
        external_app_id: scope.external_app_id,
        deployment_id: scope.deployment_id,
        agent_id: scope.agent_id,
        quota_policy_id: scope.policy_id,
        totals: Some(TokenUsageTotals {
            tokens_issued: totals.tokens_issued,
            active_grants,
            runtime_requests: totals.runtime_requests,
            runs_started: totals.runs_started,
            concurrent_runs: totals.concurrent_runs,
            extra: Map::new(),
        }),
        quota_windows: windows
            .into_iter()
            .map(|(p, c)| QuotaWindow {
                max_concurrent_runs: p.int("maxConcurrentRuns"),
                max_uses_per_token: p.int("maxUsesPerToken"),
                quota_policy_id: p.id,
                policy_name: p.name,
                window_start: window_start.clone(),
                window_end: window_end.clone(),
                concurrent_runs: c.concurrent_runs,
                tokens_issued: c.tokens_issued,
                runtime_requests: c.runtime_requests,
                runs_started: c.runs_started,
                extra: Map::new(),
            })
            .collect(),
        from: Some(window_start),
        to: Some(window_end),
        extra: Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::services::managed::token_usage::Counts;
    use crate::storage::policies::PolicyRow;
    use crate::storage::tokens::UsageScope;

    fn usage() -> Usage {
        let policy = PolicyRow {
            id: "p-1".into(),
            tenant_id: "t".into(),
            external_app_id: "app-1".into(),
            deployment_id: "d-1".into(),
            name: "Default".into(),
            status: "ACTIVE".into(),
            doc: json!({"maxConcurrentRuns": 2, "maxUsesPerToken": null}),
            created_at: 0,
            updated_at: 0,
        };
        let counts = |n| Counts { tokens_issued: n, runtime_requests: n + 1, runs_started: n + 2, concurrent_runs: 0 };
        Usage {
            scope: UsageScope { external_app_id: Some("app-1".into()), ..Default::default() },
            from: 0,
            to: 1,
            totals: counts(5),
            active_grants: 3,
            windows: vec![(policy, counts(1))],
        }
    }

    #[test]
    fn a_usage_report_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(token_usage(usage())).unwrap();
        assert_eq!(response_problems("TokenUsageReport", &wire), []);
        assert_eq!(
            wire,
            json!({
                "externalAppId": "app-1", "deploymentId": null, "agentId": null, "quotaPolicyId": null,
                "from": "1970-01-01T00:00:00.000Z", "to": "1970-01-01T00:00:00.001Z",
                "totals": {"tokensIssued": 5, "activeGrants": 3, "runtimeRequests": 6, "runsStarted": 7,
                           "concurrentRuns": 0},
                "quotaWindows": [{"quotaPolicyId": "p-1", "policyName": "Default",
                                  "windowStart": "1970-01-01T00:00:00.000Z", "windowEnd": "1970-01-01T00:00:00.001Z",
                                  "maxConcurrentRuns": 2, "concurrentRuns": 0, "maxUsesPerToken": null,
                                  "tokensIssued": 1, "runtimeRequests": 2, "runsStarted": 3}],
            })
        );
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(token_usage(usage())).unwrap();
        wire["totals"].as_object_mut().unwrap().remove("runsStarted");
        wire["quotaWindows"][0]["tokensIssued"] = json!("1");
        let problems = response_problems("TokenUsageReport", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.iter().any(|f| f.contains("runsStarted")), "{problems:?}");
        assert!(fields.iter().any(|f| f.contains("tokensIssued")), "{problems:?}");
    }
}
