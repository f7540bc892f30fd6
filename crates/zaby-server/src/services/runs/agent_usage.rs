//! The agent usage report (E40) from stored runs and feedback, with the arithmetic
//! of `zaby_analytics`.

use zaby_analytics::{RunRecord, RunStatus, UsageReport, usage_report};

use zaby::types::E40Query;

use crate::error::ApiResult;
use crate::services::paging::time_window;
use crate::services::{Caller, Ctx};
use crate::storage::runs as store;
use crate::util::clock::now_ms;

const DAY_MS: i64 = 86_400_000;

/// The report of a window (epoch milliseconds), for one agent or the whole tenant.
pub(crate) struct AgentUsage {
    pub(crate) agent_id: Option<String>,
    pub(crate) from: i64,
    pub(crate) to: i64,
    pub(crate) report: UsageReport,
}

pub(crate) async fn report(ctx: &Ctx, caller: &Caller, q: E40Query) -> ApiResult<AgentUsage> {
    let (from, to) = time_window(q.from.as_deref(), q.to.as_deref(), now_ms(), 30 * DAY_MS)?;
    let agent_id = q.agent_id;
    let mut conn = ctx.db.read().await?;
    let runs = store::runs_in_window(&mut conn, &caller.tenant_id, agent_id.as_deref(), from, to).await?;
    let mut records = Vec::with_capacity(runs.len());
    for r in &runs {
        records.push(RunRecord {
            status: RunStatus::parse(&r.status).unwrap_or(RunStatus::Queued),
            is_test_run: r.is_test_run,
            created_at_ms: r.created_at,
            started_at_ms: r.started_at,
            completed_at_ms: r.completed_at,
            events: r.latest_seq.max(0) as u64,
            tool_calls: r.tool_calls.max(0) as u64,
            approvals_requested: r.approvals_requested.max(0) as u64,
            input_tokens: r.input_tokens.max(0) as u64,
            output_tokens: r.output_tokens.max(0) as u64,
        });
    }
    let ratings = store::feedback_ratings(&mut conn, &caller.tenant_id, agent_id.as_deref(), from, to).await?;
    Ok(AgentUsage { agent_id, from, to, report: usage_report(&records, &ratings) })
}
