//! Knowledge bases, documents, chunks and their term statistics, ingestion jobs, the
//! knowledge library, sources, source groups, ingestion/governance policies and
//! profiles (API.md §4.12). Every query is scoped by tenant (and knowledge base).

use std::collections::HashMap;

use serde_json::Value;
use sqlx::any::AnyRow;

use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Arg, Conn, DbResult, Filter, RowExt, all, exec, like_pattern, one, scalar_i64};
use crate::args;

fn json_opt(row: &AnyRow, col: &str) -> DbResult<Option<Value>> {
    match row.text_opt(col)? {
        Some(t) => Ok(Some(serde_json::from_str(&t).map_err(|e| sqlx::Error::Decode(Box::new(e)))?)),
        None => Ok(None),
    }
}

fn map_page<T>(page: Page<AnyRow>, f: impl Fn(&AnyRow) -> DbResult<T>) -> DbResult<Page<T>> {
    let items = page.items.iter().map(f).collect::<DbResult<Vec<_>>>()?;
    Ok(Page { items, cursors: page.cursors, next_cursor: page.next_cursor, total: page.total })
}

/// `column IN ($a, $b, …)`; `1 = 0` for an empty list.
pub fn in_clause(f: &mut Filter, column: &str, values: &[String]) {
    let ps: Vec<String> = values.iter().map(|v| f.bind(v.as_str())).collect();
    if ps.is_empty() {
        f.clause("1 = 0".into());
    } else {
        f.clause(format!("{column} IN ({})", ps.join(", ")));
    }
}

// ---------------------------------------------------------------- knowledge bases

/// `doc`: description, accessLevel, tags, metadata.
#[derive(Debug, Clone)]
pub struct KbRow {
    pub id: String,
    pub tenant_id: String,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

fn kb(row: &AnyRow) -> DbResult<KbRow> {
    Ok(KbRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        slug: row.text("slug")?,
        name: row.text("name")?,
        status: row.text("status")?,
        doc: row.json("doc")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
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
    one(conn, "SELECT * FROM knowledge_bases WHERE tenant_id = $1 AND id = $2", args![tenant_id, id])
        .await?
        .as_ref()
        .map(kb)
        .transpose()
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

pub async fn count_documents(conn: &mut Conn, kb_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM kb_documents WHERE kb_id = $1", args![kb_id]).await
}

// ---------------------------------------------------------------- documents

/// `doc`: filename, fileType, metadata.
#[derive(Debug, Clone)]
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
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

fn document(row: &AnyRow) -> DbResult<DocumentRow> {
    Ok(DocumentRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        kb_id: row.text("kb_id")?,
        source_id: row.text_opt("source_id")?,
        status: row.text("status")?,
        origin: row.text("origin")?,
        job_id: row.text_opt("job_id")?,
        title: row.text("title")?,
        content: row.text("content")?,
        chunk_count: row.int("chunk_count")?,
        doc: row.json("doc")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
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
    one(conn, "SELECT * FROM kb_documents WHERE tenant_id = $1 AND id = $2", args![tenant_id, id])
        .await?
        .as_ref()
        .map(document)
        .transpose()
}

pub async fn documents_of_source(conn: &mut Conn, source_id: &str) -> DbResult<Vec<DocumentRow>> {
    all(conn, "SELECT * FROM kb_documents WHERE source_id = $1 ORDER BY created_at, id", args![source_id])
        .await?
        .iter()
        .map(document)
        .collect()
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

// ---------------------------------------------------------------- chunks

/// A chunk to store, with its term statistics.
pub struct NewChunk {
    pub id: String,
    pub index: i64,
    pub content: String,
    pub metadata: Value,
    pub embedding: Option<Vec<f32>>,
    pub term_len: i64,
    pub terms: Vec<(String, i64)>,
}

pub async fn delete_chunks(conn: &mut Conn, document_id: &str) -> DbResult<()> {
    exec(
        conn,
        "DELETE FROM kb_chunk_terms WHERE chunk_id IN (SELECT id FROM kb_chunks WHERE document_id = $1)",
        args![document_id],
    )
    .await?;
    exec(conn, "DELETE FROM kb_chunks WHERE document_id = $1", args![document_id]).await?;
    Ok(())
}

/// Replaces a document's chunks.
pub async fn replace_chunks(conn: &mut Conn, d: &DocumentRow, chunks: &[NewChunk]) -> DbResult<()> {
    delete_chunks(conn, &d.id).await?;
    for c in chunks {
        let embedding = c.embedding.as_ref().map(|e| serde_json::to_string(e).unwrap_or_default());
        exec(
            conn,
            "INSERT INTO kb_chunks (id, tenant_id, kb_id, document_id, source_id, idx, content, term_len, metadata, embedding, doc_created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args![
                &c.id, &d.tenant_id, &d.kb_id, &d.id, &d.source_id, c.index, &c.content, c.term_len, &c.metadata,
                embedding, d.created_at
            ],
        )
        .await?;
        for (term, tf) in &c.terms {
            exec(
                conn,
                "INSERT INTO kb_chunk_terms (chunk_id, kb_id, term, tf) VALUES ($1, $2, $3, $4)",
                args![&c.id, &d.kb_id, term.as_str(), *tf],
            )
            .await?;
        }
    }
    Ok(())
}

/// A chunk as retrieval sees it.
#[derive(Debug, Clone)]
pub struct ChunkHit {
    pub id: String,
    pub document_id: String,
    pub source_id: Option<String>,
    pub index: i64,
    pub content: String,
    pub metadata: Value,
    pub embedding: Option<Vec<f32>>,
    pub doc_created_at: i64,
    pub title: String,
}

fn chunk_filter(kb_id: &str, source_ids: Option<&[String]>) -> Filter {
    let mut f = Filter::new();
    f.eq("c.kb_id", kb_id);
    f.clause("d.status = 'READY'".into());
    if let Some(ids) = source_ids {
        in_clause(&mut f, "c.source_id", ids);
    }
    f
}

/// Corpus statistics over the READY chunks of a knowledge base (optionally of some
/// sources): `N`, `Σ len`, and `n(q)` for each query term.
pub async fn corpus_stats(
    conn: &mut Conn,
    kb_id: &str,
    source_ids: Option<&[String]>,
    terms: &[String],
) -> DbResult<(u64, u64, HashMap<String, u64>)> {
    let f = chunk_filter(kb_id, source_ids);
    let row = one(
        conn,
        &format!(
            "SELECT COUNT(*) AS n, CAST(SUM(c.term_len) AS BIGINT) AS total FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id WHERE {}",
            f.sql()
        ),
        f.args.clone(),
    )
    .await?;
    let (n, total) = match row {
        Some(r) => (r.int_opt("n")?.unwrap_or(0), r.int_opt("total")?.unwrap_or(0)),
        None => (0, 0),
    };
    let mut freq = HashMap::new();
    if !terms.is_empty() {
        let mut f = chunk_filter(kb_id, source_ids);
        let kb = f.bind(kb_id);
        f.clause(format!("t.kb_id = {kb}"));
        in_clause(&mut f, "t.term", terms);
        let rows = all(
            conn,
            &format!(
                "SELECT t.term AS term, COUNT(*) AS n FROM kb_chunk_terms t JOIN kb_chunks c ON c.id = t.chunk_id \
                 JOIN kb_documents d ON d.id = c.document_id WHERE {} GROUP BY t.term",
                f.sql()
            ),
            f.args,
        )
        .await?;
        for r in rows {
            freq.insert(r.text("term")?, r.int("n")? as u64);
        }
    }
    Ok((n as u64, total as u64, freq))
}

/// READY chunks of the knowledge base; with `terms`, only those containing at least
/// one of them (preselection for lexical scoring).
pub async fn chunk_candidates(
    conn: &mut Conn,
    kb_id: &str,
    source_ids: Option<&[String]>,
    terms: Option<&[String]>,
) -> DbResult<Vec<ChunkHit>> {
    let mut f = chunk_filter(kb_id, source_ids);
    if let Some(terms) = terms {
        let kb = f.bind(kb_id);
        let ps: Vec<String> = terms.iter().map(|t| f.bind(t.as_str())).collect();
        if ps.is_empty() {
            f.clause("1 = 0".into());
        } else {
            f.clause(format!(
                "c.id IN (SELECT chunk_id FROM kb_chunk_terms WHERE kb_id = {kb} AND term IN ({}))",
                ps.join(", ")
            ));
        }
    }
    let rows = all(
        conn,
        &format!(
            "SELECT c.id, c.document_id, c.source_id, c.idx, c.content, c.metadata, c.embedding, c.doc_created_at, d.title \
             FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id WHERE {} ORDER BY c.doc_created_at, c.document_id, c.idx",
            f.sql()
        ),
        f.args,
    )
    .await?;
    rows.iter()
        .map(|r| {
            let embedding = match r.text_opt("embedding")? {
                Some(t) => serde_json::from_str(&t).ok(),
                None => None,
            };
            Ok(ChunkHit {
                id: r.text("id")?,
                document_id: r.text("document_id")?,
                source_id: r.text_opt("source_id")?,
                index: r.int("idx")?,
                content: r.text("content")?,
                metadata: r.json("metadata")?,
                embedding,
                doc_created_at: r.int("doc_created_at")?,
                title: r.text("title")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------- jobs

#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: String,
    pub tenant_id: String,
    pub kb_id: String,
    pub kind: String,
    pub status: String,
    pub document_id: Option<String>,
    pub source_id: Option<String>,
    pub selection_id: Option<String>,
    pub items_processed: i64,
    pub error: Option<Value>,
    pub run_after: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub updated_at: i64,
}

fn job(row: &AnyRow) -> DbResult<JobRow> {
    Ok(JobRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        kb_id: row.text("kb_id")?,
        kind: row.text("type")?,
        status: row.text("status")?,
        document_id: row.text_opt("document_id")?,
        source_id: row.text_opt("source_id")?,
        selection_id: row.text_opt("selection_id")?,
        items_processed: row.int("items_processed")?,
        error: json_opt(row, "error")?,
        run_after: row.int("run_after")?,
        created_at: row.int("created_at")?,
        started_at: row.int_opt("started_at")?,
        completed_at: row.int_opt("completed_at")?,
        cancelled_at: row.int_opt("cancelled_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub async fn insert_job(conn: &mut Conn, j: &JobRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO kb_jobs (id, tenant_id, kb_id, type, status, document_id, source_id, selection_id, items_processed, error, run_after, lease_until, created_at, started_at, completed_at, cancelled_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, NULL, $11, NULL, NULL, NULL, $12)",
        args![
            &j.id, &j.tenant_id, &j.kb_id, &j.kind, &j.status, &j.document_id, &j.source_id, &j.selection_id,
            j.items_processed, j.run_after, j.created_at, j.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_job(conn: &mut Conn, tenant_id: &str, kb_id: &str, id: &str) -> DbResult<Option<JobRow>> {
    one(conn, "SELECT * FROM kb_jobs WHERE tenant_id = $1 AND kb_id = $2 AND id = $3", args![tenant_id, kb_id, id])
        .await?
        .as_ref()
        .map(job)
        .transpose()
}

pub async fn get_job_by_id(conn: &mut Conn, id: &str) -> DbResult<Option<JobRow>> {
    one(conn, "SELECT * FROM kb_jobs WHERE id = $1", args![id]).await?.as_ref().map(job).transpose()
}

pub async fn list_jobs(
    conn: &mut Conn,
    tenant_id: &str,
    kb_id: &str,
    status: Option<&str>,
    kind: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<JobRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id).eq("kb_id", kb_id);
    if let Some(s) = status {
        f.eq("status", s);
    }
    if let Some(t) = kind {
        f.eq("type", t);
    }
    map_page(fetch_page(conn, "kb_jobs", &f, page).await?, job)
}

/// QUEUED jobs whose delay has passed → RUNNING (once across replicas); RUNNING
/// then lasts at least `pace` ms. Returns how many were started.
pub async fn start_due_jobs(conn: &mut Conn, now: i64, pace: i64) -> DbResult<u64> {
    exec(
        conn,
        "UPDATE kb_jobs SET status = 'RUNNING', started_at = $1, run_after = $2, updated_at = $1 WHERE status = 'QUEUED' AND run_after <= $1",
        args![now, now + pace],
    )
    .await
}

/// RUNNING jobs ready to execute whose lease is free.
pub async fn runnable_jobs(conn: &mut Conn, now: i64, limit: i64) -> DbResult<Vec<String>> {
    all(
        conn,
        "SELECT id FROM kb_jobs WHERE status = 'RUNNING' AND run_after <= $1 AND (lease_until IS NULL OR lease_until < $1) ORDER BY run_after, id LIMIT $2",
        args![now, limit],
    )
    .await?
    .iter()
    .map(|r| r.text("id"))
    .collect()
}

/// Takes the execution lease of a RUNNING job; `false` when another worker holds it.
pub async fn lease_job(conn: &mut Conn, id: &str, now: i64, until: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET lease_until = $3 WHERE id = $1 AND status = 'RUNNING' AND (lease_until IS NULL OR lease_until < $2)",
        args![id, now, until],
    )
    .await?
        > 0)
}

/// The earliest time a QUEUED or RUNNING job needs attention.
pub async fn next_job_due(conn: &mut Conn) -> DbResult<Option<i64>> {
    let row =
        one(conn, "SELECT MIN(run_after) AS t FROM kb_jobs WHERE status IN ('QUEUED', 'RUNNING')", vec![]).await?;
    match row {
        Some(r) => r.int_opt("t"),
        None => Ok(None),
    }
}

/// RUNNING → COMPLETED; `false` when the job was cancelled (or finished) meanwhile.
pub async fn complete_job(conn: &mut Conn, id: &str, items: i64, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET status = 'COMPLETED', items_processed = $2, completed_at = $3, updated_at = $3, lease_until = NULL WHERE id = $1 AND status = 'RUNNING'",
        args![id, items, now],
    )
    .await?
        > 0)
}

pub async fn fail_job(conn: &mut Conn, id: &str, error: &Value, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET status = 'FAILED', error = $2, completed_at = $3, updated_at = $3, lease_until = NULL WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')",
        args![id, error, now],
    )
    .await?
        > 0)
}

pub async fn cancel_job(conn: &mut Conn, id: &str, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET status = 'CANCELLED', cancelled_at = $2, completed_at = $2, updated_at = $2, lease_until = NULL WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')",
        args![id, now],
    )
    .await?
        > 0)
}

// ---------------------------------------------------------------- library

/// `doc`: filename, fileType, metadata.
#[derive(Debug, Clone)]
pub struct LibDocRow {
    pub id: String,
    pub tenant_id: String,
    pub title: String,
    pub status: String,
    pub current_version_id: String,
    pub version_count: i64,
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

fn lib_doc(row: &AnyRow) -> DbResult<LibDocRow> {
    Ok(LibDocRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        title: row.text("title")?,
        status: row.text("status")?,
        current_version_id: row.text("current_version_id")?,
        version_count: row.int("version_count")?,
        doc: row.json("doc")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
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
    one(conn, "SELECT * FROM library_documents WHERE tenant_id = $1 AND id = $2", args![tenant_id, id])
        .await?
        .as_ref()
        .map(lib_doc)
        .transpose()
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
    map_page(fetch_page(conn, "library_documents", &f, page).await?, lib_doc)
}

#[derive(Debug, Clone)]
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
    let row = one(
        conn,
        "SELECT * FROM library_versions WHERE library_document_id = $1 AND id = $2",
        args![library_document_id, id],
    )
    .await?;
    row.map(|r| {
        Ok(VersionRow {
            id: r.text("id")?,
            library_document_id: r.text("library_document_id")?,
            version: r.int("version")?,
            content: r.text("content")?,
            created_at: r.int("created_at")?,
        })
    })
    .transpose()
}

#[derive(Debug, Clone)]
pub struct FindingRow {
    pub id: String,
    pub library_document_id: String,
    pub version_id: String,
    pub index: i64,
    pub category: String,
    pub title: String,
    pub content: String,
    pub metadata: Value,
    pub created_at: i64,
}

fn finding(row: &AnyRow) -> DbResult<FindingRow> {
    Ok(FindingRow {
        id: row.text("id")?,
        library_document_id: row.text("library_document_id")?,
        version_id: row.text("version_id")?,
        index: row.int("idx")?,
        category: row.text("category")?,
        title: row.text("title")?,
        content: row.text("content")?,
        metadata: row.json("metadata")?,
        created_at: row.int("created_at")?,
    })
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
    all(conn, "SELECT * FROM library_findings WHERE version_id = $1 ORDER BY idx", args![version_id])
        .await?
        .iter()
        .map(finding)
        .collect()
}

pub async fn count_findings(conn: &mut Conn, version_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM library_findings WHERE version_id = $1", args![version_id]).await
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
        all(conn, &format!("SELECT * FROM library_findings WHERE {} ORDER BY idx LIMIT {lim}", f.sql()), f.args)
            .await?
            .iter()
            .map(finding)
            .collect::<DbResult<_>>()?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let cursors: Vec<String> = rows.iter().map(|r| super::page::encode_cursor(r.index, &r.id)).collect();
    let next_cursor = if more { cursors.last().cloned() } else { None };
    Ok(Page { items: rows, cursors, next_cursor, total })
}

#[derive(Debug, Clone)]
pub struct SelectionRow {
    pub id: String,
    pub tenant_id: String,
    pub kb_id: String,
    pub library_document_id: String,
    pub version_id: String,
    pub is_included: bool,
    pub metadata: Value,
    pub projected_document_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn selection(row: &AnyRow) -> DbResult<SelectionRow> {
    Ok(SelectionRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        kb_id: row.text("kb_id")?,
        library_document_id: row.text("library_document_id")?,
        version_id: row.text("version_id")?,
        is_included: row.flag("is_included")?,
        metadata: row.json("metadata")?,
        projected_document_id: row.text_opt("projected_document_id")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub async fn selection_of(conn: &mut Conn, kb_id: &str, library_document_id: &str) -> DbResult<Option<SelectionRow>> {
    one(
        conn,
        "SELECT * FROM kb_selections WHERE kb_id = $1 AND library_document_id = $2",
        args![kb_id, library_document_id],
    )
    .await?
    .as_ref()
    .map(selection)
    .transpose()
}

pub async fn get_selection(conn: &mut Conn, tenant_id: &str, kb_id: &str, id: &str) -> DbResult<Option<SelectionRow>> {
    one(
        conn,
        "SELECT * FROM kb_selections WHERE tenant_id = $1 AND kb_id = $2 AND id = $3",
        args![tenant_id, kb_id, id],
    )
    .await?
    .as_ref()
    .map(selection)
    .transpose()
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

// ------------------------------------------- sources, groups, policies, profiles

/// The shape shared by source groups, sources, ingestion policies and profiles:
/// a few filterable columns plus the rest as a JSON document.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub id: String,
    pub tenant_id: String,
    pub kb_id: String,
    /// `status` (groups, sources, policies) or `is_default` as "1"/"0" (profiles).
    pub status: String,
    /// `source_group_id` (sources) or `source_id` (policies).
    pub link: Option<String>,
    /// `type` (sources) or `schedule` (policies).
    pub extra: Option<String>,
    /// Policies: the time up to which due times were considered.
    pub checked_until: i64,
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which table an [`ItemRow`] lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SourceGroup,
    Source,
    Policy,
    Profile,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::SourceGroup => "kb_source_groups",
            Kind::Source => "kb_sources",
            Kind::Policy => "kb_ingestion_policies",
            Kind::Profile => "kb_profiles",
        }
    }
    fn status_col(self) -> &'static str {
        if self == Kind::Profile { "is_default" } else { "status" }
    }
    fn link_col(self) -> Option<&'static str> {
        match self {
            Kind::Source => Some("source_group_id"),
            Kind::Policy => Some("source_id"),
            _ => None,
        }
    }
    fn extra_col(self) -> Option<&'static str> {
        match self {
            Kind::Source => Some("type"),
            Kind::Policy => Some("schedule"),
            _ => None,
        }
    }
}

fn item(kind: Kind, row: &AnyRow) -> DbResult<ItemRow> {
    let status = if kind == Kind::Profile { row.int("is_default")?.to_string() } else { row.text("status")? };
    Ok(ItemRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        kb_id: row.text("kb_id")?,
        status,
        link: match kind.link_col() {
            Some(c) => row.text_opt(c)?,
            None => None,
        },
        extra: match kind.extra_col() {
            Some(c) => row.text_opt(c)?,
            None => None,
        },
        checked_until: if kind == Kind::Policy { row.int("checked_until")? } else { 0 },
        doc: row.json("doc")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

fn status_arg(kind: Kind, status: &str) -> Arg {
    if kind == Kind::Profile { Arg::from(status == "1") } else { Arg::from(status) }
}

pub async fn insert_item(conn: &mut Conn, kind: Kind, r: &ItemRow) -> DbResult<()> {
    let mut cols = vec!["id", "tenant_id", "kb_id", kind.status_col(), "doc", "created_at", "updated_at"];
    let mut vals: Vec<Arg> = args![&r.id, &r.tenant_id, &r.kb_id];
    vals.push(status_arg(kind, &r.status));
    vals.extend(args![&r.doc, r.created_at, r.updated_at]);
    if let Some(c) = kind.link_col() {
        cols.push(c);
        vals.push(Arg::from(&r.link));
    }
    if let Some(c) = kind.extra_col() {
        cols.push(c);
        vals.push(Arg::from(&r.extra));
    }
    if kind == Kind::Policy {
        cols.push("checked_until");
        vals.push(Arg::from(r.checked_until));
    }
    let ps: Vec<String> = (1..=vals.len()).map(|i| format!("${i}")).collect();
    exec(conn, &format!("INSERT INTO {} ({}) VALUES ({})", kind.table(), cols.join(", "), ps.join(", ")), vals).await?;
    Ok(())
}

pub async fn update_item(conn: &mut Conn, kind: Kind, r: &ItemRow) -> DbResult<()> {
    let mut sets = vec![format!("{} = $2", kind.status_col()), "doc = $3".to_string(), "updated_at = $4".to_string()];
    let mut vals: Vec<Arg> = args![&r.id];
    vals.push(status_arg(kind, &r.status));
    vals.extend(args![&r.doc, r.updated_at]);
    if let Some(c) = kind.link_col() {
        vals.push(Arg::from(&r.link));
        sets.push(format!("{c} = ${}", vals.len()));
    }
    if let Some(c) = kind.extra_col() {
        vals.push(Arg::from(&r.extra));
        sets.push(format!("{c} = ${}", vals.len()));
    }
    if kind == Kind::Policy {
        vals.push(Arg::from(r.checked_until));
        sets.push(format!("checked_until = ${}", vals.len()));
    }
    exec(conn, &format!("UPDATE {} SET {} WHERE id = $1", kind.table(), sets.join(", ")), vals).await?;
    Ok(())
}

pub async fn get_item(
    conn: &mut Conn,
    kind: Kind,
    tenant_id: &str,
    kb_id: &str,
    id: &str,
) -> DbResult<Option<ItemRow>> {
    one(
        conn,
        &format!("SELECT * FROM {} WHERE tenant_id = $1 AND kb_id = $2 AND id = $3", kind.table()),
        args![tenant_id, kb_id, id],
    )
    .await?
    .as_ref()
    .map(|r| item(kind, r))
    .transpose()
}

/// Filters for listing: `(column, value)` equalities.
pub async fn list_items(
    conn: &mut Conn,
    kind: Kind,
    tenant_id: &str,
    kb_id: &str,
    eqs: &[(&str, String)],
    page: &PageRequest,
) -> DbResult<Page<ItemRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id).eq("kb_id", kb_id);
    for (c, v) in eqs {
        f.eq(c, v.as_str());
    }
    map_page(fetch_page(conn, kind.table(), &f, page).await?, |r| item(kind, r))
}

/// Every item of a knowledge base matching the equalities, oldest first.
pub async fn all_items(conn: &mut Conn, kind: Kind, kb_id: &str, eqs: &[(&str, String)]) -> DbResult<Vec<ItemRow>> {
    let mut f = Filter::new();
    f.eq("kb_id", kb_id);
    for (c, v) in eqs {
        f.eq(c, v.as_str());
    }
    all(conn, &format!("SELECT * FROM {} WHERE {} ORDER BY created_at, id", kind.table(), f.sql()), f.args)
        .await?
        .iter()
        .map(|r| item(kind, r))
        .collect()
}

pub async fn count_group_sources(conn: &mut Conn, group_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM kb_sources WHERE source_group_id = $1", args![group_id]).await
}

/// The default profile of a knowledge base.
pub async fn default_profile(conn: &mut Conn, kb_id: &str) -> DbResult<Option<ItemRow>> {
    one(
        conn,
        "SELECT * FROM kb_profiles WHERE kb_id = $1 AND is_default = 1 ORDER BY updated_at DESC, id LIMIT 1",
        args![kb_id],
    )
    .await?
    .as_ref()
    .map(|r| item(Kind::Profile, r))
    .transpose()
}

pub async fn clear_default_profiles(conn: &mut Conn, kb_id: &str, except: &str, now: i64) -> DbResult<()> {
    exec(
        conn,
        "UPDATE kb_profiles SET is_default = 0, updated_at = $3 WHERE kb_id = $1 AND id <> $2 AND is_default = 1",
        args![kb_id, except, now],
    )
    .await?;
    Ok(())
}

/// ACTIVE ingestion policies with a schedule, across tenants (the scheduler).
pub async fn scheduled_policies(conn: &mut Conn) -> DbResult<Vec<ItemRow>> {
    all(
        conn,
        "SELECT * FROM kb_ingestion_policies WHERE status = 'ACTIVE' AND schedule IS NOT NULL ORDER BY created_at, id",
        vec![],
    )
    .await?
    .iter()
    .map(|r| item(Kind::Policy, r))
    .collect()
}

/// Advances a policy's `checked_until` from `from` to `to`; `false` when another
/// replica moved it first (so each due time fires once).
pub async fn advance_policy(conn: &mut Conn, id: &str, from: i64, to: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_ingestion_policies SET checked_until = $3 WHERE id = $1 AND checked_until = $2",
        args![id, from, to],
    )
    .await?
        > 0)
}

// ---------------------------------------------------------------- governance

#[derive(Debug, Clone)]
pub struct GovernanceRow {
    pub id: String,
    pub kb_id: String,
    pub version: i64,
    pub doc: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn get_governance(conn: &mut Conn, kb_id: &str) -> DbResult<Option<GovernanceRow>> {
    let row = one(conn, "SELECT * FROM kb_governance_policies WHERE kb_id = $1", args![kb_id]).await?;
    row.map(|r| {
        Ok(GovernanceRow {
            id: r.text("id")?,
            kb_id: r.text("kb_id")?,
            version: r.int("version")?,
            doc: r.json("doc")?,
            created_at: r.int("created_at")?,
            updated_at: r.int("updated_at")?,
        })
    })
    .transpose()
}

pub async fn save_governance(conn: &mut Conn, tenant_id: &str, g: &GovernanceRow, insert: bool) -> DbResult<()> {
    if insert {
        exec(
            conn,
            "INSERT INTO kb_governance_policies (id, tenant_id, kb_id, version, doc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            args![&g.id, tenant_id, &g.kb_id, g.version, &g.doc, g.created_at, g.updated_at],
        )
        .await?;
    } else {
        exec(
            conn,
            "UPDATE kb_governance_policies SET version = $2, doc = $3, updated_at = $4 WHERE id = $1",
            args![&g.id, g.version, &g.doc, g.updated_at],
        )
        .await?;
    }
    Ok(())
}
