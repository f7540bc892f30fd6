//! Retrieval options and their validation (`docs/api/knowledge-bases.md` `RetrieveInput`).

use crate::error::FieldError;

pub const DEFAULT_TOP_K: usize = 5;
pub const MAX_TOP_K: usize = 50;

/// Retrieval `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    Semantic,
    Keyword,
    #[default]
    Hybrid,
}

impl Mode {
    /// Parses the wire value (`"semantic"`, `"keyword"`, `"hybrid"`; exact case).
    pub fn parse(value: &str) -> Result<Mode, FieldError> {
        match value {
            "semantic" => Ok(Mode::Semantic),
            "keyword" => Ok(Mode::Keyword),
            "hybrid" => Ok(Mode::Hybrid),
            _ => Err(FieldError::new("mode", "must be one of \"semantic\", \"keyword\", \"hybrid\"")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Semantic => "semantic",
            Mode::Keyword => "keyword",
            Mode::Hybrid => "hybrid",
        }
    }
}

/// How to rank.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreOptions {
    pub top_k: usize,
    /// Items scoring below it are dropped (items scoring 0 always are).
    pub min_score: f64,
    pub mode: Mode,
    /// The query's embedding. Without it every mode scores lexically (no provider
    /// configured, `docs/operations.md`).
    pub query_embedding: Option<Vec<f32>>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions { top_k: DEFAULT_TOP_K, min_score: 0.0, mode: Mode::Hybrid, query_embedding: None }
    }
}

impl ScoreOptions {
    /// The mode actually applied: lexical (`Keyword`) without a query embedding.
    pub fn effective_mode(&self) -> Mode {
        if self.query_embedding.is_some() { self.mode } else { Mode::Keyword }
    }
}

/// Checks `topK` (1–50).
pub fn validate_top_k(value: i64) -> Result<usize, FieldError> {
    if (1..=MAX_TOP_K as i64).contains(&value) {
        Ok(value as usize)
    } else {
        Err(FieldError::new("topK", "must be an integer between 1 and 50"))
    }
}

/// Checks `minScore` (0–1).
pub fn validate_min_score(value: f64) -> Result<f64, FieldError> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new("minScore", "must be a number between 0 and 1"))
    }
}
