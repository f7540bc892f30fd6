//! BM25 with `k1 = 1.2`, `b = 0.75` and the idf of `docs/api/knowledge-bases.md`, normalized into 0–1.

use std::collections::HashMap;

use crate::terms::TermCounts;

pub const K1: f64 = 1.2;
pub const B: f64 = 0.75;

/// Corpus-wide statistics BM25 needs: `N`, the total length in terms (for `avglen`),
/// and `n(q)` for (at least) the query terms. A term missing from `doc_freq` has
/// `n(q) = 0`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CorpusStats {
    pub doc_count: u64,
    pub total_len: u64,
    pub doc_freq: HashMap<String, u64>,
}

impl CorpusStats {
    /// Statistics the server computed itself (e.g. with SQL aggregates).
    pub fn new(doc_count: u64, total_len: u64, doc_freq: HashMap<String, u64>) -> Self {
        CorpusStats { doc_count, total_len, doc_freq }
    }

    /// Statistics of a whole corpus, with `n(q)` for the given query terms.
    pub fn from_counts<'a>(corpus: impl IntoIterator<Item = &'a TermCounts>, query_terms: &[String]) -> Self {
        let mut stats = CorpusStats::default();
        for counts in corpus {
            stats.doc_count += 1;
            stats.total_len += counts.len as u64;
            for term in query_terms {
                if counts.counts.contains_key(term) {
                    *stats.doc_freq.entry(term.clone()).or_insert(0) += 1;
                }
            }
        }
        stats
    }

    /// Mean length in terms (0 for an empty corpus).
    pub fn avg_len(&self) -> f64 {
        if self.doc_count == 0 { 0.0 } else { self.total_len as f64 / self.doc_count as f64 }
    }

    /// `ln(1 + (N − n(q) + 0.5) / (n(q) + 0.5))`; `n(q)` is capped at `N`, so the
    /// value is always positive.
    pub fn idf(&self, term: &str) -> f64 {
        let n_total = self.doc_count as f64;
        let n = (self.doc_freq.get(term).copied().unwrap_or(0) as f64).min(n_total);
        (1.0 + (n_total - n + 0.5) / (n + 0.5)).ln()
    }
}

/// `Σ idf(qᵢ)·tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))` over the query terms.
pub fn bm25(doc: &TermCounts, query_terms: &[String], stats: &CorpusStats) -> f64 {
    let avg = stats.avg_len();
    let relative_len = if avg > 0.0 { doc.len as f64 / avg } else { 0.0 };
    let norm = K1 * (1.0 - B + B * relative_len);
    query_terms
        .iter()
        .map(|term| {
            let tf = f64::from(doc.tf(term));
            if tf == 0.0 { 0.0 } else { stats.idf(term) * tf * (K1 + 1.0) / (tf + norm) }
        })
        .sum()
}

/// [`bm25`] divided by `Σ idf(qᵢ)·(k1+1)`: 0 without matches, below 1 always.
pub fn lexical_score(doc: &TermCounts, query_terms: &[String], stats: &CorpusStats) -> f64 {
    let max: f64 = query_terms.iter().map(|t| stats.idf(t) * (K1 + 1.0)).sum();
    if max > 0.0 { bm25(doc, query_terms, stats) / max } else { 0.0 }
}
