//! Attachment inputs that reference other domains' resources (`docs/api/README.md` E9, E10).
//!
//! The field rules are checked here in full. The referenced MCP installation/tool is
//! resolved by `services::mcp::attach`, the knowledge base below; a reference that
//! does not resolve answers 422 naming the field, as for any body reference that
//! does not exist.

use serde_json::Map;
use zaby::types::{
    ApprovalMode, AttachKnowledgeBaseInput, AttachMcpToolInput, KnowledgeBaseAttachment, McpToolAttachment,
};

use crate::error::{ApiError, ApiResult};
use crate::services::mcp::attach;
use crate::storage::agents::AgentRow;
use crate::storage::sql::Conn;
use crate::util::input::Problems;

const ID_MAX: usize = 100;
const SHORT_MAX: usize = 200;
const TEXT_MAX: usize = 10_000;

/// An optional id, key or name: not empty, within `max` characters.
fn short(p: &mut Problems, field: &str, value: Option<&str>, max: usize) {
    if let Some(v) = value {
        p.text(field, v, max, false);
    }
}

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
        && kb_store::get_item::<kb_store::ProfileDoc>(conn, &agent.tenant_id, &kb.id, p).await?.is_none()
    {
        return Err(ApiError::invalid("knowledgeProfileId", "is not a profile of that knowledge base"));
    }
    Ok(Some(KnowledgeBaseTarget { slug: kb.slug, name: kb.name }))
}

/// E9 / E114: the attachment `input` describes, with a new `id`; `attach` keeps the
/// `id` and `createdAt` of an attachment it replaces.
pub(crate) async fn mcp_tool(
    conn: &mut Conn,
    agent: &AgentRow,
    input: AttachMcpToolInput,
    id: String,
    created_at: String,
) -> ApiResult<McpToolAttachment> {
    let mut p = Problems::default();
    let installation = input.tenant_installation_id.as_deref();
    let tool = input.tool_definition_id.as_deref();
    short(&mut p, "tenantInstallationId", installation, ID_MAX);
    short(&mut p, "toolDefinitionId", tool, ID_MAX);
    short(&mut p, "toolId", input.tool_id.as_deref(), ID_MAX);
    if installation.is_none() && input.tool_id.is_none() {
        p.add("tenantInstallationId", "is required");
    }
    if installation.is_some() && tool.is_none() {
        p.add("toolDefinitionId", "is required");
    }
    short(&mut p, "key", input.key.as_deref(), SHORT_MAX);
    short(&mut p, "name", input.name.as_deref(), SHORT_MAX);
    if let Some(d) = &input.description {
        p.text("description", d, TEXT_MAX, true);
    }
    p.finish()?;
    let target = attach::resolve(conn, agent, installation, tool, input.tool_id.as_deref()).await?;
    Ok(McpToolAttachment {
        id,
        agent_id: agent.id.clone(),
        tenant_installation_id: target.tenant_installation_id,
        tool_definition_id: target.tool_definition_id,
        key: input.key.unwrap_or_else(|| target.default_name.clone()),
        name: input.name.unwrap_or(target.default_name),
        description: input.description,
        approval_mode: input.approval_mode.unwrap_or(ApprovalMode::TenantPolicy),
        enabled: input.enabled.unwrap_or(true),
        config: input.config.unwrap_or_default(),
        metadata: input.metadata.unwrap_or_default(),
        created_at: Some(created_at),
        extra: Map::new(),
    })
}

/// E10 / E115, as [`mcp_tool`].
pub(crate) async fn knowledge_base(
    conn: &mut Conn,
    agent: &AgentRow,
    input: AttachKnowledgeBaseInput,
    id: String,
    created_at: String,
) -> ApiResult<KnowledgeBaseAttachment> {
    let mut p = Problems::default();
    p.text("knowledgeBaseId", &input.knowledge_base_id, ID_MAX, false);
    short(&mut p, "knowledgeBaseVersionId", input.knowledge_base_version_id.as_deref(), ID_MAX);
    short(&mut p, "knowledgeProfileId", input.knowledge_profile_id.as_deref(), ID_MAX);
    short(&mut p, "key", input.key.as_deref(), SHORT_MAX);
    short(&mut p, "name", input.name.as_deref(), SHORT_MAX);
    if let Some(d) = &input.description {
        p.text("description", d, TEXT_MAX, true);
    }
    p.finish()?;
    let target = resolve_knowledge_base(conn, agent, &input.knowledge_base_id, input.knowledge_profile_id.as_deref())
        .await?
        .ok_or_else(|| ApiError::invalid("knowledgeBaseId", "does not name a knowledge base of this tenant"))?;
    Ok(KnowledgeBaseAttachment {
        knowledge_base_id: input.knowledge_base_id,
        knowledge_base_version_id: input.knowledge_base_version_id,
        knowledge_profile_id: input.knowledge_profile_id,
        key: input.key.unwrap_or_else(|| target.slug.clone()),
        name: input.name.unwrap_or(target.name),
        description: input.description,
        enabled: input.enabled.unwrap_or(true),
        retrieval_policy: input.retrieval_policy.unwrap_or_default(),
        citation_policy: input.citation_policy.unwrap_or_default(),
        coverage_policy: input.coverage_policy.unwrap_or_default(),
        personalization_policy: input.personalization_policy.unwrap_or_default(),
        knowledge_policy: input.knowledge_policy.unwrap_or_default(),
        metadata: input.metadata.unwrap_or_default(),
        id,
        agent_id: agent.id.clone(),
        created_at: Some(created_at),
        extra: Map::new(),
    })
}
