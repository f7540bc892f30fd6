//! Ranking chunks and memory items for a query (`docs/api/knowledge-bases.md` "Scoring").
//!
//! Everything is computed here, in Rust, so the same data and query give the same
//! items, scores and order on SQLite and on PostgreSQL. Storage may only preselect.
//!
//! # Using it from the server
//!
//! * Small corpora: load every candidate (`READY` chunks of the knowledge base,
//!   filtered by `sourceIds`; or the `ACTIVE` memory items searched) and call
//!   [`score`]. It derives the statistics from the documents given, which is then
//!   exactly "the whole corpus".
//! * Large corpora: BM25's `idf` needs `N` (documents in the corpus) and `n(q)`
//!   (documents containing `q`) over the **whole** corpus searched, and `avglen` its
//!   mean length in terms, not over the preselected candidates. Store each chunk's
//!   [`crate::terms::term_counts`] (`len`, and one row per distinct term), compute
//!   `N`, `Σ len` and `n(q)` for the query terms with `COUNT`/`SUM` over the same
//!   filter, build [`CorpusStats::new`], preselect the chunks holding at least one
//!   query term, and call [`score_candidates`]. The result is identical to [`score`]
//!   over the whole corpus.
//! * Preselection is valid only when scoring lexically: with an embeddings provider,
//!   `semantic` and `hybrid` give a chunk without query terms a positive score, so
//!   every chunk of the corpus must be a candidate.

mod bm25;
mod options;
mod semantic;

pub use bm25::{B, CorpusStats, K1, bm25, lexical_score};
pub use options::{DEFAULT_TOP_K, MAX_TOP_K, Mode, ScoreOptions, validate_min_score, validate_top_k};
pub use semantic::cosine_similarity;

use crate::terms::{TermCounts, query_terms, term_counts};

/// One document to rank: a chunk or a memory item.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a, K> {
    pub id: &'a str,
    pub text: &'a str,
    /// Order among equal scores, ascending: `(document createdAt, index)` for chunks,
    /// `(createdAt, id)` for memory items.
    pub tiebreak: K,
    /// The document's embedding, when the server has one (semantic and hybrid
    /// modes). A missing or mismatched embedding has semantic score 0.
    pub embedding: Option<&'a [f32]>,
}

/// A ranked document.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Position of the document in the slice passed in.
    pub index: usize,
    pub id: String,
    /// The final score in 0–1 (lexical, semantic or hybrid per the mode).
    pub score: f64,
    /// Normalized BM25 in 0–1.
    pub lexical: f64,
    /// Clamped cosine similarity, when the mode used embeddings.
    pub semantic: Option<f64>,
}

/// Ranks `corpus` for `query`, taking the BM25 statistics from `corpus` itself.
pub fn score<K: Ord>(corpus: &[Doc<'_, K>], query: &str, options: &ScoreOptions) -> Vec<Scored> {
    let terms = query_terms(query);
    if terms.is_empty() {
        return Vec::new();
    }
    let counts: Vec<TermCounts> = corpus.iter().map(|d| term_counts(d.text)).collect();
    let stats = CorpusStats::from_counts(&counts, &terms);
    rank(corpus, &counts, &terms, &stats, options)
}

/// Ranks preselected `candidates` for `query` with statistics of the whole corpus
/// (see the module documentation).
pub fn score_candidates<K: Ord>(
    candidates: &[Doc<'_, K>],
    query: &str,
    stats: &CorpusStats,
    options: &ScoreOptions,
) -> Vec<Scored> {
    let terms = query_terms(query);
    if terms.is_empty() {
        return Vec::new();
    }
    let counts: Vec<TermCounts> = candidates.iter().map(|d| term_counts(d.text)).collect();
    rank(candidates, &counts, &terms, stats, options)
}

fn rank<K: Ord>(
    docs: &[Doc<'_, K>],
    counts: &[TermCounts],
    terms: &[String],
    stats: &CorpusStats,
    options: &ScoreOptions,
) -> Vec<Scored> {
    let mode = options.effective_mode();
    let mut scored: Vec<Scored> = docs
        .iter()
        .zip(counts)
        .enumerate()
        .filter_map(|(index, (doc, counts))| {
            let lexical = lexical_score(counts, terms, stats);
            let semantic = match (mode, options.query_embedding.as_deref()) {
                (Mode::Keyword, _) | (_, None) => None,
                (_, Some(query)) => {
                    Some(doc.embedding.and_then(|e| cosine_similarity(query, e)).map_or(0.0, |c| c.clamp(0.0, 1.0)))
                }
            };
            let score = match (mode, semantic) {
                (Mode::Semantic, Some(s)) => s,
                (Mode::Hybrid, Some(s)) => 0.5 * lexical + 0.5 * s,
                _ => lexical,
            };
            (score > 0.0 && score >= options.min_score).then(|| Scored {
                index,
                id: doc.id.to_string(),
                score,
                lexical,
                semantic,
            })
        })
        .collect();
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| docs[a.index].tiebreak.cmp(&docs[b.index].tiebreak))
            .then_with(|| a.index.cmp(&b.index))
    });
    scored.truncate(options.top_k);
    scored
}

/// Merges several ranked lists (e.g. one per knowledge-base attachment of a run,
/// `docs/server.md`) by score, descending; equal scores keep list order, then their order
/// within the list. Returns `(list index, item)` pairs, cut to `limit`.
pub fn merge_ranked(lists: &[Vec<Scored>], limit: usize) -> Vec<(usize, Scored)> {
    let mut all: Vec<(usize, usize, &Scored)> =
        lists.iter().enumerate().flat_map(|(l, list)| list.iter().enumerate().map(move |(p, s)| (l, p, s))).collect();
    all.sort_by(|a, b| b.2.score.total_cmp(&a.2.score).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    all.into_iter().take(limit).map(|(l, _, s)| (l, s.clone())).collect()
}
