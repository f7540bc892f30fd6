//! MCP (`docs/api/mcp.md`, `docs/server.md`; `docs/server.md`): server definitions and discovery,
//! installations with tool policies, credentials and access grants, preflight and
//! invocation, the built-in MCP server, attaching MCP tools to agents, and the
//! [`ToolGateway`](super::run_seams::ToolGateway) the run loop calls.
//!
//! Protocol work (transports, auth, sessions, schema validation, the built-in
//! server's tools) is `zaby_mcp`'s; this module decides what to connect to with
//! which credentials, and stores what it learns.

pub mod attach;
pub mod builtin;
pub mod builtin_token;
pub mod calls;
pub mod gateway;
pub mod installations;
pub mod servers;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use http::StatusCode;
use serde_json::{Value, json};
use zaby_mcp::{McpClient, McpClientConfig, McpError};

use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::storage::mcp::{self as store, InstallationRow, PolicyRow, ServerRow, ToolRow};
use crate::storage::sql::Conn;
use crate::util::clock::{iso, iso_opt};
use crate::util::crypto::SecretBox;

pub const TRANSPORTS: &[&str] = &["STREAMABLE_HTTP", "SSE", "STDIO"];
pub const AUTH_MODES: &[&str] = &["NONE", "API_KEY", "BEARER", "OAUTH2"];
pub const SERVER_KINDS: &[&str] = &["EXTERNAL", "INTERNAL"];
pub const SERVER_STATUSES: &[&str] = &["ACTIVE", "INACTIVE"];
pub const INSTALLATION_STATUSES: &[&str] = &["ACTIVE", "REVOKED"];
pub const RISK_LEVELS: &[&str] = &["LOW", "MEDIUM", "HIGH", "CRITICAL"];
pub const PERMISSIONS: &[&str] = &["invoke", "discover"];

/// Shared MCP state: the client (with its session cache), the secrets box for
/// credentials, and where this process's own built-in server listens.
pub struct McpState {
    pub client: McpClient,
    secrets: SecretBox,
    builtin_url: OnceLock<String>,
}

impl McpState {
    pub fn new(settings: &Settings, secrets: SecretBox) -> Self {
        let client = McpClient::new(McpClientConfig {
            timeout: Duration::from_millis(settings.mcp_timeout_ms.max(1)),
            allow_stdio: settings.allow_stdio_mcp,
            ..McpClientConfig::default()
        });
        McpState { client, secrets, builtin_url: OnceLock::new() }
    }

    /// Records the bound listen address: the server's own MCP client reaches the
    /// built-in server there (loopback when bound to a wildcard address), so it
    /// works with ephemeral ports and does not depend on the public origin.
    pub fn set_listen_addr(&self, addr: SocketAddr) {
        let mut addr = addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = self.builtin_url.set(format!("http://{addr}{}", zaby_mcp::builtin::BUILTIN_PATH));
    }

    pub fn builtin_url(&self) -> Option<&str> {
        self.builtin_url.get().map(String::as_str)
    }

    pub fn seal(&self, plaintext: &[u8]) -> String {
        self.secrets.seal(plaintext)
    }

    pub fn open(&self, sealed: &str) -> ApiResult<Vec<u8>> {
        Ok(self.secrets.open(sealed)?)
    }
}

/// An MCP client failure as the API error of E72, E73 and E80.
pub fn mcp_error(e: &McpError) -> ApiError {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_GATEWAY);
    ApiError::new(status, e.code(), e.to_string())
}

/// A server definition's endpoint as shown: the built-in server is reached at the
/// public origin.
fn shown_endpoint(s: &ServerRow, settings: &Settings) -> Value {
    if s.is_builtin {
        json!(format!("{}{}", settings.public_origin.trim_end_matches('/'), zaby_mcp::builtin::BUILTIN_PATH))
    } else {
        s.doc["endpointUrl"].clone()
    }
}

pub async fn render_server(conn: &mut Conn, s: &ServerRow, settings: &Settings) -> ApiResult<Value> {
    let tool_count = store::count_tools(conn, &s.id).await?;
    Ok(json!({
        "id": s.id,
        "name": s.name,
        "displayName": s.display_name(),
        "slug": s.slug,
        "description": s.doc["description"],
        "transport": s.transport,
        "endpointUrl": shown_endpoint(s, settings),
        "command": s.doc["command"],
        "authMode": s.auth_mode,
        "type": s.kind,
        "status": s.status,
        "metadata": s.doc["metadata"],
        "toolCount": tool_count,
        "lastDiscoveredAt": iso_opt(s.last_discovered_at),
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
    }))
}

pub fn render_tool(t: &ToolRow) -> Value {
    json!({
        "id": t.id,
        "serverDefinitionId": t.server_id,
        "name": t.name,
        "description": t.description,
        "inputSchema": t.input_schema,
        "riskLevel": t.risk_level,
        "createdAt": iso(t.created_at),
    })
}

pub async fn render_installation(conn: &mut Conn, i: &InstallationRow) -> ApiResult<Value> {
    let tool_count = store::count_tools(conn, &i.server_id).await?;
    Ok(json!({
        "id": i.id,
        "serverDefinitionId": i.server_id,
        "name": i.name,
        "status": i.status,
        "config": i.config,
        "rateLimitPerMinute": i.rate_limit_per_minute,
        "requireToolApproval": i.require_tool_approval,
        "metadata": i.metadata,
        "toolCount": tool_count,
        "createdAt": iso(i.created_at),
        "updatedAt": iso(i.updated_at),
        "revokedAt": iso_opt(i.revoked_at),
    }))
}

/// A tool's policy in an installation, with defaults applied.
#[derive(Debug, Clone)]
pub struct Effective {
    pub risk_override: Option<String>,
    pub requires_approval: bool,
    pub enabled: bool,
    pub required_role: Option<String>,
    pub metadata: Value,
    pub risk_level: String,
}

pub fn effective(i: &InstallationRow, t: &ToolRow, p: Option<&PolicyRow>) -> Effective {
    let p = p.cloned().unwrap_or_else(|| PolicyRow::default_for(&i.id, &t.id));
    Effective {
        risk_level: p.risk_override.clone().unwrap_or_else(|| t.risk_level.clone()),
        risk_override: p.risk_override,
        requires_approval: p.requires_approval.unwrap_or(i.require_tool_approval),
        // A revoked installation's tools are disabled, whatever was stored.
        enabled: p.enabled && !i.revoked(),
        required_role: p.required_role,
        metadata: p.metadata,
    }
}

pub fn render_installation_tool(i: &InstallationRow, t: &ToolRow, p: Option<&PolicyRow>) -> Value {
    let e = effective(i, t, p);
    json!({
        "id": t.id,
        "installationId": i.id,
        "serverDefinitionId": t.server_id,
        "name": t.name,
        "description": t.description,
        "inputSchema": t.input_schema,
        "riskLevel": t.risk_level,
        "effectiveRiskLevel": e.risk_level,
        "policy": {
            "riskOverride": e.risk_override,
            "requiresApproval": e.requires_approval,
            "enabled": e.enabled,
            "requiredRole": e.required_role,
            "metadata": e.metadata,
        },
    })
}

pub async fn load_server(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<ServerRow> {
    store::get_server(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("MCP server"))
}

pub async fn load_installation(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<InstallationRow> {
    store::get_installation(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("MCP installation"))
}

pub fn revoked_error(i: &InstallationRow) -> ApiError {
    ApiError::conflict("INSTALLATION_REVOKED", format!("MCP installation {} is revoked", i.id))
}

/// Whether `agent_id` may use the installation: an installation with access grants
/// is usable only by agents holding an unexpired grant with `invoke`.
pub async fn agent_has_access(conn: &mut Conn, installation_id: &str, agent_id: &str, now: i64) -> ApiResult<bool> {
    if store::count_grants(conn, installation_id).await? == 0 {
        return Ok(true);
    }
    Ok(store::get_grant(conn, installation_id, agent_id)
        .await?
        .is_some_and(|g| g.permissions.iter().any(|p| p == "invoke") && g.expires_at.is_none_or(|e| e > now)))
}
