//! Usage report arithmetic (`docs/api/usage.md`).

mod common;

use common::{at, at_ms};
use serde_json::json;
use zaby_analytics::{RunRecord, RunStatus, usage_report};

fn record(status: RunStatus, created_at_ms: i64, latency: Option<i64>) -> RunRecord {
    RunRecord {
        status,
        is_test_run: false,
        created_at_ms,
        started_at_ms: latency.map(|_| created_at_ms + 10),
        completed_at_ms: latency.map(|l| created_at_ms + 10 + l),
        events: 0,
        tool_calls: 0,
        approvals_requested: 0,
        input_tokens: 0,
        output_tokens: 0,
    }
}

#[test]
fn totals_daily_and_latency() {
    use RunStatus::*;
    let runs = vec![
        RunRecord {
            events: 5,
            tool_calls: 2,
            approvals_requested: 1,
            input_tokens: 10,
            output_tokens: 20,
            ..record(Completed, at(2024, 1, 1, 10, 0, 0), Some(500))
        },
        RunRecord {
            is_test_run: true,
            events: 3,
            input_tokens: 5,
            output_tokens: 5,
            ..record(Completed, at_ms(2024, 1, 1, 23, 59, 59, 999), Some(1500))
        },
        RunRecord { events: 2, tool_calls: 1, input_tokens: 3, ..record(Failed, at(2024, 1, 2, 0, 0, 0), None) },
        RunRecord { events: 1, ..record(Cancelled, at(2024, 1, 2, 8, 0, 0), None) },
        RunRecord {
            events: 4,
            tool_calls: 1,
            approvals_requested: 2,
            input_tokens: 7,
            output_tokens: 9,
            ..record(Completed, at(2024, 1, 3, 9, 0, 0), Some(100))
        },
        // Still running: started, not completed; no latency.
        RunRecord { started_at_ms: Some(at(2024, 1, 3, 9, 30, 0)), ..record(Running, at(2024, 1, 3, 9, 30, 0), None) },
    ];
    let report = usage_report(&runs, &[Some(5.0), Some(2.0), None]);
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({
            "totals": {
                "runs": 6, "completedRuns": 3, "failedRuns": 1, "cancelledRuns": 1,
                "testRuns": 1, "events": 15, "toolCalls": 4, "approvalsRequested": 3,
                "feedbackCount": 3, "averageRating": 3.5,
                "inputTokens": 25, "outputTokens": 34,
                // (500 + 1500 + 100) / 3; p95: ⌈2.85⌉ = 3rd smallest.
                "avgLatencyMs": 700.0, "p95LatencyMs": 1500
            },
            "daily": [
                {"date": "2024-01-01", "runs": 2, "completedRuns": 2, "failedRuns": 0,
                 "inputTokens": 15, "outputTokens": 25, "avgLatencyMs": 1000.0},
                {"date": "2024-01-02", "runs": 2, "completedRuns": 0, "failedRuns": 1,
                 "inputTokens": 3, "outputTokens": 0, "avgLatencyMs": null},
                {"date": "2024-01-03", "runs": 2, "completedRuns": 1, "failedRuns": 0,
                 "inputTokens": 7, "outputTokens": 9, "avgLatencyMs": 100.0}
            ]
        })
    );
}

#[test]
fn latency_is_null_without_completed_runs() {
    let report = usage_report(&[record(RunStatus::Failed, 0, None)], &[]);
    assert_eq!(report.totals.avg_latency_ms, None);
    assert_eq!(report.totals.p95_latency_ms, None);
    assert_eq!(report.totals.average_rating, None);
    assert_eq!(report.totals.feedback_count, 0);
    let empty = usage_report(&[], &[None]);
    assert_eq!(empty.totals.runs, 0);
    assert_eq!(empty.totals.feedback_count, 1);
    assert_eq!(empty.totals.average_rating, None);
    assert!(empty.daily.is_empty());
}

#[test]
fn p95_latency_by_nearest_rank() {
    let base = at(2024, 1, 1, 0, 0, 0);
    // Latencies 1..=20 ms in reverse order: the 19th smallest is 19.
    let runs: Vec<RunRecord> = (1..=20).rev().map(|l| record(RunStatus::Completed, base, Some(l))).collect();
    let report = usage_report(&runs, &[]);
    assert_eq!(report.totals.p95_latency_ms, Some(19));
    assert_eq!(report.totals.avg_latency_ms, Some(10.5));
    let runs: Vec<RunRecord> = (1..=21).map(|l| record(RunStatus::Completed, base, Some(l))).collect();
    assert_eq!(usage_report(&runs, &[]).totals.p95_latency_ms, Some(20));
}

#[test]
fn statuses_parse_from_the_wire() {
    assert_eq!(RunStatus::parse("WAITING_FOR_APPROVAL").unwrap(), RunStatus::WaitingForApproval);
    assert_eq!(RunStatus::parse("done").unwrap_err().field, "status");
}
