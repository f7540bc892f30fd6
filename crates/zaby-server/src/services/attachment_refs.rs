//! Attachment inputs that reference other domains' resources (`docs/api/README.md` E9, E10).
//!
//! The field rules are checked here in full. The referenced MCP installation/tool is
//! resolved by `services::mcp::attach`, the knowledge base below; a reference that
//! does not resolve answers 422 naming the field, as for any body reference that
//! does not exist.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::services::mcp::attach;
use crate::storage::agents::AgentRow;
use crate::storage::sql::Conn;
use crate::util::input::Fields;

pub const APPROVAL_MODES: &[&str] = &["AUTO", "MANUAL", "TENANT_POLICY"];

/// A resolved knowledge-base attachment target.
pub struct KnowledgeBaseTarget {
    pub slug: String,
    pub name: String,
}

/// Finds the knowledge base of the agent's tenant; a `knowledgeProfileId` must be a
/// profile of that knowledge base (422 naming the field otherwise).
async fn resolve_knowledge_base(
    conn: &mut Conn,
    agent: &AgentRow,
    knowledge_base_id: &str,
    profile_id: Option<&str>,
) -> ApiResult<Option<KnowledgeBaseTarget>> {
    use crate::storage::knowledge as kb_store;
    let Some(kb) = kb_store::get_kb(conn, &agent.tenant_id, knowledge_base_id).await? else {
        return Ok(None);
    };
    if let Some(p) = profile_id
        && kb_store::get_item(conn, kb_store::Kind::Profile, &agent.tenant_id, &kb.id, p).await?.is_none()
    {
        return Err(ApiError::invalid("knowledgeProfileId", "is not a profile of that knowledge base"));
    }
    Ok(Some(KnowledgeBaseTarget { slug: kb.slug, name: kb.name }))
}

pub async fn mcp_tool_input(conn: &mut Conn, agent: &AgentRow, body: &Value) -> ApiResult<Value> {
    let mut f = Fields::new(body);
    let installation = f.opt_str("tenantInstallationId", 100);
    let tool = f.opt_str("toolDefinitionId", 100);
    let alias = f.opt_str("toolId", 100);
    if installation.is_none() && alias.is_none() {
        f.error("tenantInstallationId", "is required");
    }
    if installation.is_some() && tool.is_none() {
        f.error("toolDefinitionId", "is required");
    }
    let key = f.opt_str("key", 200);
    let name = f.opt_str("name", 200);
    let description = f.opt_text("description", 10_000);
    let approval_mode = f.opt_enum("approvalMode", APPROVAL_MODES);
    let enabled = f.opt_bool("enabled");
    let config = f.opt_object("config");
    let metadata = f.opt_object("metadata");
    f.finish()?;
    let target = attach::resolve(conn, agent, installation.as_deref(), tool.as_deref(), alias.as_deref()).await?;
    Ok(json!({
        "tenantInstallationId": target.tenant_installation_id,
        "toolDefinitionId": target.tool_definition_id,
        "key": key.unwrap_or_else(|| target.default_name.clone()),
        "name": name.unwrap_or(target.default_name),
        "description": description,
        "approvalMode": approval_mode.unwrap_or_else(|| "TENANT_POLICY".into()),
        "enabled": enabled.unwrap_or(true),
        "config": config.unwrap_or_else(|| json!({})),
        "metadata": metadata.unwrap_or_else(|| json!({})),
    }))
}

pub async fn knowledge_base_input(conn: &mut Conn, agent: &AgentRow, body: &Value) -> ApiResult<Value> {
    let mut f = Fields::new(body);
    let kb = f.req_str("knowledgeBaseId", 100);
    let kb_version = f.opt_str("knowledgeBaseVersionId", 100);
    let profile = f.opt_str("knowledgeProfileId", 100);
    let key = f.opt_str("key", 200);
    let name = f.opt_str("name", 200);
    let description = f.opt_text("description", 10_000);
    let enabled = f.opt_bool("enabled");
    let policies: Vec<(&str, Option<Value>)> =
        ["retrievalPolicy", "citationPolicy", "coveragePolicy", "personalizationPolicy", "knowledgePolicy"]
            .into_iter()
            .map(|k| (k, f.opt_object(k)))
            .collect();
    let metadata = f.opt_object("metadata");
    f.finish()?;
    let kb = kb.unwrap_or_default();
    let target = resolve_knowledge_base(conn, agent, &kb, profile.as_deref())
        .await?
        .ok_or_else(|| ApiError::invalid("knowledgeBaseId", "does not name a knowledge base of this tenant"))?;
    let mut out = json!({
        "knowledgeBaseId": kb,
        "knowledgeBaseVersionId": kb_version,
        "knowledgeProfileId": profile,
        "key": key.unwrap_or_else(|| target.slug.clone()),
        "name": name.unwrap_or(target.name),
        "description": description,
        "enabled": enabled.unwrap_or(true),
        "metadata": metadata.unwrap_or_else(|| json!({})),
    });
    for (k, v) in policies {
        out[k] = v.unwrap_or_else(|| json!({}));
    }
    Ok(out)
}
