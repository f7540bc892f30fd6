//! Agents and their immutable published versions.

use serde_json::Value;

use sqlx::FromRow;

use super::columns::Json;
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, exec, like_pattern, one, one_as};
use crate::args;

/// An agent row. `doc` holds the editable configuration that is not a column:
/// description, defaultModel, instructions, config, metadata, tags, provider and the
/// attachment lists (mcpTools, knowledgeBases, skills).
#[derive(Debug, Clone, FromRow)]
pub struct AgentRow {
    pub id: String,
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub category: Option<String>,
    pub visibility: String,
    #[sqlx(try_from = "Json")]
    pub doc: Value,
    pub latest_version: Option<i64>,
    pub latest_version_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
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
