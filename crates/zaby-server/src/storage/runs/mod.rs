//! Runs, run events, approvals, feedback and signals (migration 0002).
//!
//! Event sequence numbers are allocated by a conditional `UPDATE runs SET
//! latest_seq = latest_seq + 1 WHERE … status = 'RUNNING' AND lease_owner = …`, so
//! the executor that stores an event is the one holding the run, the sequence has no
//! gaps, and a cancel (which bumps the same row in its own transaction) excludes any
//! later event.

mod approvals;
mod busy;
mod events;
mod executor;
mod feedback;
mod signals;
mod tool_results;
mod usage;

pub use approvals::*;
pub use busy::{active_in_session, lock_session, mark_enqueued};
pub use events::*;
pub use executor::*;
pub use feedback::*;
pub use signals::*;
pub use tool_results::*;
pub use usage::*;

use serde_json::Value;
use sqlx::FromRow;

use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};
use crate::args;
use crate::storage::columns::{Flag, Json, JsonOpt};

#[derive(Debug, Clone, FromRow)]
pub struct RunRow {
    pub id: String,
    pub tenant_id: String,
    pub agent_id: String,
    pub deployment_id: Option<String>,
    pub external_app_id: Option<String>,
    pub policy_id: Option<String>,
    pub grant_id: Option<String>,
    pub session_id: String,
    pub workflow_id: String,
    pub status: String,
    #[sqlx(try_from = "Flag")]
    pub is_test_run: bool,
    #[sqlx(try_from = "Json")]
    pub input: Value,
    pub request_id: Option<String>,
    #[sqlx(try_from = "Json")]
    pub snapshot: Value,
    #[sqlx(try_from = "JsonOpt")]
    pub end_user: Option<Value>,
    pub mcp_bearer_sealed: Option<String>,
    pub final_output: Option<String>,
    #[sqlx(try_from = "JsonOpt")]
    pub error: Option<Value>,
    pub latest_seq: i64,
    pub steps: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub tool_calls: i64,
    pub approvals_requested: i64,
    #[sqlx(try_from = "JsonOpt")]
    pub loop_state: Option<Value>,
    pub cancel_reason: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: i64,
    pub claims: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub updated_at: i64,
}

impl RunRow {
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "COMPLETED" | "FAILED" | "CANCELLED")
    }
}

pub async fn insert_run(conn: &mut Conn, r: &RunRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO runs (id, tenant_id, agent_id, deployment_id, external_app_id, policy_id, grant_id, session_id, \
         workflow_id, status, is_test_run, input, request_id, snapshot, end_user, mcp_bearer_sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
        args![
            &r.id,
            &r.tenant_id,
            &r.agent_id,
            &r.deployment_id,
            &r.external_app_id,
            &r.policy_id,
            &r.grant_id,
            &r.session_id,
            &r.workflow_id,
            &r.status,
            r.is_test_run,
            &r.input,
            &r.request_id,
            &r.snapshot,
            r.end_user.as_ref().map(|v| v.to_string()),
            &r.mcp_bearer_sealed,
            r.created_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<RunRow>> {
    one_as(conn, "SELECT * FROM runs WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn get_by_id(conn: &mut Conn, id: &str) -> DbResult<Option<RunRow>> {
    one_as(conn, "SELECT * FROM runs WHERE id = $1", args![id]).await
}

pub async fn list(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    status: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<RunRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id).eq("agent_id", agent_id);
    if let Some(s) = status {
        f.eq("status", s);
    }
    fetch_page(conn, "runs", &f, page).await
}

/// Runs of a policy that occupy a concurrency slot.
pub async fn count_live_of_policy(conn: &mut Conn, tenant_id: &str, policy_id: &str) -> DbResult<i64> {
    scalar_i64(
        conn,
        "SELECT COUNT(*) FROM runs WHERE tenant_id = $1 AND policy_id = $2 \
         AND status IN ('QUEUED', 'RUNNING', 'WAITING_FOR_APPROVAL', 'WAITING_FOR_TOOL_RESULT')",
        args![tenant_id, policy_id],
    )
    .await
}

/// `(user message input, finalOutput)` of the session's last 20 COMPLETED runs
/// created before `before`, oldest first.
pub async fn session_history(
    conn: &mut Conn,
    tenant_id: &str,
    session_id: &str,
    before: i64,
    exclude_id: &str,
) -> DbResult<Vec<(Value, String)>> {
    let rows: Vec<(Json, Option<String>)> = all_as(
        conn,
        "SELECT input, final_output FROM runs WHERE tenant_id = $1 AND session_id = $2 AND status = 'COMPLETED' \
         AND created_at <= $3 AND id <> $4 ORDER BY created_at DESC, id DESC LIMIT 20",
        args![tenant_id, session_id, before, exclude_id],
    )
    .await?;
    Ok(rows.into_iter().rev().map(|(input, output)| (input.into(), output.unwrap_or_default())).collect())
}

/// `(id, latest_seq, status)` of the given runs (at most 500 ids), for the stream poller.
pub async fn states_of(conn: &mut Conn, ids: &[String]) -> DbResult<Vec<(String, i64, String)>> {
    let (list, args) = crate::storage::sql::id_list(ids);
    all_as(conn, &format!("SELECT id, latest_seq, status FROM runs WHERE id IN ({list})"), args).await
}
