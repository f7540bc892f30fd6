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

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::FromRow;
use zaby::types::{FileType, KnowledgeAccessLevel};

use crate::args;
use crate::storage::columns::stored_document;
use crate::storage::sql::{Conn, DbResult, all_as, exec, one_as, scalar_i64};

#[derive(Debug, Clone, FromRow)]
pub struct KbRow {
    pub id: String,
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub doc: KbDoc,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The members of a knowledge base without a column, stored as the JSON object
/// `knowledge_bases.doc` by their wire names. A member added later takes
/// `#[serde(default)]`, so the rows written before it still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KbDoc {
    #[serde(default)]
    pub description: Option<String>,
    pub access_level: KnowledgeAccessLevel,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

stored_document!(KbDoc);

/// The members of a document, or of a library document, without a column (stored as
/// `kb_documents.doc` and `library_documents.doc`, the latter with its counts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDoc {
    #[serde(default)]
    pub filename: Option<String>,
    pub file_type: FileType,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// Library documents: characters of the current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_length: Option<i64>,
    /// Library documents: findings of the current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding_count: Option<i64>,
}

stored_document!(FileDoc);

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
    pub doc: FileDoc,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn old_knowledge_base_and_document_documents_read_and_are_written_back_unchanged() {
        // As the server wrote them before `KbDoc` and `FileDoc`.
        let old = json!({"description": null, "accessLevel": "TENANT", "tags": ["a"], "metadata": {"k": 1}});
        let kb: KbDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!((kb.access_level, kb.tags.as_slice()), (KnowledgeAccessLevel::Tenant, ["a".to_string()].as_slice()));
        assert_eq!(serde_json::to_value(&kb).unwrap(), old);
        let old = json!({"filename": "g.md", "fileType": "MD", "metadata": {}});
        let doc: FileDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!((doc.file_type, doc.content_length), (FileType::Md, None));
        assert_eq!(serde_json::to_value(&doc).unwrap(), old, "a knowledge-base document has no counts");
        let old = json!({"filename": null, "fileType": "TXT", "metadata": {}, "contentLength": 5, "findingCount": 1});
        let lib: FileDoc = serde_json::from_value(old.clone()).unwrap();
        assert_eq!((lib.content_length, lib.finding_count), (Some(5), Some(1)));
        assert_eq!(serde_json::to_value(&lib).unwrap(), old);
    }
}
