//! Approvals a run waits for before a tool call.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::Json;
use crate::storage::page::{Page, PageRequest, fetch_page};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

#[derive(Debug, Clone, FromRow)]
pub struct ApprovalRow {
    pub id: String,
    pub tenant_id: String,
    pub run_id: String,
    pub agent_id: Option<String>,
    pub deployment_id: Option<String>,
    pub external_app_id: Option<String>,
    pub tool_call_id: String,
    pub tool_name: String,
    #[sqlx(try_from = "Json")]
    pub arguments: Value,
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub expires_at: i64,
}

pub async fn insert_approval(conn: &mut Conn, a: &ApprovalRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO approvals (id, tenant_id, run_id, agent_id, deployment_id, external_app_id, tool_call_id, tool_name, \
         arguments, status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        args![
            &a.id,
            &a.tenant_id,
            &a.run_id,
            &a.agent_id,
            &a.deployment_id,
            &a.external_app_id,
            &a.tool_call_id,
            &a.tool_name,
            &a.arguments,
            &a.status,
            a.created_at,
            a.expires_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_approval(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ApprovalRow>> {
    one_as(conn, "SELECT * FROM approvals WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn approval_of_call(conn: &mut Conn, run_id: &str, tool_call_id: &str) -> DbResult<Option<ApprovalRow>> {
    one_as(
        conn,
        "SELECT * FROM approvals WHERE run_id = $1 AND tool_call_id = $2 ORDER BY created_at DESC LIMIT 1",
        args![run_id, tool_call_id],
    )
    .await
}

/// Approvals still waiting for a decision, in every tenant (`zaby_approvals_pending`).
pub async fn count_pending_approvals(conn: &mut Conn) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM approvals WHERE status = 'PENDING'", args![]).await
}

pub async fn pending_of_run(conn: &mut Conn, run_id: &str) -> DbResult<Option<ApprovalRow>> {
    one_as(conn, "SELECT * FROM approvals WHERE run_id = $1 AND status = 'PENDING' LIMIT 1", args![run_id]).await
}

#[derive(Debug, Default)]
pub struct ApprovalFilter {
    pub status: Option<String>,
    pub agent_id: Option<String>,
    pub run_id: Option<String>,
}

pub async fn list_approvals(
    conn: &mut Conn,
    tenant_id: &str,
    af: &ApprovalFilter,
    page: &PageRequest,
) -> DbResult<Page<ApprovalRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(s) = &af.status {
        f.eq("status", s.as_str());
    }
    if let Some(a) = &af.agent_id {
        f.eq("agent_id", a.as_str());
    }
    if let Some(r) = &af.run_id {
        f.eq("run_id", r.as_str());
    }
    fetch_page(conn, "approvals", &f, page).await
}

/// PENDING → `status`; false when it was no longer PENDING.
pub async fn decide_approval(
    conn: &mut Conn,
    id: &str,
    status: &str,
    reason: Option<&str>,
    decided_by: Option<&str>,
    now: i64,
) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE approvals SET status = $2, reason = $3, decided_by = $4, decided_at = $5 WHERE id = $1 AND status = 'PENDING'",
        args![id, status, reason, decided_by, now],
    )
    .await?
        > 0)
}

/// `(id, tenant id)` of PENDING approvals past their expiry.
pub async fn expired_approvals(conn: &mut Conn, now: i64, limit: i64) -> DbResult<Vec<(String, String)>> {
    all_as(
        conn,
        "SELECT id, tenant_id FROM approvals WHERE status = 'PENDING' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        args![now, limit],
    )
    .await
}
