//! `zaby usage`: run counts, tokens and latency of agents, as a table.

use serde_json::json;
use zaby::Zaby;

use super::agents;
use crate::error::CliResult;
use crate::output::{BOLD, Out, text};

pub(crate) async fn run(
    z: &Zaby,
    out: Out,
    agent: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> CliResult {
    let mut query = json!({});
    if let Some(a) = agent {
        query["agentId"] = agents::find(z, &a).await?["id"].clone();
    }
    if let Some(f) = from {
        query["from"] = json!(f);
    }
    if let Some(t) = to {
        query["to"] = json!(t);
    }
    let report = z.usage().get_agent_usage(query).json().await?;
    out.show(&report, |o| {
        let t = &report["totals"];
        let totals = [
            ("runs", "runs"),
            ("completed", "completedRuns"),
            ("failed", "failedRuns"),
            ("cancelled", "cancelledRuns"),
            ("tool calls", "toolCalls"),
            ("approvals", "approvalsRequested"),
            ("input tokens", "inputTokens"),
            ("output tokens", "outputTokens"),
            ("avg latency ms", "avgLatencyMs"),
            ("p95 latency ms", "p95LatencyMs"),
            ("average rating", "averageRating"),
        ];
        let mut lines =
            vec![o.paint(BOLD, &format!("usage from {} to {}", text(&report, "from"), text(&report, "to")))];
        lines.extend(totals.iter().map(|(label, key)| format!("  {label:<15} {}", text(t, key))));
        let daily = report["daily"].as_array().cloned().unwrap_or_default();
        if !daily.is_empty() {
            let rows: Vec<Vec<String>> = daily
                .iter()
                .map(|d| {
                    ["date", "runs", "completedRuns", "failedRuns", "inputTokens", "outputTokens", "avgLatencyMs"]
                        .iter()
                        .map(|k| text(d, k))
                        .collect()
                })
                .collect();
            lines.push(String::new());
            lines.push(o.table(&["DATE", "RUNS", "COMPLETED", "FAILED", "IN TOKENS", "OUT TOKENS", "AVG MS"], &rows));
        }
        lines.join("\n")
    });
    Ok(())
}
