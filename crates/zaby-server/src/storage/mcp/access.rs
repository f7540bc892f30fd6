//! What an installation is reached with and who may use it: sealed credentials,
//! credential bindings, auth policies and access grants.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::{Json, StringList};
use crate::storage::sql::{Conn, DbResult, exec, one, one_as, scalar_i64};

/// Sealed credentials (`credentials` table).
pub(crate) async fn insert_credential(
    conn: &mut Conn,
    id: &str,
    tenant_id: &str,
    kind: &str,
    sealed: &str,
    now: i64,
) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO credentials (id, tenant_id, kind, sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
        args![id, tenant_id, kind, sealed, now],
    )
    .await?;
    Ok(())
}

/// Whether a credential of the tenant exists (E81 `credentialId`, E57).
pub(crate) async fn credential_exists(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<bool> {
    Ok(one(conn, "SELECT id FROM credentials WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await?.is_some())
}

/// The sealed secret of a credential of the tenant.
pub(crate) async fn sealed_credential(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<String>> {
    let row: Option<(String,)> =
        one_as(conn, "SELECT sealed FROM credentials WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await?;
    Ok(row.map(|(sealed,)| sealed))
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct BindingRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) installation_id: String,
    pub(crate) credential_id: String,
    pub(crate) status: String,
    #[sqlx(try_from = "Json")]
    pub(crate) metadata: Value,
    pub(crate) created_at: i64,
}

pub(crate) async fn insert_binding(conn: &mut Conn, b: &BindingRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_credential_bindings (id, tenant_id, installation_id, credential_id, status, metadata, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&b.id, &b.tenant_id, &b.installation_id, &b.credential_id, &b.status, &b.metadata, b.created_at],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_binding(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<BindingRow>> {
    one_as(conn, "SELECT * FROM mcp_credential_bindings WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub(crate) async fn delete_binding(conn: &mut Conn, id: &str) -> DbResult<()> {
    exec(conn, "DELETE FROM mcp_credential_bindings WHERE id = $1", args![id]).await?;
    Ok(())
}

/// The newest `ACTIVE` binding of an installation.
pub(crate) async fn newest_binding(conn: &mut Conn, installation_id: &str) -> DbResult<Option<BindingRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_credential_bindings WHERE installation_id = $1 AND status = 'ACTIVE' ORDER BY created_at DESC, id DESC LIMIT 1",
        args![installation_id],
    ).await
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct AuthPolicyRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) installation_id: String,
    #[sqlx(rename = "type")]
    pub(crate) kind: String,
    #[sqlx(try_from = "Json")]
    pub(crate) config: Value,
    #[sqlx(try_from = "Json")]
    pub(crate) metadata: Value,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

pub(crate) async fn get_auth_policy(conn: &mut Conn, installation_id: &str) -> DbResult<Option<AuthPolicyRow>> {
    one_as(conn, "SELECT * FROM mcp_auth_policies WHERE installation_id = $1", args![installation_id]).await
}

pub(crate) async fn insert_auth_policy(conn: &mut Conn, p: &AuthPolicyRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_auth_policies (id, tenant_id, installation_id, type, config, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![&p.id, &p.tenant_id, &p.installation_id, &p.kind, &p.config, &p.metadata, p.created_at, p.updated_at],
    )
    .await?;
    Ok(())
}

pub(crate) async fn update_auth_policy(conn: &mut Conn, p: &AuthPolicyRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE mcp_auth_policies SET type = $2, config = $3, metadata = $4, updated_at = $5 WHERE id = $1",
        args![&p.id, &p.kind, &p.config, &p.metadata, p.updated_at],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct GrantRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) installation_id: String,
    pub(crate) agent_id: String,
    #[sqlx(try_from = "StringList")]
    pub(crate) permissions: Vec<String>,
    pub(crate) expires_at: Option<i64>,
    #[sqlx(try_from = "Json")]
    pub(crate) metadata: Value,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

pub(crate) async fn get_grant(conn: &mut Conn, installation_id: &str, agent_id: &str) -> DbResult<Option<GrantRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_access_grants WHERE installation_id = $1 AND agent_id = $2",
        args![installation_id, agent_id],
    )
    .await
}

pub(crate) async fn count_grants(conn: &mut Conn, installation_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM mcp_access_grants WHERE installation_id = $1", args![installation_id]).await
}

pub(crate) async fn upsert_grant(conn: &mut Conn, g: &GrantRow) -> DbResult<()> {
    let perms = serde_json::json!(g.permissions);
    exec(
        conn,
        "INSERT INTO mcp_access_grants (id, tenant_id, installation_id, agent_id, permissions, expires_at, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (installation_id, agent_id) DO UPDATE SET permissions = $5, expires_at = $6, metadata = $7, updated_at = $9",
        args![
            &g.id, &g.tenant_id, &g.installation_id, &g.agent_id, &perms, g.expires_at, &g.metadata, g.created_at,
            g.updated_at
        ],
    )
    .await?;
    Ok(())
}
