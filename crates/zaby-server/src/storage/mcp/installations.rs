//! Installations, their tool policies and their call windows
//! (`services/mcp/installations.rs`, `services/mcp/calls.rs`).

use serde_json::Value;
use sqlx::FromRow;
use zaby::types::McpInstallationStatus;

use crate::args;
use crate::storage::columns::{Flag, FlagOpt, Json};
use crate::storage::page::{Page, PageRequest, fetch_page};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

#[derive(Debug, Clone, FromRow)]
pub(crate) struct InstallationRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) server_id: String,
    pub(crate) name: String,
    pub(crate) status: String,
    #[sqlx(try_from = "Json")]
    pub(crate) config: Value,
    pub(crate) rate_limit_per_minute: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub(crate) require_tool_approval: bool,
    #[sqlx(try_from = "Json")]
    pub(crate) metadata: Value,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    pub(crate) revoked_at: Option<i64>,
}

impl InstallationRow {
    pub(crate) fn revoked(&self) -> bool {
        self.status == McpInstallationStatus::Revoked.as_str()
    }
}

pub(crate) async fn insert_installation(conn: &mut Conn, i: &InstallationRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_installations (id, tenant_id, server_id, name, status, config, rate_limit_per_minute, require_tool_approval, metadata, created_at, updated_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        args![
            &i.id, &i.tenant_id, &i.server_id, &i.name, &i.status, &i.config, i.rate_limit_per_minute,
            i.require_tool_approval, &i.metadata, i.created_at, i.updated_at, i.revoked_at
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn update_installation(conn: &mut Conn, i: &InstallationRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE mcp_installations SET name = $3, status = $4, config = $5, rate_limit_per_minute = $6, require_tool_approval = $7, \
         metadata = $8, updated_at = $9, revoked_at = $10 WHERE tenant_id = $1 AND id = $2",
        args![
            &i.tenant_id, &i.id, &i.name, &i.status, &i.config, i.rate_limit_per_minute, i.require_tool_approval,
            &i.metadata, i.updated_at, i.revoked_at
        ],
    )
    .await?;
    Ok(())
}

pub(crate) async fn get_installation(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<InstallationRow>> {
    one_as(conn, "SELECT * FROM mcp_installations WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// The newest installation of a server that is not revoked.
pub(crate) async fn newest_active_installation(conn: &mut Conn, server_id: &str) -> DbResult<Option<InstallationRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_installations WHERE server_id = $1 AND status = 'ACTIVE' ORDER BY created_at DESC, id DESC LIMIT 1",
        args![server_id],
    ).await
}

/// Ids of every installation of a server, revoked ones included.
pub(crate) async fn installation_ids_of_server(conn: &mut Conn, server_id: &str) -> DbResult<Vec<String>> {
    let rows: Vec<(String,)> =
        all_as(conn, "SELECT id FROM mcp_installations WHERE server_id = $1", args![server_id]).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

#[derive(Debug, Default)]
pub(crate) struct InstallationFilter {
    pub(crate) status: Option<String>,
    pub(crate) server_id: Option<String>,
}

pub(crate) async fn installations_page(
    conn: &mut Conn,
    tenant_id: &str,
    filter: &InstallationFilter,
    page: &PageRequest,
) -> DbResult<Page<InstallationRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(s) = &filter.status {
        f.eq("status", s.as_str());
    }
    if let Some(s) = &filter.server_id {
        f.eq("server_id", s.as_str());
    }
    fetch_page(conn, "mcp_installations", &f, page).await
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct PolicyRow {
    pub(crate) installation_id: String,
    pub(crate) tool_id: String,
    pub(crate) risk_override: Option<String>,
    /// `None` follows the installation's `requireToolApproval`.
    #[sqlx(try_from = "FlagOpt")]
    pub(crate) requires_approval: Option<bool>,
    #[sqlx(try_from = "Flag")]
    pub(crate) enabled: bool,
    pub(crate) required_role: Option<String>,
    #[sqlx(try_from = "Json")]
    pub(crate) metadata: Value,
    pub(crate) updated_at: i64,
}

impl PolicyRow {
    /// The policy a tool has before anything was set.
    pub(crate) fn default_for(installation_id: &str, tool_id: &str) -> Self {
        PolicyRow {
            installation_id: installation_id.to_string(),
            tool_id: tool_id.to_string(),
            risk_override: None,
            requires_approval: None,
            enabled: true,
            required_role: None,
            metadata: Value::Object(Default::default()),
            updated_at: 0,
        }
    }
}

pub(crate) async fn get_policy(conn: &mut Conn, installation_id: &str, tool_id: &str) -> DbResult<Option<PolicyRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_tool_policies WHERE installation_id = $1 AND tool_id = $2",
        args![installation_id, tool_id],
    )
    .await
}

pub(crate) async fn policies_of(conn: &mut Conn, installation_id: &str) -> DbResult<Vec<PolicyRow>> {
    all_as(conn, "SELECT * FROM mcp_tool_policies WHERE installation_id = $1", args![installation_id]).await
}

pub(crate) async fn upsert_policy(conn: &mut Conn, p: &PolicyRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_tool_policies (installation_id, tool_id, risk_override, requires_approval, enabled, required_role, metadata, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (installation_id, tool_id) DO UPDATE SET risk_override = $3, requires_approval = $4, enabled = $5, \
         required_role = $6, metadata = $7, updated_at = $8",
        args![
            &p.installation_id, &p.tool_id, &p.risk_override, p.requires_approval.map(i64::from), p.enabled,
            &p.required_role, &p.metadata, p.updated_at
        ],
    )
    .await?;
    Ok(())
}

/// Hits of the current window of a rate key (`rate_windows`, shared with tokens).
pub(crate) async fn window_hits(conn: &mut Conn, key: &str, window_start: i64) -> DbResult<i64> {
    scalar_i64(
        conn,
        "SELECT hits FROM rate_windows WHERE window_key = $1 AND window_start = $2",
        args![key, window_start],
    )
    .await
    .or_else(|e| match e {
        sqlx::Error::RowNotFound => Ok(0),
        e => Err(e),
    })
}
