//! Function tools run over HTTP: each agent's signing secret and the record of the
//! calls sent (migration 0007).

use sqlx::FromRow;

use super::sql::{Conn, DbResult, exec, one_as, scalar_i64};
use crate::args;

/// An agent's tool-signing secrets, sealed with the secrets key.
#[derive(Debug, Clone, FromRow)]
pub struct ToolSecretRow {
    pub agent_id: String,
    pub tenant_id: String,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_expires_at: Option<i64>,
    pub updated_at: i64,
}

/// Stores an agent's secrets, new or rotated. A rotation never crosses tenants (the
/// `WHERE` on the conflict).
pub async fn save_secret(conn: &mut Conn, s: &ToolSecretRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO agent_tool_secrets (agent_id, tenant_id, secret_sealed, previous_secret_sealed, \
         previous_expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (agent_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
         previous_secret_sealed = excluded.previous_secret_sealed, previous_expires_at = excluded.previous_expires_at, \
         updated_at = excluded.updated_at WHERE agent_tool_secrets.tenant_id = excluded.tenant_id",
        args![
            &s.agent_id,
            &s.tenant_id,
            &s.secret_sealed,
            &s.previous_secret_sealed,
            s.previous_expires_at,
            s.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn secret(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> DbResult<Option<ToolSecretRow>> {
    one_as(conn, "SELECT * FROM agent_tool_secrets WHERE tenant_id = $1 AND agent_id = $2", args![tenant_id, agent_id])
        .await
}

pub async fn delete_secret(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> DbResult<()> {
    exec(conn, "DELETE FROM agent_tool_secrets WHERE tenant_id = $1 AND agent_id = $2", args![tenant_id, agent_id])
        .await?;
    Ok(())
}

/// Records one more attempt of a call, before it is sent, if the run is still
/// `RUNNING` under `owner`'s lease; returns the attempts made with this one (1 for the
/// first), `None` when the run is no longer the owner's.
pub async fn start_attempt(
    conn: &mut Conn,
    run_id: &str,
    owner: &str,
    tool_call_id: &str,
    now: i64,
) -> DbResult<Option<i64>> {
    // A no-op update: on PostgreSQL it also holds the run's row against a reclaim
    // until the record is committed.
    let owned = exec(
        conn,
        "UPDATE runs SET id = id WHERE id = $1 AND status = 'RUNNING' AND lease_owner = $2",
        args![run_id, owner],
    )
    .await?;
    if owned == 0 {
        return Ok(None);
    }
    exec(
        conn,
        "INSERT INTO http_tool_calls (run_id, tool_call_id, attempts, started_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (run_id, tool_call_id) DO UPDATE SET attempts = http_tool_calls.attempts + 1, \
         started_at = excluded.started_at",
        args![run_id, tool_call_id, now],
    )
    .await?;
    Ok(Some(attempts(conn, run_id, tool_call_id).await?))
}

/// Event retention: the call records of runs that ended before `cutoff` (an ended run
/// is never reclaimed, so they are not needed after its end; they go with its events).
pub async fn purge_calls(conn: &mut Conn, cutoff: i64) -> DbResult<u64> {
    exec(
        conn,
        "DELETE FROM http_tool_calls WHERE run_id IN \
         (SELECT id FROM runs WHERE completed_at IS NOT NULL AND completed_at < $1)",
        args![cutoff],
    )
    .await
}

/// The attempts recorded for a call (0 when it was never sent).
pub async fn attempts(conn: &mut Conn, run_id: &str, tool_call_id: &str) -> DbResult<i64> {
    scalar_i64(
        conn,
        "SELECT COALESCE(MAX(attempts), 0) FROM http_tool_calls WHERE run_id = $1 AND tool_call_id = $2",
        args![run_id, tool_call_id],
    )
    .await
}
