//! Term extraction (`docs/api/knowledge-bases.md`): a text's terms are its lower-cased runs of Unicode
//! letters and digits of length ≥ 2 characters, with no stemming and no stop words.
//!
//! "Letters and digits" is Rust's `char::is_alphanumeric` (the Unicode `Alphabetic`
//! and `Numeric` properties), so combining vowel signs of Indic scripts stay inside
//! their word and `über`, `日本語` or `2024` are single terms. The run's length is
//! counted before lower-casing; lower-casing uses the full Unicode mapping.

use std::collections::BTreeMap;

/// Shortest run, in characters, that counts as a term.
pub const MIN_TERM_CHARS: usize = 2;

/// Every term of `text`, in order, with repetitions.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut run_chars = 0usize;
    let mut flush = |current: &mut String, run_chars: &mut usize| {
        if *run_chars >= MIN_TERM_CHARS {
            out.push(std::mem::take(current));
        } else {
            current.clear();
        }
        *run_chars = 0;
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            current.extend(ch.to_lowercase());
            run_chars += 1;
        } else if run_chars > 0 {
            flush(&mut current, &mut run_chars);
        }
    }
    flush(&mut current, &mut run_chars);
    out
}

/// The distinct terms of a query, in order of first appearance. Scores sum over
/// them in this order, which keeps floating-point results reproducible.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    terms(query).into_iter().filter(|t| seen.insert(t.clone())).collect()
}

/// A text's length in terms and how often each term occurs.
///
/// The server can store `counts` per chunk (e.g. a `chunk_terms(chunk_id, term, tf)`
/// table) to preselect candidates and to count document frequencies in SQL, and
/// `len` to compute the corpus' mean length; see [`crate::scoring::CorpusStats`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TermCounts {
    pub len: usize,
    pub counts: BTreeMap<String, u32>,
}

impl TermCounts {
    /// How often `term` occurs (0 when absent).
    pub fn tf(&self, term: &str) -> u32 {
        self.counts.get(term).copied().unwrap_or(0)
    }
}

/// [`TermCounts`] of `text`.
pub fn term_counts(text: &str) -> TermCounts {
    let all = terms(text);
    let mut counts = BTreeMap::new();
    for t in &all {
        *counts.entry(t.clone()).or_insert(0u32) += 1;
    }
    TermCounts { len: all.len(), counts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_lowercased_alphanumeric_runs_of_two_or_more() {
        assert_eq!(terms("Hello, World! A b2 x 42 ok_go e-mail"), ["hello", "world", "b2", "42", "ok", "go", "mail"]);
    }

    #[test]
    fn terms_handle_unicode_letters_and_digits() {
        assert_eq!(terms("Über Straße café 日本語 ß Ωμέγα"), ["über", "straße", "café", "日本語", "ωμέγα"]);
        // Full lower-case mapping: one character may lower-case to two.
        assert_eq!(terms("İx"), ["i\u{307}x"]);
        // A single character is not a term even if it lower-cases to two.
        assert!(terms("İ").is_empty());
        assert!(terms("a . b ! ? ").is_empty());
    }

    #[test]
    fn query_terms_are_distinct_in_first_order() {
        assert_eq!(query_terms("the Cat and THE cat"), ["the", "cat", "and"]);
    }

    #[test]
    fn term_counts_count_each_term() {
        let c = term_counts("to be or not to be");
        assert_eq!(c.len, 6);
        assert_eq!(c.tf("to"), 2);
        assert_eq!(c.tf("be"), 2);
        assert_eq!(c.tf("or"), 1);
        assert_eq!(c.tf("missing"), 0);
    }
}
