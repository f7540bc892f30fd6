//! Knowledge bases, documents, chunks and their term statistics, ingestion jobs, the
//! knowledge library, sources, source groups, ingestion/governance policies and
//! profiles (`docs/api/knowledge-bases.md`). Every query is scoped by tenant (and knowledge base).

mod chunks;
mod jobs;
mod library;
mod setup;

pub use chunks::*;
pub use jobs::*;
pub use library::*;
pub use setup::*;

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::Json;
use crate::storage::sql::{Conn, DbResult, all_as, exec, one_as, scalar_i64};

/// `doc`: description, accessLevel, tags, metadata.
#[derive(Debug, Clone, FromRow)]
pub struct KbRow {
    pub id: String,
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    #[sqlx(try_from = "Json")]
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn insert_kb(conn: &mut Conn, k: &KbRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO knowledge_bases (id, tenant_id, slug, name, status, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![&k.id, &k.tenant_id, &k.slug, &k.name, &k.status, &k.doc, k.created_at, k.updated_at],
    )
    .await?;
    Ok(())
}

pub async fn get_kb(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<KbRow>> {
    one_as(conn, "SELECT * FROM knowledge_bases WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn slug_taken(conn: &mut Conn, tenant_id: &str, slug: &str) -> DbResult<bool> {
    Ok(scalar_i64(
        conn,
        "SELECT COUNT(*) FROM knowledge_bases WHERE tenant_id = $1 AND slug = $2",
        args![tenant_id, slug],
    )
    .await?
        > 0)
}

/// `doc`: filename, fileType, metadata.
#[derive(Debug, Clone, FromRow)]
pub struct DocumentRow {
    pub id: String,
    pub tenant_id: String,
    pub kb_id: String,
    pub source_id: Option<String>,
    pub status: String,
    pub origin: String,
    pub job_id: Option<String>,
    pub title: String,
    pub content: String,
    pub chunk_count: i64,
    #[sqlx(try_from = "Json")]
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn insert_document(conn: &mut Conn, d: &DocumentRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO kb_documents (id, tenant_id, kb_id, source_id, status, origin, job_id, title, content, chunk_count, doc, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        args![
            &d.id, &d.tenant_id, &d.kb_id, &d.source_id, &d.status, &d.origin, &d.job_id, &d.title, &d.content,
            d.chunk_count, &d.doc, d.created_at, d.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_document(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<DocumentRow>> {
    one_as(conn, "SELECT * FROM kb_documents WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

pub async fn documents_of_source(conn: &mut Conn, source_id: &str) -> DbResult<Vec<DocumentRow>> {
    all_as(conn, "SELECT * FROM kb_documents WHERE source_id = $1 ORDER BY created_at, id", args![source_id]).await
}

pub async fn count_source_documents(conn: &mut Conn, source_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM kb_documents WHERE source_id = $1", args![source_id]).await
}

pub async fn set_document_status(conn: &mut Conn, id: &str, status: &str, chunk_count: i64, now: i64) -> DbResult<()> {
    exec(
        conn,
        "UPDATE kb_documents SET status = $2, chunk_count = $3, updated_at = $4 WHERE id = $1",
        args![id, status, chunk_count, now],
    )
    .await?;
    Ok(())
}

pub async fn delete_document(conn: &mut Conn, id: &str) -> DbResult<()> {
    delete_chunks(conn, id).await?;
    exec(conn, "DELETE FROM kb_documents WHERE id = $1", args![id]).await?;
    Ok(())
}
