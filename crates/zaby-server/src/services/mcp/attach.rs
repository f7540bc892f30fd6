//! Resolving the MCP reference of an attachment (E9, E114; `docs/api/agents.md`
//! `AttachMcpToolInput`).

use super::{agent_has_access, revoked_error};
use crate::error::{ApiError, ApiResult};
use crate::storage::agents::AgentRow;
use crate::storage::mcp as store;
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;

/// A resolved MCP attachment target.
pub(crate) struct McpTarget {
    pub(crate) tenant_installation_id: String,
    /// `None` = every tool of the installation.
    pub(crate) tool_definition_id: Option<String>,
    /// Default key and name (the tool name, or the installation's server slug).
    pub(crate) default_name: String,
}

/// `tenantInstallationId` + `toolDefinitionId`, or the `toolId` alias (a tool id,
/// then an installation id). Revoked → 409 `INSTALLATION_REVOKED`; a tool of another
/// server, an unknown reference, or an agent without an `invoke` grant on an
/// installation that has grants → 422.
pub(crate) async fn resolve(
    conn: &mut Conn,
    agent: &AgentRow,
    installation_id: Option<&str>,
    tool_id: Option<&str>,
    alias_tool_id: Option<&str>,
) -> ApiResult<McpTarget> {
    let tenant = &agent.tenant_id;
    let (installation, tool, field) = match installation_id {
        Some(iid) => {
            let i = store::get_installation(conn, tenant, iid).await?.ok_or_else(|| {
                ApiError::invalid("tenantInstallationId", "does not name an MCP installation of this tenant")
            })?;
            let tool = match tool_id {
                Some(tid) => {
                    Some(store::get_tool(conn, tenant, tid).await?.filter(|t| t.server_id == i.server_id).ok_or_else(
                        || ApiError::invalid("toolDefinitionId", "is not a tool of the installation's server"),
                    )?)
                }
                None => None,
            };
            (i, tool, "tenantInstallationId")
        }
        None => {
            let alias = alias_tool_id.unwrap_or_default();
            match store::get_tool(conn, tenant, alias).await? {
                Some(t) => {
                    let i = store::newest_active_installation(conn, &t.server_id).await?.ok_or_else(|| {
                        ApiError::invalid("toolId", "names a tool whose server has no active installation")
                    })?;
                    (i, Some(t), "toolId")
                }
                None => {
                    let i = store::get_installation(conn, tenant, alias).await?.ok_or_else(|| {
                        ApiError::invalid("toolId", "does not name an MCP tool or installation of this tenant")
                    })?;
                    (i, None, "toolId")
                }
            }
        }
    };
    if installation.revoked() {
        return Err(revoked_error(&installation));
    }
    if !agent_has_access(conn, &installation.id, &agent.id, now_ms()).await? {
        return Err(ApiError::invalid(field, "the agent holds no invoke access grant for this installation"));
    }
    let default_name = match &tool {
        Some(t) => t.name.clone(),
        None => store::get_server(conn, tenant, &installation.server_id)
            .await?
            .map(|s| s.slug)
            .unwrap_or_else(|| installation.name.clone()),
    };
    Ok(McpTarget { tenant_installation_id: installation.id, tool_definition_id: tool.map(|t| t.id), default_name })
}
