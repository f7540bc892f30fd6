//! Chunks of READY documents with their term statistics, and what retrieval reads of
//! them: candidates and corpus statistics.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::FromRow;

use super::DocumentRow;
use crate::args;
use crate::storage::columns::{Embedding, Json};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as};

/// `column IN ($a, $b, …)`; `1 = 0` for an empty list.
fn in_clause(f: &mut Filter, column: &str, values: &[String]) {
    let ps: Vec<String> = values.iter().map(|v| f.bind(v.as_str())).collect();
    if ps.is_empty() {
        f.clause("1 = 0".into());
    } else {
        f.clause(format!("{column} IN ({})", ps.join(", ")));
    }
}

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
#[derive(Debug, Clone, FromRow)]
pub struct ChunkHit {
    pub id: String,
    pub document_id: String,
    pub source_id: Option<String>,
    #[sqlx(rename = "idx")]
    pub index: i64,
    pub content: String,
    #[sqlx(try_from = "Json")]
    pub metadata: Value,
    #[sqlx(try_from = "Embedding")]
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
    let row: Option<(i64, Option<i64>)> = one_as(
        conn,
        &format!(
            "SELECT COUNT(*) AS n, CAST(SUM(c.term_len) AS BIGINT) AS total FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id WHERE {}",
            f.sql()
        ),
        f.args.clone(),
    )
    .await?;
    let (n, total) = row.map_or((0, 0), |(n, total)| (n, total.unwrap_or(0)));
    let mut freq = HashMap::new();
    if !terms.is_empty() {
        let mut f = chunk_filter(kb_id, source_ids);
        let kb = f.bind(kb_id);
        f.clause(format!("t.kb_id = {kb}"));
        in_clause(&mut f, "t.term", terms);
        let rows: Vec<(String, i64)> = all_as(
            conn,
            &format!(
                "SELECT t.term AS term, COUNT(*) AS n FROM kb_chunk_terms t JOIN kb_chunks c ON c.id = t.chunk_id \
                 JOIN kb_documents d ON d.id = c.document_id WHERE {} GROUP BY t.term",
                f.sql()
            ),
            f.args,
        )
        .await?;
        freq.extend(rows.into_iter().map(|(term, n)| (term, n as u64)));
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
    all_as(
        conn,
        &format!(
            "SELECT c.id, c.document_id, c.source_id, c.idx, c.content, c.metadata, c.embedding, c.doc_created_at, d.title \
             FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id WHERE {} ORDER BY c.doc_created_at, c.document_id, c.idx",
            f.sql()
        ),
        f.args,
    )
    .await
}
