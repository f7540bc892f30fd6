//! Retrieval (E48), provisional answers (E49), and the search every other caller
//! (runs, the built-in `kb_search` tool) goes through.
//!
//! Scores are computed by `zaby_knowledge` in Rust. Storage only preselects the chunks
//! holding a query term (lexical scoring) and supplies the corpus statistics (`N`,
//! `Σ len`, `n(q)`) over every READY chunk searched, from the per-chunk term rows
//! written at ingestion — so SQLite and PostgreSQL give identical results.

use serde_json::{Map, Value, json};
use zaby::types::{RetrievalMode, RetrievalResult, RetrieveInput, RetrievedChunk};
use zaby_knowledge::{CorpusStats, Doc, EmbeddingsClient, Mode, ScoreOptions, Scored};

use super::load_kb;
use crate::error::{ApiError, ApiResult};
use crate::services::{Caller, Ctx};
use crate::storage::knowledge::{self as store, ChunkHit, KbRow};
use crate::storage::sql::Conn;
use crate::util::input::Problems;

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

/// A retrieval's answer (E48): the chunks found, best first.
pub struct Retrieval {
    pub knowledge_base_id: String,
    pub query: String,
    pub hits: Vec<Hit>,
}

/// A provisional answer (E49): the chunks found and, when there are any, the answer
/// written from them.
pub struct Answer {
    pub query: String,
    pub answer: Option<String>,
    pub hits: Vec<Hit>,
}

/// `RetrievalResult`: built here rather than with the handlers' wire types because
/// the built-in `kb_search` tool ([`kb_search`]) answers it too.
pub fn retrieval_result(r: Retrieval) -> RetrievalResult {
    let Retrieval { knowledge_base_id, query, hits } = r;
    let items: Vec<RetrievedChunk> = hits
        .into_iter()
        .map(|h| RetrievedChunk {
            chunk_id: h.chunk.id,
            document_id: h.chunk.document_id,
            knowledge_base_id: knowledge_base_id.clone(),
            title: h.chunk.title,
            content: h.chunk.content,
            index: h.chunk.index,
            score: h.score,
            source_id: h.chunk.source_id,
            metadata: h.chunk.metadata.as_object().cloned().unwrap_or_default(),
            extra: Map::new(),
        })
        .collect();
    RetrievalResult {
        query,
        knowledge_base_id: Some(knowledge_base_id),
        total: Some(items.len() as i64),
        items,
        extra: Map::new(),
    }
}

/// Checks what the catalogue cannot say of a `RetrieveInput` (`limit` is the alias of
/// `topK`); `top_k` is not yet capped by the profile.
fn retrieve_input(input: RetrieveInput) -> ApiResult<SearchParams> {
    let mut p = Problems::default();
    p.text("query", &input.query, 10_000, true);
    let top_k = crate::services::memory::top_k(&mut p, input.top_k, &input.extra);
    let min_score = input.min_score.unwrap_or(0.0);
    if zaby_knowledge::scoring::validate_min_score(min_score).is_err() {
        p.add("minScore", "must be a number between 0 and 1");
    }
    let mode = match input.mode.unwrap_or(RetrievalMode::Hybrid) {
        RetrievalMode::Semantic => Mode::Semantic,
        RetrievalMode::Keyword => Mode::Keyword,
        RetrievalMode::Hybrid => Mode::Hybrid,
    };
    if let Some(ids) = &input.source_ids {
        p.texts("sourceIds", ids, 100);
    }
    p.finish()?;
    Ok(SearchParams { query: input.query, top_k, min_score, mode, source_ids: input.source_ids })
}

/// Loads an ACTIVE knowledge base and builds the search of E48/E49: `topK` (default
/// 5) capped by the default profile's `maxChunks`.
async fn prepare(
    conn: &mut Conn,
    caller: &Caller,
    kb_id: &str,
    input: RetrieveInput,
) -> ApiResult<(KbRow, SearchParams)> {
    let kb = load_kb(conn, &caller.tenant_id, kb_id).await?;
    let mut params = retrieve_input(input)?;
    if kb.status != "ACTIVE" {
        return Err(ApiError::conflict("CONFLICT", "the knowledge base is INACTIVE"));
    }
    let profile = super::kb_profile(conn, &kb.id).await?;
    params.top_k = profile.cap_top_k(params.top_k);
    Ok((kb, params))
}

/// E48.
pub async fn retrieve(ctx: &Ctx, caller: &Caller, kb_id: &str, input: RetrieveInput) -> ApiResult<Retrieval> {
    let mut conn = ctx.db.read().await?;
    let (kb, params) = prepare(&mut conn, caller, kb_id, input).await?;
    let hits = search(ctx.embeddings.as_ref(), &mut conn, &kb, &params).await?;
    Ok(Retrieval { knowledge_base_id: kb.id, query: params.query, hits })
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
pub async fn provisional_answer(ctx: &Ctx, caller: &Caller, kb_id: &str, input: RetrieveInput) -> ApiResult<Answer> {
    let mut conn = ctx.db.read().await?;
    let (kb, params) = prepare(&mut conn, caller, kb_id, input).await?;
    let hits = search(ctx.embeddings.as_ref(), &mut conn, &kb, &params).await?;
    drop(conn);
    let answer = if hits.is_empty() { None } else { Some(model_answer(ctx, &params.query, &hits).await?) };
    Ok(Answer { query: params.query, answer, hits })
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
    let caller = Caller { tenant_id: tenant_id.to_string(), kind: crate::services::CallerKind::Tenant };
    let input =
        RetrieveInput { query: request.query, top_k: Some(i64::from(request.top_k)), ..RetrieveInput::default() };
    let found = retrieve(ctx, &caller, &request.knowledge_base_id, input).await.map_err(fail)?;
    serde_json::to_value(retrieval_result(found)).map_err(|e| ToolFailure::new("INTERNAL_ERROR", e.to_string()))
}
