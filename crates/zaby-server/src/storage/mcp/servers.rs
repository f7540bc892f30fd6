//! Server definitions and their discovered tools (`services/mcp/servers.rs`), and
//! the catalog.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::{Flag, Json, stored_document};
use crate::storage::page::{Page, PageRequest, fetch_page};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, like_pattern, one, one_as, scalar_i64};

/// A server definition row; `doc` holds what is not a column.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ServerRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) status: String,
    pub(crate) transport: String,
    pub(crate) auth_mode: String,
    /// `EXTERNAL` or `INTERNAL` (the API's `type`).
    pub(crate) kind: String,
    #[sqlx(try_from = "Flag")]
    pub(crate) is_builtin: bool,
    pub(crate) doc: ServerDoc,
    pub(crate) last_discovered_at: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// The members of a server definition that are not columns, stored as the JSON object
/// `mcp_servers.doc` (camelCase). A member added later takes `#[serde(default)]`, so
/// the rows written before it still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerDoc {
    /// `None`: the server's `name`.
    #[serde(default)]
    pub(crate) display_name: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// Unless the transport is `STDIO`.
    #[serde(default)]
    pub(crate) endpoint_url: Option<String>,
    /// The `STDIO` transport's program and arguments.
    #[serde(default)]
    pub(crate) command: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) metadata: Map<String, Value>,
}

stored_document!(ServerDoc);

impl ServerRow {
    pub(crate) fn display_name(&self) -> String {
        self.doc.display_name.clone().unwrap_or_else(|| self.name.clone())
    }
}

pub(crate) async fn insert_server(conn: &mut Conn, s: &ServerRow) -> DbResult<()> {
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

pub(crate) async fn update_server(conn: &mut Conn, s: &ServerRow) -> DbResult<()> {
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

pub(crate) async fn get_server(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ServerRow>> {
    one_as(conn, "SELECT * FROM mcp_servers WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub(crate) async fn builtin_server(conn: &mut Conn, tenant_id: &str) -> DbResult<Option<ServerRow>> {
    one_as(conn, "SELECT * FROM mcp_servers WHERE tenant_id = $1 AND is_builtin = 1", args![tenant_id]).await
}

pub(crate) async fn server_slug_taken(conn: &mut Conn, tenant_id: &str, slug: &str, except_id: &str) -> DbResult<bool> {
    Ok(one(
        conn,
        "SELECT id FROM mcp_servers WHERE tenant_id = $1 AND slug = $2 AND id <> $3",
        args![tenant_id, slug, except_id],
    )
    .await?
    .is_some())
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct ToolRow {
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) server_id: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    #[sqlx(try_from = "Json")]
    pub(crate) input_schema: Value,
    pub(crate) risk_level: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

pub(crate) async fn insert_tool(conn: &mut Conn, t: &ToolRow) -> DbResult<()> {
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

pub(crate) async fn update_tool(conn: &mut Conn, t: &ToolRow) -> DbResult<()> {
    exec(
        conn,
        "UPDATE mcp_tools SET description = $2, input_schema = $3, updated_at = $4 WHERE id = $1",
        args![&t.id, &t.description, &t.input_schema, t.updated_at],
    )
    .await?;
    Ok(())
}

/// Removes a tool and every installation policy of it.
pub(crate) async fn delete_tool(conn: &mut Conn, tool_id: &str) -> DbResult<()> {
    exec(conn, "DELETE FROM mcp_tool_policies WHERE tool_id = $1", args![tool_id]).await?;
    exec(conn, "DELETE FROM mcp_tools WHERE id = $1", args![tool_id]).await?;
    Ok(())
}

/// Tools of a server, in discovery order.
pub(crate) async fn tools_of_server(conn: &mut Conn, server_id: &str) -> DbResult<Vec<ToolRow>> {
    all_as(conn, "SELECT * FROM mcp_tools WHERE server_id = $1 ORDER BY created_at, id", args![server_id]).await
}

pub(crate) async fn count_tools(conn: &mut Conn, server_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM mcp_tools WHERE server_id = $1", args![server_id]).await
}

pub(crate) async fn get_tool(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ToolRow>> {
    one_as(conn, "SELECT * FROM mcp_tools WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub(crate) async fn tool_by_name(conn: &mut Conn, server_id: &str, name: &str) -> DbResult<Option<ToolRow>> {
    one_as(conn, "SELECT * FROM mcp_tools WHERE server_id = $1 AND name = $2", args![server_id, name]).await
}

pub(crate) async fn tools_page(conn: &mut Conn, server_id: &str, page: &PageRequest) -> DbResult<Page<ToolRow>> {
    let mut f = Filter::new();
    f.eq("server_id", server_id);
    fetch_page(conn, "mcp_tools", &f, page).await
}

#[derive(Debug, Default)]
pub(crate) struct CatalogFilter {
    pub(crate) q: Option<String>,
    pub(crate) server_id: Option<String>,
}

/// Tools of the tenant's `ACTIVE` server definitions.
pub(crate) async fn catalog_page(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_old_server_document_reads_and_is_written_back_unchanged() {
        // As the server wrote it before `ServerDoc` (built member by member).
        let old = json!({"displayName": "Docs", "description": null, "endpointUrl": null,
                         "command": ["npx", "docs-mcp"], "metadata": {"k": 1}});
        let doc: ServerDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(doc.command.as_deref(), Some(&["npx".to_string(), "docs-mcp".to_string()][..]));
        assert_eq!(serde_json::to_value(&doc).unwrap(), old);
        assert_eq!(serde_json::from_value::<ServerDoc>(json!({})).unwrap(), ServerDoc::default());
    }
}
