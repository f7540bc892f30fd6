//! Memory-candidate extraction of the development model (`docs/server.md`).
//!
//! Pure functions: the server calls them after a completed run with an end user, then
//! drops every candidate whose content equals an `ACTIVE` item or an open candidate of
//! the same end user, and stores the rest as `PENDING` candidates.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::directives::Directives;
use crate::error::ModelError;
use crate::message::normalize_message;

/// `MemoryKind` (`docs/api/types.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MemoryKind {
    Fact,
    Preference,
    Summary,
    Other,
}

impl MemoryKind {
    /// The wire string, e.g. `"FACT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MemoryKind::Fact => "FACT",
            MemoryKind::Preference => "PREFERENCE",
            MemoryKind::Summary => "SUMMARY",
            MemoryKind::Other => "OTHER",
        }
    }
}

/// A memory item the server should propose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryCandidate {
    pub content: String,
    pub kind: MemoryKind,
}

static REMEMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^remember(?: that)? (.+)$").expect("valid pattern"));
static MY_X_IS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^my .+ is .+$").expect("valid pattern"));
static I_LIKE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^i (?:like|prefer|love|hate) .+$").expect("valid pattern"));

/// The development rules (README, section 6) applied to a normalized message: one candidate per sentence
/// (sentences end at `.`, `!`, `?` or a line break) that matches one of the patterns,
/// first pattern first. Contents are trimmed and keep their case; a content that
/// already appeared earlier in the message is not repeated.
pub fn extract_memory_candidates(message: &str) -> Vec<MemoryCandidate> {
    let mut found: Vec<MemoryCandidate> = Vec::new();
    for sentence in message.split(['.', '!', '?', '\n', '\r']) {
        let sentence = sentence.trim();
        if let Some(candidate) = match_sentence(sentence) {
            push_unique(&mut found, candidate);
        }
    }
    found
}

fn match_sentence(sentence: &str) -> Option<MemoryCandidate> {
    if let Some(captures) = REMEMBER.captures(sentence) {
        let content = captures[1].trim();
        // "remember that" alone captures nothing worth keeping.
        return (!content.is_empty()).then(|| MemoryCandidate { content: content.to_owned(), kind: MemoryKind::Fact });
    }
    if MY_X_IS.is_match(sentence) {
        return Some(MemoryCandidate { content: sentence.to_owned(), kind: MemoryKind::Fact });
    }
    if I_LIKE.is_match(sentence) {
        return Some(MemoryCandidate { content: sentence.to_owned(), kind: MemoryKind::Preference });
    }
    None
}

fn push_unique(found: &mut Vec<MemoryCandidate>, candidate: MemoryCandidate) {
    if !found.iter().any(|existing| existing.content == candidate.content) {
        found.push(candidate);
    }
}

/// The development model's candidates for a completed run: `simulate.memoryCandidates`
/// when present (each string exactly as given, kind `FACT`, duplicates dropped), else
/// [`extract_memory_candidates`] of the normalized message.
pub fn development_memory_candidates(input: &Value) -> Result<Vec<MemoryCandidate>, ModelError> {
    let directives = Directives::parse(input)?;
    Ok(match directives.memory_candidates {
        Some(contents) => {
            let mut found = Vec::new();
            for content in contents {
                push_unique(&mut found, MemoryCandidate { content, kind: MemoryKind::Fact });
            }
            found
        }
        None => extract_memory_candidates(&normalize_message(input)),
    })
}
