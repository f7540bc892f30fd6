//! Function tools run over HTTP: each agent's signing secret and the record of the
//! calls sent (migration 0007).

use sqlx::FromRow;

use super::sql::{Conn, DbResult, exec, one_as};
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
