//! MCP: server definitions, discovered tools, installations, tool policies,
//! credentials, credential bindings, auth policies and access grants.

use serde_json::Value;

use sqlx::FromRow;

use super::columns::{Flag, FlagOpt, Json, StringList};
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, RowExt, all, all_as, exec, like_pattern, one, one_as, scalar_i64};
use crate::args;

/// `doc` holds displayName, description, endpointUrl, command and metadata.
#[derive(Debug, Clone, FromRow)]
pub struct ServerRow {
    pub id: String,
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub transport: String,
    pub auth_mode: String,
    /// `EXTERNAL` or `INTERNAL` (the API's `type`).
    pub kind: String,
    #[sqlx(try_from = "Flag")]
    pub is_builtin: bool,
    #[sqlx(try_from = "Json")]
    pub doc: Value,
    pub last_discovered_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ServerRow {
    pub fn endpoint_url(&self) -> Option<String> {
        self.doc["endpointUrl"].as_str().map(str::to_string)
    }

    pub fn command(&self) -> Option<Vec<String>> {
        serde_json::from_value(self.doc["command"].clone()).ok()
    }

    pub fn display_name(&self) -> String {
        self.doc["displayName"].as_str().map(str::to_string).unwrap_or_else(|| self.name.clone())
    }
}

pub async fn insert_server(conn: &mut Conn, s: &ServerRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_servers (id, tenant_id, slug, name, status, transport, auth_mode, kind, is_builtin, doc, last_discovered_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        args![
            &s.id, &s.tenant_id, &s.slug, &s.name, &s.status, &s.transport, &s.auth_mode, &s.kind, s.is_builtin,
            &s.doc, s.last_discovered_at, s.created_at, s.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn update_server(conn: &mut Conn, s: &ServerRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE mcp_servers SET slug = $3, name = $4, status = $5, transport = $6, auth_mode = $7, kind = $8, doc = $9, \
         last_discovered_at = $10, updated_at = $11 WHERE tenant_id = $1 AND id = $2",
        args![
            &s.tenant_id, &s.id, &s.slug, &s.name, &s.status, &s.transport, &s.auth_mode, &s.kind, &s.doc,
            s.last_discovered_at, s.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_server(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ServerRow>> {
    one_as(conn, "SELECT * FROM mcp_servers WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn builtin_server(conn: &mut Conn, tenant_id: &str) -> DbResult<Option<ServerRow>> {
    one_as(conn, "SELECT * FROM mcp_servers WHERE tenant_id = $1 AND is_builtin = 1", args![tenant_id]).await
}

pub async fn server_slug_taken(conn: &mut Conn, tenant_id: &str, slug: &str, except_id: &str) -> DbResult<bool> {
    Ok(one(
        conn,
        "SELECT id FROM mcp_servers WHERE tenant_id = $1 AND slug = $2 AND id <> $3",
        args![tenant_id, slug, except_id],
    )
    .await?
    .is_some())
}

/// Tenants without the built-in server definition.
pub async fn tenants_without_builtin(conn: &mut Conn) -> DbResult<Vec<String>> {
    all(
        conn,
        "SELECT id FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM mcp_servers s WHERE s.tenant_id = t.id AND s.is_builtin = 1)",
        vec![],
    )
    .await?
    .iter()
    .map(|r| r.text("id"))
    .collect()
}

pub async fn builtin_server_ids(conn: &mut Conn) -> DbResult<Vec<(String, String)>> {
    all(conn, "SELECT id, tenant_id FROM mcp_servers WHERE is_builtin = 1", vec![])
        .await?
        .iter()
        .map(|r| Ok((r.text("id")?, r.text("tenant_id")?)))
        .collect()
}

#[derive(Debug, Clone, FromRow)]
pub struct ToolRow {
    pub id: String,
    pub tenant_id: String,
    pub server_id: String,
    pub name: String,
    pub description: Option<String>,
    #[sqlx(try_from = "Json")]
    pub input_schema: Value,
    pub risk_level: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn insert_tool(conn: &mut Conn, t: &ToolRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_tools (id, tenant_id, server_id, name, description, input_schema, risk_level, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![
            &t.id, &t.tenant_id, &t.server_id, &t.name, &t.description, &t.input_schema, &t.risk_level,
            t.created_at, t.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn update_tool(conn: &mut Conn, t: &ToolRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE mcp_tools SET description = $2, input_schema = $3, updated_at = $4 WHERE id = $1",
        args![&t.id, &t.description, &t.input_schema, t.updated_at],
    )
    .await?;
    Ok(())
}

/// Removes a tool and every installation policy of it.
pub async fn delete_tool(conn: &mut Conn, tool_id: &str) -> DbResult<()> {
    exec(conn, "DELETE FROM mcp_tool_policies WHERE tool_id = $1", args![tool_id]).await?;
    exec(conn, "DELETE FROM mcp_tools WHERE id = $1", args![tool_id]).await?;
    Ok(())
}

/// Tools of a server, in discovery order.
pub async fn tools_of_server(conn: &mut Conn, server_id: &str) -> DbResult<Vec<ToolRow>> {
    all_as(conn, "SELECT * FROM mcp_tools WHERE server_id = $1 ORDER BY created_at, id", args![server_id]).await
}

pub async fn count_tools(conn: &mut Conn, server_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM mcp_tools WHERE server_id = $1", args![server_id]).await
}

pub async fn get_tool(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ToolRow>> {
    one_as(conn, "SELECT * FROM mcp_tools WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn tool_by_name(conn: &mut Conn, server_id: &str, name: &str) -> DbResult<Option<ToolRow>> {
    one_as(conn, "SELECT * FROM mcp_tools WHERE server_id = $1 AND name = $2", args![server_id, name]).await
}

pub async fn tools_page(conn: &mut Conn, server_id: &str, page: &PageRequest) -> DbResult<Page<ToolRow>> {
    let mut f = Filter::new();
    f.eq("server_id", server_id);
    fetch_page(conn, "mcp_tools", &f, page).await
}

#[derive(Debug, Default)]
pub struct CatalogFilter {
    pub q: Option<String>,
    pub server_id: Option<String>,
}

/// Tools of the tenant's `ACTIVE` server definitions.
pub async fn catalog_page(
    conn: &mut Conn,
    tenant_id: &str,
    filter: &CatalogFilter,
    page: &PageRequest,
) -> DbResult<Page<ToolRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    let t = f.bind(tenant_id);
    f.clause(format!("server_id IN (SELECT id FROM mcp_servers WHERE tenant_id = {t} AND status = 'ACTIVE')"));
    if let Some(s) = &filter.server_id {
        f.eq("server_id", s.as_str());
    }
    if let Some(q) = &filter.q {
        let p = f.bind(like_pattern(q));
        f.clause(format!(
            "(LOWER(name) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(description, '')) LIKE {p} ESCAPE '\\')"
        ));
    }
    fetch_page(conn, "mcp_tools", &f, page).await
}

#[derive(Debug, Clone, FromRow)]
pub struct InstallationRow {
    pub id: String,
    pub tenant_id: String,
    pub server_id: String,
    pub name: String,
    pub status: String,
    #[sqlx(try_from = "Json")]
    pub config: Value,
    pub rate_limit_per_minute: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub require_tool_approval: bool,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
    pub revoked_at: Option<i64>,
}

impl InstallationRow {
    pub fn revoked(&self) -> bool {
        self.status == "REVOKED"
    }
}

pub async fn insert_installation(conn: &mut Conn, i: &InstallationRow) -> DbResult<()> {
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

pub async fn update_installation(conn: &mut Conn, i: &InstallationRow) -> DbResult<()> {
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

pub async fn get_installation(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<InstallationRow>> {
    one_as(conn, "SELECT * FROM mcp_installations WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// The newest installation of a server that is not revoked.
pub async fn newest_active_installation(conn: &mut Conn, server_id: &str) -> DbResult<Option<InstallationRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_installations WHERE server_id = $1 AND status = 'ACTIVE' ORDER BY created_at DESC, id DESC LIMIT 1",
        args![server_id],
    ).await
}

#[derive(Debug, Default)]
pub struct InstallationFilter {
    pub status: Option<String>,
    pub server_id: Option<String>,
}

pub async fn installations_page(
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
pub struct PolicyRow {
    pub installation_id: String,
    pub tool_id: String,
    pub risk_override: Option<String>,
    /// `None` follows the installation's `requireToolApproval`.
    #[sqlx(try_from = "FlagOpt")]
    pub requires_approval: Option<bool>,
    #[sqlx(try_from = "Flag")]
    pub enabled: bool,
    pub required_role: Option<String>,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub updated_at: i64,
}

impl PolicyRow {
    /// The policy a tool has before anything was set.
    pub fn default_for(installation_id: &str, tool_id: &str) -> Self {
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

pub async fn get_policy(conn: &mut Conn, installation_id: &str, tool_id: &str) -> DbResult<Option<PolicyRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_tool_policies WHERE installation_id = $1 AND tool_id = $2",
        args![installation_id, tool_id],
    )
    .await
}

pub async fn policies_of(conn: &mut Conn, installation_id: &str) -> DbResult<Vec<PolicyRow>> {
    all_as(conn, "SELECT * FROM mcp_tool_policies WHERE installation_id = $1", args![installation_id]).await
}

pub async fn upsert_policy(conn: &mut Conn, p: &PolicyRow) -> DbResult<()> {
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

/// Sealed credentials (`credentials` table).
pub async fn insert_credential(
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
pub async fn credential_exists(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<bool> {
    Ok(one(conn, "SELECT id FROM credentials WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await?.is_some())
}

/// The sealed secret of a credential of the tenant.
pub async fn sealed_credential(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<String>> {
    one(conn, "SELECT sealed FROM credentials WHERE tenant_id = $1 AND id = $2", args![tenant_id, id])
        .await?
        .map(|r| r.text("sealed"))
        .transpose()
}

#[derive(Debug, Clone, FromRow)]
pub struct BindingRow {
    pub id: String,
    pub tenant_id: String,
    pub installation_id: String,
    pub credential_id: String,
    pub status: String,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub created_at: i64,
}

pub async fn insert_binding(conn: &mut Conn, b: &BindingRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_credential_bindings (id, tenant_id, installation_id, credential_id, status, metadata, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![&b.id, &b.tenant_id, &b.installation_id, &b.credential_id, &b.status, &b.metadata, b.created_at],
    )
    .await?;
    Ok(())
}

pub async fn get_binding(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<BindingRow>> {
    one_as(conn, "SELECT * FROM mcp_credential_bindings WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn delete_binding(conn: &mut Conn, id: &str) -> DbResult<()> {
    exec(conn, "DELETE FROM mcp_credential_bindings WHERE id = $1", args![id]).await?;
    Ok(())
}

/// The newest `ACTIVE` binding of an installation.
pub async fn newest_binding(conn: &mut Conn, installation_id: &str) -> DbResult<Option<BindingRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_credential_bindings WHERE installation_id = $1 AND status = 'ACTIVE' ORDER BY created_at DESC, id DESC LIMIT 1",
        args![installation_id],
    ).await
}

#[derive(Debug, Clone, FromRow)]
pub struct AuthPolicyRow {
    pub id: String,
    pub tenant_id: String,
    pub installation_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    #[sqlx(try_from = "Json")]
    pub config: Value,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn get_auth_policy(conn: &mut Conn, installation_id: &str) -> DbResult<Option<AuthPolicyRow>> {
    one_as(conn, "SELECT * FROM mcp_auth_policies WHERE installation_id = $1", args![installation_id]).await
}

pub async fn insert_auth_policy(conn: &mut Conn, p: &AuthPolicyRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO mcp_auth_policies (id, tenant_id, installation_id, type, config, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![&p.id, &p.tenant_id, &p.installation_id, &p.kind, &p.config, &p.metadata, p.created_at, p.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn update_auth_policy(conn: &mut Conn, p: &AuthPolicyRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE mcp_auth_policies SET type = $2, config = $3, metadata = $4, updated_at = $5 WHERE id = $1",
        args![&p.id, &p.kind, &p.config, &p.metadata, p.updated_at],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, FromRow)]
pub struct GrantRow {
    pub id: String,
    pub tenant_id: String,
    pub installation_id: String,
    pub agent_id: String,
    #[sqlx(try_from = "StringList")]
    pub permissions: Vec<String>,
    pub expires_at: Option<i64>,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn get_grant(conn: &mut Conn, installation_id: &str, agent_id: &str) -> DbResult<Option<GrantRow>> {
    one_as(
        conn,
        "SELECT * FROM mcp_access_grants WHERE installation_id = $1 AND agent_id = $2",
        args![installation_id, agent_id],
    )
    .await
}

pub async fn count_grants(conn: &mut Conn, installation_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM mcp_access_grants WHERE installation_id = $1", args![installation_id]).await
}

pub async fn upsert_grant(conn: &mut Conn, g: &GrantRow) -> DbResult<()> {
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

/// Hits of the current window of a rate key (`rate_windows`, shared with tokens).
pub async fn window_hits(conn: &mut Conn, key: &str, window_start: i64) -> DbResult<i64> {
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
