//! `zaby usage`: run counts, tokens and latency of agents, as a table.

use zaby::Zaby;
use zaby::types::E40Query;

use super::agents;
use crate::error::CliResult;
use crate::output::{BOLD, Out, or_dash};

pub(crate) async fn run(
    z: &Zaby,
    out: Out,
    agent: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> CliResult {
    let agent_id = match agent {
        Some(a) => Some(agents::find(z, &a).await?.id),
        None => None,
    };
    let report = z.usage().get_agent_usage(E40Query { agent_id, from, to, ..Default::default() }).await?;
    out.show(&report, |o| {
        let mut lines = vec![o.paint(BOLD, &format!("usage from {} to {}", report.from, report.to))];
        if let Some(t) = &report.totals {
            let totals = [
                ("runs", t.runs.to_string()),
                ("completed", t.completed_runs.to_string()),
                ("failed", t.failed_runs.to_string()),
                ("cancelled", t.cancelled_runs.to_string()),
                ("tool calls", t.tool_calls.to_string()),
                ("approvals", t.approvals_requested.to_string()),
                ("input tokens", t.input_tokens.to_string()),
                ("output tokens", t.output_tokens.to_string()),
                ("avg latency ms", or_dash(t.avg_latency_ms)),
                ("p95 latency ms", or_dash(t.p95_latency_ms)),
                ("average rating", or_dash(t.average_rating)),
            ];
            lines.extend(totals.iter().map(|(label, value)| format!("  {label:<15} {value}")));
        }
        let daily = report.daily.as_deref().unwrap_or_default();
        if !daily.is_empty() {
            let rows: Vec<Vec<String>> = daily
                .iter()
                .map(|d| {
                    vec![
                        d.date.clone(),
                        d.runs.to_string(),
                        d.completed_runs.to_string(),
                        d.failed_runs.to_string(),
                        d.input_tokens.to_string(),
                        d.output_tokens.to_string(),
                        or_dash(d.avg_latency_ms),
                    ]
                })
                .collect();
            lines.push(String::new());
            lines.push(o.table(&["DATE", "RUNS", "COMPLETED", "FAILED", "IN TOKENS", "OUT TOKENS", "AVG MS"], &rows));
        }
        lines.join("\n")
    });
    Ok(())
}
