//! Deployments: PENDING → ACTIVE (claimed by whichever replica gets there first)
//! → SUPERSEDED; FAILED and INACTIVE end the line.

use serde_json::Value;
use sqlx::FromRow;
use zaby::types::ErrorInfo;

use super::columns::{ErrorOpt, Json};
use super::sql::{Conn, DbResult, RowExt, all, all_as, exec, one, one_as, scalar_i64};
use crate::args;

#[derive(Debug, Clone, FromRow)]
pub struct DeploymentRow {
    pub id: String,
    pub tenant_id: String,
    pub agent_id: String,
    pub agent_version_id: String,
    pub environment: String,
    pub status: String,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    #[sqlx(try_from = "ErrorOpt")]
    pub error: Option<ErrorInfo>,
    pub activate_after: i64,
    pub superseded_by: Option<String>,
    pub activated_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn insert(conn: &mut Conn, d: &DeploymentRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO deployments (id, tenant_id, agent_id, agent_version_id, environment, status, metadata, error, activate_after, superseded_by, activated_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, NULL, NULL, $9, $10)",
        args![
            &d.id, &d.tenant_id, &d.agent_id, &d.agent_version_id, &d.environment, &d.status,
            &d.metadata, d.activate_after, d.created_at, d.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<DeploymentRow>> {
    one_as(conn, "SELECT * FROM deployments WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// Deployments of an agent with the given status, oldest first.
pub async fn by_agent_status(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    status: &str,
) -> DbResult<Vec<DeploymentRow>> {
    all_as(
        conn,
        "SELECT * FROM deployments WHERE tenant_id = $1 AND agent_id = $2 AND status = $3 ORDER BY created_at, id",
        args![tenant_id, agent_id, status],
    )
    .await
}

/// The agent's newest ACTIVE deployment: the last created (ties broken by id),
/// whatever the order in which the ACTIVE ones were activated.
pub async fn newest_active(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> DbResult<Option<DeploymentRow>> {
    one_as(
        conn,
        "SELECT * FROM deployments WHERE tenant_id = $1 AND agent_id = $2 AND status = 'ACTIVE' \
         ORDER BY created_at DESC, id DESC LIMIT 1",
        args![tenant_id, agent_id],
    )
    .await
}

pub async fn newest_of_agent(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> DbResult<Option<DeploymentRow>> {
    one_as(
        conn,
        "SELECT * FROM deployments WHERE tenant_id = $1 AND agent_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1",
        args![tenant_id, agent_id],
    )
    .await
}

pub async fn count_live(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> DbResult<i64> {
    scalar_i64(
        conn,
        "SELECT COUNT(*) FROM deployments WHERE tenant_id = $1 AND agent_id = $2 AND status IN ('PENDING', 'ACTIVE')",
        args![tenant_id, agent_id],
    )
    .await
}

/// Sets an agent's PENDING/ACTIVE deployments INACTIVE (forced delete).
pub async fn deactivate_agent(conn: &mut Conn, tenant_id: &str, agent_id: &str, now: i64) -> DbResult<u64> {
    exec(
        conn,
        "UPDATE deployments SET status = 'INACTIVE', updated_at = $3 WHERE tenant_id = $1 AND agent_id = $2 AND status IN ('PENDING', 'ACTIVE')",
        args![tenant_id, agent_id, now],
    )
    .await
}

/// Pending deployments whose delay has passed: `(tenant_id, id)`.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> DbResult<Vec<(String, String)>> {
    all(
        conn,
        "SELECT tenant_id, id FROM deployments WHERE status = 'PENDING' AND activate_after <= $1 ORDER BY activate_after, id LIMIT $2",
        args![now, limit],
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("tenant_id")?, r.text("id")?)))
    .collect()
}

/// The earliest time a pending deployment becomes due.
pub async fn next_due(conn: &mut Conn) -> DbResult<Option<i64>> {
    let row = one(conn, "SELECT MIN(activate_after) AS t FROM deployments WHERE status = 'PENDING'", vec![]).await?;
    match row {
        Some(r) => r.int_opt("t"),
        None => Ok(None),
    }
}

/// PENDING → ACTIVE. `false` when someone else moved it first.
pub async fn activate(conn: &mut Conn, id: &str, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE deployments SET status = 'ACTIVE', activated_at = $2, updated_at = $2 WHERE id = $1 AND status = 'PENDING'",
        args![id, now],
    )
    .await?
        > 0)
}

/// PENDING → FAILED with a reason.
pub async fn fail(conn: &mut Conn, id: &str, error: &ErrorInfo, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE deployments SET status = 'FAILED', error = $2, updated_at = $3 WHERE id = $1 AND status = 'PENDING'",
        args![id, error, now],
    )
    .await?
        > 0)
}

/// Marks the other ACTIVE deployments of the agent + environment SUPERSEDED by `new_id`.
pub async fn supersede_others(conn: &mut Conn, d: &DeploymentRow, now: i64) -> DbResult<u64> {
    exec(
        conn,
        "UPDATE deployments SET status = 'SUPERSEDED', superseded_by = $4, updated_at = $5 \
         WHERE tenant_id = $1 AND agent_id = $2 AND environment = $3 AND status = 'ACTIVE' AND id <> $4",
        args![&d.tenant_id, &d.agent_id, &d.environment, &d.id, now],
    )
    .await
}
