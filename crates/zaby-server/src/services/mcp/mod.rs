//! MCP (`docs/api/mcp.md`, `docs/server.md`; `docs/server.md`): server definitions and discovery,
//! installations with tool policies, credentials and access grants, preflight and
//! invocation, the built-in MCP server, attaching MCP tools to agents, and the
//! [`ToolGateway`](super::run_seams::ToolGateway) the run loop calls.
//!
//! Protocol work (transports, auth, sessions, schema validation, the built-in
//! server's tools) is `zaby_mcp`'s; this module decides what to connect to with
//! which credentials, and stores what it learns.

pub(crate) mod attach;
pub(crate) mod builtin;
pub mod builtin_token;
pub(crate) mod calls;
pub(crate) mod gateway;
pub(crate) mod installations;
pub(crate) mod servers;

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use http::StatusCode;
use serde_json::Value;
use zaby::types::AccessPermission;
use zaby_mcp::{McpClient, McpClientConfig, McpError};

use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::storage::mcp::{self as store, InstallationRow, PolicyRow, ServerRow, ToolRow};
use crate::storage::sql::Conn;
use crate::util::crypto::SecretBox;

/// Shared MCP state: the client (with its session cache), the secrets box for
/// credentials, and where this process's own built-in server listens.
pub struct McpState {
    pub(crate) client: McpClient,
    secrets: SecretBox,
    builtin_url: OnceLock<String>,
}

impl McpState {
    pub(crate) fn new(settings: &Settings, secrets: SecretBox) -> Self {
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
    pub(crate) fn set_listen_addr(&self, addr: SocketAddr) {
        let mut addr = addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = self.builtin_url.set(format!("http://{addr}{}", zaby_mcp::builtin::BUILTIN_PATH));
    }

    pub(crate) fn builtin_url(&self) -> Option<&str> {
        self.builtin_url.get().map(String::as_str)
    }

    pub(crate) fn seal(&self, plaintext: &[u8]) -> String {
        self.secrets.seal(plaintext)
    }

    pub(crate) fn open(&self, sealed: &str) -> ApiResult<Vec<u8>> {
        Ok(self.secrets.open(sealed)?)
    }
}

/// An MCP client failure as the API error of E72, E73 and E80.
pub(crate) fn mcp_error(e: &McpError) -> ApiError {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_GATEWAY);
    ApiError::new(status, e.code(), e.to_string())
}

/// A server definition with how many tools it has (`McpServer`).
pub(crate) struct ServerView {
    pub(crate) row: ServerRow,
    pub(crate) tool_count: i64,
}

pub(crate) async fn server_view(conn: &mut Conn, row: ServerRow) -> ApiResult<ServerView> {
    let tool_count = store::count_tools(conn, &row.id).await?;
    Ok(ServerView { row, tool_count })
}

/// An installation with how many tools its server has (`McpInstallation`).
pub(crate) struct InstallationView {
    pub(crate) row: InstallationRow,
    pub(crate) tool_count: i64,
}

pub(crate) async fn installation_view(conn: &mut Conn, row: InstallationRow) -> ApiResult<InstallationView> {
    let tool_count = store::count_tools(conn, &row.server_id).await?;
    Ok(InstallationView { row, tool_count })
}

/// A tool as seen through an installation, with its effective policy
/// (`McpInstallationTool`).
pub(crate) struct InstallationTool {
    pub(crate) installation_id: String,
    pub(crate) tool: ToolRow,
    pub(crate) policy: Effective,
}

pub(crate) fn installation_tool(i: &InstallationRow, tool: ToolRow, p: Option<&PolicyRow>) -> InstallationTool {
    let policy = effective(i, &tool, p);
    InstallationTool { installation_id: i.id.clone(), tool, policy }
}

/// A tool's policy in an installation, with defaults applied.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub(crate) risk_override: Option<String>,
    pub(crate) requires_approval: bool,
    pub(crate) enabled: bool,
    pub(crate) required_role: Option<String>,
    pub(crate) metadata: Value,
    pub(crate) risk_level: String,
}

pub(crate) fn effective(i: &InstallationRow, t: &ToolRow, p: Option<&PolicyRow>) -> Effective {
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

pub(crate) async fn load_server(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<ServerRow> {
    store::get_server(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("MCP server"))
}

pub(crate) async fn load_installation(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<InstallationRow> {
    store::get_installation(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("MCP installation"))
}

pub(crate) fn revoked_error(i: &InstallationRow) -> ApiError {
    ApiError::conflict("INSTALLATION_REVOKED", format!("MCP installation {} is revoked", i.id))
}

/// Whether `agent_id` may use the installation: an installation with access grants
/// is usable only by agents holding an unexpired grant with `invoke`.
pub(crate) async fn agent_has_access(
    conn: &mut Conn,
    installation_id: &str,
    agent_id: &str,
    now: i64,
) -> ApiResult<bool> {
    if store::count_grants(conn, installation_id).await? == 0 {
        return Ok(true);
    }
    Ok(store::get_grant(conn, installation_id, agent_id).await?.is_some_and(|g| {
        g.permissions.iter().any(|p| p == AccessPermission::Invoke.as_str()) && g.expires_at.is_none_or(|e| e > now)
    }))
}
