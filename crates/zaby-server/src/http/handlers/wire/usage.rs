//! `TokenUsageReport` (E36) and `UsageReport` (E40).

use serde_json::Map;
use zaby::types::{DailyUsage, QuotaWindow, TokenUsageReport, TokenUsageTotals, UsageReport, UsageTotals};

use crate::services::managed::token_usage::Usage;
use crate::services::runs::agent_usage::AgentUsage;
use crate::util::clock::iso;

/// A count of `zaby_analytics` as the wire's integer (counts never come near the
/// bound; saturating rather than wrapping if one did).
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `UsageReport`.
pub(crate) fn agent_usage(u: AgentUsage) -> UsageReport {
    let AgentUsage { agent_id, from, to, report } = u;
    let t = report.totals;
    UsageReport {
        agent_id,
        from: iso(from),
        to: iso(to),
        totals: Some(UsageTotals {
            runs: int(t.runs),
            completed_runs: int(t.completed_runs),
            failed_runs: int(t.failed_runs),
            cancelled_runs: int(t.cancelled_runs),
            test_runs: int(t.test_runs),
            events: int(t.events),
            tool_calls: int(t.tool_calls),
            approvals_requested: int(t.approvals_requested),
            feedback_count: int(t.feedback_count),
            average_rating: t.average_rating,
            input_tokens: int(t.input_tokens),
            output_tokens: int(t.output_tokens),
            avg_latency_ms: t.avg_latency_ms,
            p95_latency_ms: t.p95_latency_ms.map(|ms| ms as f64),
            extra: Map::new(),
        }),
        daily: Some(
            report
                .daily
                .into_iter()
                .map(|d| DailyUsage {
                    date: d.date,
                    runs: int(d.runs),
                    completed_runs: int(d.completed_runs),
                    failed_runs: int(d.failed_runs),
                    input_tokens: int(d.input_tokens),
                    output_tokens: int(d.output_tokens),
                    avg_latency_ms: d.avg_latency_ms,
                    extra: Map::new(),
                })
                .collect(),
        ),
        extra: Map::new(),
    }
}

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
                max_concurrent_runs: p.doc.max_concurrent_runs,
                max_uses_per_token: p.doc.max_uses_per_token,
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

    use super::super::fixtures::policy_row;
    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::services::managed::token_usage::Counts;
    use crate::storage::tokens::UsageScope;

    fn usage() -> Usage {
        let policy = policy_row(json!({"maxConcurrentRuns": 2, "maxUsesPerToken": null}));
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

    fn agent() -> AgentUsage {
        let totals = zaby_analytics::UsageTotals {
            runs: 2,
            completed_runs: 1,
            failed_runs: 1,
            feedback_count: 1,
            average_rating: Some(4.0),
            input_tokens: 10,
            output_tokens: 20,
            avg_latency_ms: Some(1500.0),
            p95_latency_ms: Some(1500),
            ..Default::default()
        };
        let day = zaby_analytics::DailyUsage {
            date: "1970-01-01".into(),
            runs: 2,
            completed_runs: 1,
            failed_runs: 1,
            input_tokens: 10,
            output_tokens: 20,
            avg_latency_ms: Some(1500.0),
        };
        let report = zaby_analytics::UsageReport { totals, daily: vec![day] };
        AgentUsage { agent_id: Some("a-1".into()), from: 0, to: 1, report }
    }

    #[test]
    fn an_agent_usage_report_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(agent_usage(agent())).unwrap();
        assert_eq!(response_problems("UsageReport", &wire), []);
        assert_eq!(
            wire,
            json!({
                "agentId": "a-1", "from": "1970-01-01T00:00:00.000Z", "to": "1970-01-01T00:00:00.001Z",
                "totals": {"runs": 2, "completedRuns": 1, "failedRuns": 1, "cancelledRuns": 0, "testRuns": 0,
                           "events": 0, "toolCalls": 0, "approvalsRequested": 0, "feedbackCount": 1,
                           "averageRating": 4.0, "inputTokens": 10, "outputTokens": 20, "avgLatencyMs": 1500.0,
                           "p95LatencyMs": 1500.0},
                "daily": [{"date": "1970-01-01", "runs": 2, "completedRuns": 1, "failedRuns": 1, "inputTokens": 10,
                           "outputTokens": 20, "avgLatencyMs": 1500.0}],
            })
        );
        let mut drifted = wire;
        drifted["totals"].as_object_mut().unwrap().remove("testRuns");
        drifted["daily"][0]["runs"] = json!("2");
        let problems = response_problems("UsageReport", &drifted);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.iter().any(|f| f.contains("testRuns")), "{problems:?}");
        assert!(fields.iter().any(|f| f.contains("daily") && f.ends_with("runs")), "{problems:?}");
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
