//! Deterministic knowledge logic for `zaby-server` (`docs/api/knowledge-bases.md`, `docs/api/memory.md`,
//! `docs/server.md`).
//!
//! Nothing here touches HTTP routing or storage: the server loads rows, calls these
//! functions and stores or renders what they return. Everything that decides a
//! result (chunk boundaries, term extraction, BM25, ordering, slugs, schedules) lives
//! here so that SQLite and PostgreSQL deployments answer identically.
//!
//! Timestamps are epoch milliseconds (`i64`, UTC), as in the server.

pub mod chunking;
pub mod embeddings;
pub mod error;
pub mod findings;
mod markdown;
pub mod profile;
pub mod schedule;
pub mod scoring;
pub mod slug;
pub mod terms;
pub mod text;

pub use chunking::{Chunk, chunk_text};
pub use embeddings::{EmbeddingsClient, EmbeddingsConfig, EmbeddingsError};
pub use error::FieldError;
pub use findings::{FINDING_CATEGORY, Finding, extract_findings, render_projection};
pub use profile::ProfileConfig;
pub use schedule::Schedule;
pub use scoring::{
    CorpusStats, Doc, Mode, ScoreOptions, Scored, cosine_similarity, merge_ranked, score, score_candidates,
};
pub use slug::{derive_slug, is_valid_slug, slug_base, slug_candidates};
pub use terms::{TermCounts, query_terms, term_counts, terms};
pub use text::{char_len, default_title, first_chars};
