//! Retrieval (E48), provisional answers (E49), and the search every other caller
//! (runs, the built-in `kb_search` tool) goes through.
//!
//! Scores are computed by `zaby_knowledge` in Rust. Storage only preselects the chunks
//! holding a query term (lexical scoring) and supplies the corpus statistics (`N`,
//! `Σ len`, `n(q)`) over every READY chunk searched, from the per-chunk term rows
//! written at ingestion — so SQLite and PostgreSQL give identical results.

use serde_json::{Value, json};
use zaby_knowledge::{CorpusStats, Doc, EmbeddingsClient, Mode, ScoreOptions, Scored};

use super::load_kb;
use crate::error::{ApiError, ApiResult};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::knowledge::{self as store, ChunkHit, KbRow};
use crate::storage::sql::Conn;
use crate::util::input::Fields;

/// What to search for.
#[derive(Debug, Clone)]
pub struct SearchParams {
    pub query: String,
    pub top_k: usize,
    pub min_score: f64,
    pub mode: Mode,
    pub source_ids: Option<Vec<String>>,
}

/// One ranked chunk.
#[derive(Debug, Clone)]
pub struct Hit {
    pub chunk: ChunkHit,
    pub score: f64,
}

/// Ranks the READY chunks of `kb` (`docs/api/knowledge-bases.md` "Scoring").
pub async fn search(
    embeddings: Option<&EmbeddingsClient>,
    conn: &mut Conn,
    kb: &KbRow,
    p: &SearchParams,
) -> ApiResult<Vec<Hit>> {
    let terms = zaby_knowledge::query_terms(&p.query);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let query_embedding = match (embeddings, p.mode) {
        (Some(client), Mode::Semantic | Mode::Hybrid) => match client.embed_one(&p.query).await {
            Ok(v) => Some(v),
            Err(e) => {
                return Err(ApiError::new(
                    http::StatusCode::BAD_GATEWAY,
                    "EMBEDDINGS_ERROR",
                    format!("the embeddings provider failed: {e}"),
                ));
            }
        },
        _ => None,
    };
    let sources = p.source_ids.as_deref();
    let (n, total, freq) = store::corpus_stats(conn, &kb.id, sources, &terms).await?;
    let stats = CorpusStats::new(n, total, freq);
    // Preselection is valid only for lexical scoring.
    let preselect = if query_embedding.is_none() { Some(terms.as_slice()) } else { None };
    let chunks = store::chunk_candidates(conn, &kb.id, sources, preselect).await?;
    let docs: Vec<Doc<'_, (i64, &str, i64)>> = chunks
        .iter()
        .map(|c| Doc {
            id: &c.id,
            text: &c.content,
            tiebreak: (c.doc_created_at, c.document_id.as_str(), c.index),
            embedding: c.embedding.as_deref(),
        })
        .collect();
    let options = ScoreOptions { top_k: p.top_k, min_score: p.min_score, mode: p.mode, query_embedding };
    let scored: Vec<Scored> = zaby_knowledge::score_candidates(&docs, &p.query, &stats, &options);
    Ok(scored.into_iter().map(|s| Hit { chunk: chunks[s.index].clone(), score: s.score }).collect())
}

pub fn render_hit(kb_id: &str, h: &Hit) -> Value {
    json!({
        "chunkId": h.chunk.id,
        "documentId": h.chunk.document_id,
        "knowledgeBaseId": kb_id,
        "title": h.chunk.title,
        "content": h.chunk.content,
        "index": h.chunk.index,
        "score": h.score,
        "sourceId": h.chunk.source_id,
        "metadata": h.chunk.metadata,
    })
}

/// Reads `RetrieveInput` (alias `limit` → `topK`).
/// `(query, topK, minScore, mode, sourceIds)` of a `RetrieveInput`.
type RetrieveInput = (String, Option<i64>, f64, Mode, Option<Vec<String>>);

fn retrieve_input(body: &Value) -> ApiResult<RetrieveInput> {
    let mut f = Fields::new(body);
    let query = match f.raw("query") {
        None | Some(Value::Null) => {
            f.error("query", "is required");
            None
        }
        Some(_) => f.opt_text("query", 10_000),
    };
    let top_key = if f.has("topK") && !f.raw("topK").is_some_and(Value::is_null) { "topK" } else { "limit" };
    let top_k = match f.raw(top_key) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().filter(|_| v.is_i64() || v.is_u64()) {
            Some(n) if zaby_knowledge::scoring::validate_top_k(n).is_ok() => Some(n),
            _ => {
                f.error(top_key, "must be an integer between 1 and 50");
                None
            }
        },
    };
    let min_score = match f.raw("minScore") {
        None | Some(Value::Null) => 0.0,
        Some(v) => match v.as_f64() {
            Some(x) if zaby_knowledge::scoring::validate_min_score(x).is_ok() => x,
            _ => {
                f.error("minScore", "must be a number between 0 and 1");
                0.0
            }
        },
    };
    let mode = match f.raw("mode") {
        None | Some(Value::Null) => Mode::Hybrid,
        Some(v) => match v.as_str().map(Mode::parse) {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                f.error("mode", e.message);
                Mode::Hybrid
            }
            None => {
                f.error("mode", "must be a string");
                Mode::Hybrid
            }
        },
    };
    let source_ids = f.opt_str_list("sourceIds", 100);
    f.finish()?;
    Ok((query.unwrap_or_default(), top_k, min_score, mode, source_ids))
}

/// Loads an ACTIVE knowledge base and builds the search of E48/E49: `topK` (default
/// 5) capped by the default profile's `maxChunks`.
async fn prepare(conn: &mut Conn, caller: &Caller, kb_id: &str, body: &Value) -> ApiResult<(KbRow, SearchParams)> {
    let kb = load_kb(conn, &caller.tenant_id, kb_id).await?;
    let (query, top_k, min_score, mode, source_ids) = retrieve_input(body)?;
    if kb.status != "ACTIVE" {
        return Err(ApiError::conflict("CONFLICT", "the knowledge base is INACTIVE"));
    }
    let profile = super::kb_profile(conn, &kb.id).await?;
    let top_k = profile.cap_top_k(top_k.unwrap_or(zaby_knowledge::scoring::DEFAULT_TOP_K as i64) as usize);
    Ok((kb, SearchParams { query, top_k, min_score, mode, source_ids }))
}

/// E48.
pub async fn retrieve(ctx: &Ctx, caller: &Caller, kb_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let (kb, params) = prepare(&mut conn, caller, kb_id, body).await?;
    let hits = search(ctx.embeddings.as_ref(), &mut conn, &kb, &params).await?;
    let items: Vec<Value> = hits.iter().map(|h| render_hit(&kb.id, h)).collect();
    Ok(Outcome::Ok(json!({
        "query": params.query,
        "knowledgeBaseId": kb.id,
        "total": items.len(),
        "items": items,
    })))
}

/// Characters of the best chunk the development model answers with.
const ANSWER_CHARS: usize = 500;

/// The model mapped to `zaby` (`docs/operations.md`) answering `query` from `hits` (non-empty,
/// best first): the development model answers with the first 500 characters of the
/// best chunk; a real provider runs one step (no tools, the chunks as context) and
/// its streamed text is the answer. A provider failure is `502 MODEL_ERROR`.
async fn model_answer(ctx: &Ctx, query: &str, hits: &[Hit]) -> ApiResult<String> {
    use futures::StreamExt;
    use zaby_models::{ContextPassage, ModelEvent, ProviderKind, StepRequest};
    const MODEL: &str = "zaby";
    let provider = ctx.runs.models.resolve(MODEL);
    if provider.kind() == ProviderKind::Local {
        return Ok(zaby_knowledge::first_chars(&hits[0].chunk.content, ANSWER_CHARS).to_string());
    }
    let request = StepRequest {
        model: MODEL.to_string(),
        message: query.to_string(),
        input: Value::String(query.to_string()),
        context: hits
            .iter()
            .map(|h| {
                ContextPassage::chunk(&h.chunk.id, &h.chunk.document_id, &h.chunk.title, &h.chunk.content, h.score)
            })
            .collect(),
        config: json!({}),
        ..StepRequest::default()
    };
    let failed = |message: String| {
        tracing::warn!(error = %message, "provisional answer: the model mapped to `zaby` failed");
        ApiError::new(
            http::StatusCode::BAD_GATEWAY,
            "MODEL_ERROR",
            format!("the model mapped to `zaby` failed: {message}"),
        )
    };
    let mut stream = provider.step(request);
    let mut answer = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(ModelEvent::TextDelta(t)) => answer.push_str(&t),
            Ok(ModelEvent::ToolCalls(_)) => return Err(failed("the model asked for tools".into())),
            Ok(_) => {}
            Err(e) => return Err(failed(e.message)),
        }
    }
    Ok(answer)
}

/// E49. The answer is written by the model mapped to `zaby` ([`model_answer`]).
pub async fn provisional_answer(ctx: &Ctx, caller: &Caller, kb_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let (kb, params) = prepare(&mut conn, caller, kb_id, body).await?;
    let hits = search(ctx.embeddings.as_ref(), &mut conn, &kb, &params).await?;
    let citations: Vec<Value> = hits
        .iter()
        .map(|h| {
            json!({"chunkId": h.chunk.id, "documentId": h.chunk.document_id, "title": h.chunk.title, "score": h.score})
        })
        .collect();
    drop(conn);
    let (status, answer, confidence) = match hits.first() {
        Some(best) => ("ANSWERED", model_answer(ctx, &params.query, &hits).await?, best.score),
        None => ("NO_ANSWER", String::new(), 0.0),
    };
    Ok(Outcome::Ok(json!({
        "query": params.query,
        "status": status,
        "answer": answer,
        "confidence": confidence,
        "citations": citations,
    })))
}

/// `kb_search` of the built-in MCP server (`zaby_mcp::builtin::KnowledgeSearch`, used
/// by `services::mcp::builtin`): a `RetrievalResult` over a knowledge base of
/// `tenant_id` with the default options (`topK` capped by the default profile).
/// Unknown knowledge base → `NOT_FOUND`; INACTIVE → `CONFLICT`.
pub async fn kb_search(
    ctx: &Ctx,
    tenant_id: &str,
    request: zaby_mcp::builtin::KbSearchRequest,
) -> Result<Value, zaby_mcp::builtin::ToolFailure> {
    use zaby_mcp::builtin::ToolFailure;
    let fail = |e: ApiError| ToolFailure::new(e.code, e.message);
    let caller =
        Caller { tenant_id: tenant_id.to_string(), kind: crate::services::CallerKind::Tenant { user: "mcp".into() } };
    let body = json!({"query": request.query, "topK": request.top_k});
    match retrieve(ctx, &caller, &request.knowledge_base_id, &body).await.map_err(fail)? {
        Outcome::Ok(v) | Outcome::Created(v) | Outcome::Replayed(v) => Ok(v),
    }
}
