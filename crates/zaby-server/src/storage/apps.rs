//! External apps and their deployment bindings.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;

use super::columns::{Flag, Json, stored_document};
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, all_as, exec, like_pattern, one, one_as};
use crate::args;

/// An external app row; `doc` holds what is not a column.
#[derive(Debug, Clone, FromRow)]
pub struct AppRow {
    pub id: String,
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    pub agent_id: Option<String>,
    pub status: String,
    pub doc: AppDoc,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The members of an external app that are not columns, stored as the JSON object
/// `external_apps.doc` (camelCase). A member added later takes `#[serde(default)]`, so
/// the rows written before it still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppDoc {
    /// Empty: any origin.
    #[serde(default)]
    pub(crate) allowed_origins: Vec<String>,
    #[serde(default)]
    pub(crate) token_ttl_seconds: Option<i64>,
    #[serde(default)]
    pub(crate) metadata: Map<String, Value>,
}

stored_document!(AppDoc);

pub async fn insert(conn: &mut Conn, a: &AppRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO external_apps (id, tenant_id, slug, name, agent_id, status, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![&a.id, &a.tenant_id, &a.slug, &a.name, &a.agent_id, &a.status, &a.doc, a.created_at, a.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn update(conn: &mut Conn, a: &AppRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE external_apps SET slug = $3, name = $4, agent_id = $5, status = $6, doc = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2",
        args![&a.tenant_id, &a.id, &a.slug, &a.name, &a.agent_id, &a.status, &a.doc, a.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<AppRow>> {
    one_as(conn, "SELECT * FROM external_apps WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn slug_taken(conn: &mut Conn, tenant_id: &str, slug: &str, except_id: &str) -> DbResult<bool> {
    Ok(one(
        conn,
        "SELECT id FROM external_apps WHERE tenant_id = $1 AND slug = $2 AND id <> $3",
        args![tenant_id, slug, except_id],
    )
    .await?
    .is_some())
}

#[derive(Debug, Default)]
pub struct AppFilter {
    pub status: Option<String>,
    pub agent_id: Option<String>,
    pub q: Option<String>,
}

pub async fn list(conn: &mut Conn, tenant_id: &str, filter: &AppFilter, page: &PageRequest) -> DbResult<Page<AppRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(s) = &filter.status {
        f.eq("status", s.as_str());
    }
    if let Some(agent) = &filter.agent_id {
        // The app names the agent, or is bound to one of the agent's deployments.
        let a = f.bind(agent.as_str());
        let b = f.bind(agent.as_str());
        f.clause(format!(
            "(agent_id = {a} OR id IN (SELECT b.external_app_id FROM deployment_bindings b JOIN deployments d ON d.id = b.deployment_id WHERE d.agent_id = {b}))"
        ));
    }
    if let Some(q) = &filter.q {
        let p = f.bind(like_pattern(q));
        f.clause(format!("(LOWER(name) LIKE {p} ESCAPE '\\' OR LOWER(slug) LIKE {p} ESCAPE '\\')"));
    }
    fetch_page(conn, "external_apps", &f, page).await
}

#[derive(Debug, Clone, FromRow)]
pub struct BindingRow {
    pub id: String,
    pub tenant_id: String,
    pub external_app_id: String,
    pub deployment_id: String,
    #[sqlx(try_from = "Flag")]
    pub allow_browser_runtime: bool,
    #[sqlx(try_from = "Flag")]
    pub allow_server_runtime: bool,
    #[sqlx(try_from = "Flag")]
    pub allow_approvals: bool,
    pub rate_limit_per_minute: Option<i64>,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn get_binding(conn: &mut Conn, app_id: &str, deployment_id: &str) -> DbResult<Option<BindingRow>> {
    one_as(
        conn,
        "SELECT * FROM deployment_bindings WHERE external_app_id = $1 AND deployment_id = $2",
        args![app_id, deployment_id],
    )
    .await
}

pub async fn insert_binding(conn: &mut Conn, b: &BindingRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO deployment_bindings (id, tenant_id, external_app_id, deployment_id, allow_browser_runtime, allow_server_runtime, allow_approvals, rate_limit_per_minute, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        args![
            &b.id, &b.tenant_id, &b.external_app_id, &b.deployment_id, b.allow_browser_runtime,
            b.allow_server_runtime, b.allow_approvals, b.rate_limit_per_minute, &b.metadata,
            b.created_at, b.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn update_binding(conn: &mut Conn, b: &BindingRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE deployment_bindings SET allow_browser_runtime = $2, allow_server_runtime = $3, allow_approvals = $4, rate_limit_per_minute = $5, metadata = $6, updated_at = $7 WHERE id = $1",
        args![
            &b.id, b.allow_browser_runtime, b.allow_server_runtime, b.allow_approvals,
            b.rate_limit_per_minute, &b.metadata, b.updated_at
        ],
    )
    .await?;
    Ok(())
}

/// Bindings of an app, in binding order.
pub async fn bindings_of_app(conn: &mut Conn, app_id: &str) -> DbResult<Vec<BindingRow>> {
    all_as(conn, "SELECT * FROM deployment_bindings WHERE external_app_id = $1 ORDER BY created_at, id", args![app_id])
        .await
}

pub async fn bindings_of_deployment(conn: &mut Conn, deployment_id: &str) -> DbResult<Vec<BindingRow>> {
    all_as(
        conn,
        "SELECT * FROM deployment_bindings WHERE deployment_id = $1 ORDER BY created_at, id",
        args![deployment_id],
    )
    .await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_old_app_document_reads_and_is_written_back_unchanged() {
        // As the server wrote it before `AppDoc` (built member by member).
        let old = json!({"allowedOrigins": ["https://shop.example"], "tokenTtlSeconds": null, "metadata": {"k": 1}});
        let doc: AppDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(doc.allowed_origins, ["https://shop.example"]);
        assert_eq!(doc.token_ttl_seconds, None);
        assert_eq!(serde_json::to_value(&doc).unwrap(), old);
        assert_eq!(serde_json::from_value::<AppDoc>(json!({})).unwrap(), AppDoc::default());
    }
}
