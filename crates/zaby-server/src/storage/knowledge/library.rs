//! The knowledge library: versioned documents, their findings and their selections
//! into knowledge bases.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::{Flag, Json};
use crate::storage::page::{Page, PageRequest, encode_cursor, fetch_page};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, like_pattern, one_as, scalar_i64};

#[derive(Debug, Clone, FromRow)]
pub struct LibDocRow {
    pub id: String,
    pub tenant_id: String,
    pub title: String,
    pub status: String,
    pub current_version_id: String,
    pub version_count: i64,
    pub doc: super::FileDoc,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn upsert_lib_doc(conn: &mut Conn, d: &LibDocRow, insert: bool) -> DbResult<()> {
    if insert {
        exec(
            conn,
            "INSERT INTO library_documents (id, tenant_id, title, status, current_version_id, version_count, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![&d.id, &d.tenant_id, &d.title, &d.status, &d.current_version_id, d.version_count, &d.doc, d.created_at, d.updated_at],
        )
        .await?;
    } else {
        exec(
            conn,
            "UPDATE library_documents SET title = $2, status = $3, current_version_id = $4, version_count = $5, doc = $6, updated_at = $7 WHERE id = $1",
            args![&d.id, &d.title, &d.status, &d.current_version_id, d.version_count, &d.doc, d.updated_at],
        )
        .await?;
    }
    Ok(())
}

pub async fn get_lib_doc(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<LibDocRow>> {
    one_as(conn, "SELECT * FROM library_documents WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn list_lib_docs(
    conn: &mut Conn,
    tenant_id: &str,
    q: Option<&str>,
    status: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<LibDocRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(s) = status {
        f.eq("status", s);
    }
    if let Some(q) = q {
        let p = f.bind(like_pattern(q));
        f.clause(format!("LOWER(title) LIKE {p} ESCAPE '\\'"));
    }
    fetch_page(conn, "library_documents", &f, page).await
}

#[derive(Debug, Clone, FromRow)]
pub struct VersionRow {
    pub id: String,
    pub library_document_id: String,
    pub version: i64,
    pub content: String,
    pub created_at: i64,
}

pub async fn insert_version(conn: &mut Conn, tenant_id: &str, v: &VersionRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO library_versions (id, tenant_id, library_document_id, version, content, doc, created_at) VALUES ($1, $2, $3, $4, $5, '{}', $6)",
        args![&v.id, tenant_id, &v.library_document_id, v.version, &v.content, v.created_at],
    )
    .await?;
    Ok(())
}

pub async fn get_version(conn: &mut Conn, library_document_id: &str, id: &str) -> DbResult<Option<VersionRow>> {
    one_as(
        conn,
        "SELECT * FROM library_versions WHERE library_document_id = $1 AND id = $2",
        args![library_document_id, id],
    )
    .await
}

#[derive(Debug, Clone, FromRow)]
pub struct FindingRow {
    pub id: String,
    pub library_document_id: String,
    pub version_id: String,
    #[sqlx(rename = "idx")]
    pub index: i64,
    pub category: String,
    pub title: String,
    pub content: String,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub created_at: i64,
}

pub async fn insert_finding(conn: &mut Conn, tenant_id: &str, f: &FindingRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO library_findings (id, tenant_id, library_document_id, version_id, idx, category, title, content, metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        args![&f.id, tenant_id, &f.library_document_id, &f.version_id, f.index, &f.category, &f.title, &f.content, &f.metadata, f.created_at],
    )
    .await?;
    Ok(())
}

pub async fn findings_of_version(conn: &mut Conn, version_id: &str) -> DbResult<Vec<FindingRow>> {
    all_as(conn, "SELECT * FROM library_findings WHERE version_id = $1 ORDER BY idx", args![version_id]).await
}

/// Findings of one version, paged by position (`idx` plays `created_at`).
pub async fn list_findings(
    conn: &mut Conn,
    version_id: &str,
    category: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<FindingRow>> {
    let mut f = Filter::new();
    f.eq("version_id", version_id);
    if let Some(c) = category {
        f.eq("category", c);
    }
    let total =
        scalar_i64(conn, &format!("SELECT COUNT(*) FROM library_findings WHERE {}", f.sql()), f.args.clone()).await?;
    if let Some((idx, _)) = &page.after {
        let p = f.bind(*idx);
        f.clause(format!("idx > {p}"));
    }
    let lim = f.bind(page.limit + 1);
    let mut rows: Vec<FindingRow> =
        all_as(conn, &format!("SELECT * FROM library_findings WHERE {} ORDER BY idx LIMIT {lim}", f.sql()), f.args)
            .await?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let cursors: Vec<String> = rows.iter().map(|r| encode_cursor(r.index, &r.id)).collect();
    let next_cursor = if more { cursors.last().cloned() } else { None };
    Ok(Page { items: rows, cursors, next_cursor, total })
}

#[derive(Debug, Clone, FromRow)]
pub struct SelectionRow {
    pub id: String,
    pub tenant_id: String,
    pub kb_id: String,
    pub library_document_id: String,
    pub version_id: String,
    #[sqlx(try_from = "Flag")]
    pub is_included: bool,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    pub projected_document_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn selection_of(conn: &mut Conn, kb_id: &str, library_document_id: &str) -> DbResult<Option<SelectionRow>> {
    one_as(
        conn,
        "SELECT * FROM kb_selections WHERE kb_id = $1 AND library_document_id = $2",
        args![kb_id, library_document_id],
    )
    .await
}

pub async fn get_selection(conn: &mut Conn, tenant_id: &str, kb_id: &str, id: &str) -> DbResult<Option<SelectionRow>> {
    one_as(
        conn,
        "SELECT * FROM kb_selections WHERE tenant_id = $1 AND kb_id = $2 AND id = $3",
        args![tenant_id, kb_id, id],
    )
    .await
}

pub async fn save_selection(conn: &mut Conn, s: &SelectionRow, insert: bool) -> DbResult<()> {
    if insert {
        exec(
            conn,
            "INSERT INTO kb_selections (id, tenant_id, kb_id, library_document_id, version_id, is_included, metadata, projected_document_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            args![&s.id, &s.tenant_id, &s.kb_id, &s.library_document_id, &s.version_id, s.is_included, &s.metadata, &s.projected_document_id, s.created_at, s.updated_at],
        )
        .await?;
    } else {
        exec(
            conn,
            "UPDATE kb_selections SET version_id = $2, is_included = $3, metadata = $4, projected_document_id = $5, updated_at = $6 WHERE id = $1",
            args![&s.id, &s.version_id, s.is_included, &s.metadata, &s.projected_document_id, s.updated_at],
        )
        .await?;
    }
    Ok(())
}
