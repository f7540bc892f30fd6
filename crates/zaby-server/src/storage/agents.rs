//! Agents and their immutable published versions.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;
use zaby::types::{AgentModel, FunctionTool, KnowledgeBaseAttachment, McpToolAttachment, SkillAttachment};

use super::columns::{Json, stored_document};
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, exec, like_pattern, one, one_as};
use crate::args;

/// An agent row; `doc` holds what is not a column.
#[derive(Debug, Clone, FromRow)]
pub struct AgentRow {
    pub id: String,
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub category: Option<String>,
    pub visibility: String,
    pub doc: AgentDoc,
    pub latest_version: Option<i64>,
    pub latest_version_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The editable configuration of an agent that is not a column, stored as the JSON
/// object `agents.doc` (camelCase members, attachments in their wire form). A member
/// added later takes `#[serde(default)]`, so the rows written before it still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgentDoc {
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default = "zaby_model")]
    pub(crate) default_model: AgentModel,
    #[serde(default)]
    pub(crate) instructions: Option<String>,
    #[serde(default)]
    pub(crate) config: Map<String, Value>,
    #[serde(default)]
    pub(crate) metadata: Map<String, Value>,
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default)]
    pub(crate) provider: Option<String>,
    #[serde(default)]
    pub(crate) mcp_tools: Vec<McpToolAttachment>,
    #[serde(default)]
    pub(crate) knowledge_bases: Vec<KnowledgeBaseAttachment>,
    #[serde(default)]
    pub(crate) skills: Vec<SkillAttachment>,
    /// Left out while empty, so a document written before function tools reads and
    /// is written back unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) function_tools: Vec<FunctionTool>,
}

stored_document!(AgentDoc);

fn zaby_model() -> AgentModel {
    AgentModel::Zaby
}

/// What a published version freezes of an agent (`agent_versions.snapshot`, shown as
/// `AgentVersion.snapshot`). Its members are listed one by one, so a member added to
/// [`AgentDoc`] is frozen only when it is listed here too (a secret never is).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgentSnapshot<'a> {
    slug: &'a str,
    name: &'a str,
    description: &'a Option<String>,
    default_model: &'a AgentModel,
    instructions: &'a Option<String>,
    category: &'a Option<String>,
    visibility: &'a str,
    config: &'a Map<String, Value>,
    metadata: &'a Map<String, Value>,
    tags: &'a [String],
    provider: &'a Option<String>,
    mcp_tools: &'a [McpToolAttachment],
    knowledge_bases: &'a [KnowledgeBaseAttachment],
    skills: &'a [SkillAttachment],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    function_tools: &'a [FunctionTool],
}

impl<'a> AgentSnapshot<'a> {
    pub(crate) fn of(a: &'a AgentRow) -> Self {
        let d = &a.doc;
        AgentSnapshot {
            slug: &a.slug,
            name: &a.name,
            description: &d.description,
            default_model: &d.default_model,
            instructions: &d.instructions,
            category: &a.category,
            visibility: &a.visibility,
            config: &d.config,
            metadata: &d.metadata,
            tags: &d.tags,
            provider: &d.provider,
            mcp_tools: &d.mcp_tools,
            knowledge_bases: &d.knowledge_bases,
            skills: &d.skills,
            function_tools: &d.function_tools,
        }
    }
}

pub async fn insert(conn: &mut Conn, a: &AgentRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO agents (id, tenant_id, slug, name, status, category, visibility, doc, latest_version, latest_version_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        args![
            &a.id, &a.tenant_id, &a.slug, &a.name, &a.status, &a.category, &a.visibility, &a.doc,
            a.latest_version, &a.latest_version_id, a.created_at, a.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn update(conn: &mut Conn, a: &AgentRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE agents SET slug = $3, name = $4, status = $5, category = $6, visibility = $7, doc = $8, \
         latest_version = $9, latest_version_id = $10, updated_at = $11 WHERE tenant_id = $1 AND id = $2",
        args![
            &a.tenant_id,
            &a.id,
            &a.slug,
            &a.name,
            &a.status,
            &a.category,
            &a.visibility,
            &a.doc,
            a.latest_version,
            &a.latest_version_id,
            a.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<AgentRow>> {
    one_as(conn, "SELECT * FROM agents WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn slug_taken(conn: &mut Conn, tenant_id: &str, slug: &str, except_id: Option<&str>) -> DbResult<bool> {
    let row = one(
        conn,
        "SELECT id FROM agents WHERE tenant_id = $1 AND slug = $2 AND id <> $3",
        args![tenant_id, slug, except_id.unwrap_or("")],
    )
    .await?;
    Ok(row.is_some())
}

pub async fn delete(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<bool> {
    Ok(exec(conn, "DELETE FROM agents WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await? > 0)
}

#[derive(Debug, Default)]
pub struct AgentFilter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub visibility: Option<String>,
    pub q: Option<String>,
}

pub async fn list(
    conn: &mut Conn,
    tenant_id: &str,
    filter: &AgentFilter,
    page: &PageRequest,
) -> DbResult<Page<AgentRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(s) = &filter.status {
        f.eq("status", s.as_str());
    }
    if let Some(c) = &filter.category {
        f.eq("category", c.as_str());
    }
    if let Some(v) = &filter.visibility {
        f.eq("visibility", v.as_str());
    }
    if let Some(q) = &filter.q {
        let p = f.bind(like_pattern(q));
        f.clause(format!("(LOWER(name) LIKE {p} ESCAPE '\\' OR LOWER(slug) LIKE {p} ESCAPE '\\')"));
    }
    fetch_page(conn, "agents", &f, page).await
}

#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    pub id: String,
    pub tenant_id: String,
    pub agent_id: String,
    pub version: i64,
    #[sqlx(try_from = "Json")]
    pub snapshot: Value,
    pub created_at: i64,
}

pub async fn insert_version(conn: &mut Conn, v: &VersionRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO agent_versions (id, tenant_id, agent_id, version, snapshot, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![&v.id, &v.tenant_id, &v.agent_id, v.version, &v.snapshot, v.created_at],
    )
    .await?;
    Ok(())
}

pub async fn get_version(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<VersionRow>> {
    one_as(conn, "SELECT * FROM agent_versions WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn latest_version(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> DbResult<Option<VersionRow>> {
    one_as(
        conn,
        "SELECT * FROM agent_versions WHERE tenant_id = $1 AND agent_id = $2 ORDER BY version DESC LIMIT 1",
        args![tenant_id, agent_id],
    )
    .await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A document as the server wrote it before `AgentDoc` (built member by member).
    fn old_document() -> Value {
        json!({
            "description": null, "defaultModel": "zaby-max", "instructions": "Be kind.",
            "config": {"communicationStyle": {"tone": "warm"}}, "metadata": {"k": 1}, "tags": ["x"],
            "provider": null,
            "mcpTools": [{"id": "m-1", "agentId": "a-1", "tenantInstallationId": "i-1", "toolDefinitionId": null,
                          "key": "search", "name": "search", "description": null, "approvalMode": "AUTO",
                          "enabled": true, "config": {}, "metadata": {}, "createdAt": "1970-01-01T00:00:00.000Z"}],
            "knowledgeBases": [],
            "skills": [{"id": "s-1", "agentId": "a-1", "skillId": "faq", "key": "faq", "name": "faq",
                        "enabled": true, "config": {}, "metadata": {}, "createdAt": "1970-01-01T00:00:00.000Z"}],
        })
    }

    #[test]
    fn an_old_document_reads_and_is_written_back_unchanged() {
        let doc: AgentDoc = serde_json::from_value(old_document()).unwrap();
        assert_eq!(doc.default_model, AgentModel::ZabyMax);
        assert_eq!(doc.instructions.as_deref(), Some("Be kind."));
        assert_eq!(doc.mcp_tools[0].key, "search");
        assert_eq!(doc.skills[0].skill_id, "faq");
        assert_eq!(serde_json::to_value(&doc).unwrap(), old_document());
    }

    #[test]
    fn members_left_out_take_their_defaults() {
        let doc: AgentDoc = serde_json::from_value(json!({})).unwrap();
        assert_eq!(doc.default_model, AgentModel::Zaby);
        assert!(doc.config.is_empty() && doc.tags.is_empty() && doc.skills.is_empty());
        assert_eq!(doc.description, None);
    }

    #[test]
    fn a_snapshot_keeps_the_members_a_version_froze_before() {
        let row = AgentRow {
            id: "a-1".into(),
            tenant_id: "t".into(),
            slug: "support".into(),
            name: "Support".into(),
            status: "ACTIVE".into(),
            category: None,
            visibility: "PRIVATE".into(),
            doc: serde_json::from_value(old_document()).unwrap(),
            latest_version: None,
            latest_version_id: None,
            created_at: 0,
            updated_at: 0,
        };
        let mut expected = old_document();
        let map = expected.as_object_mut().unwrap();
        map.insert("slug".into(), json!("support"));
        map.insert("name".into(), json!("Support"));
        map.insert("category".into(), Value::Null);
        map.insert("visibility".into(), json!("PRIVATE"));
        assert_eq!(serde_json::to_value(AgentSnapshot::of(&row)).unwrap(), expected);
    }
}
