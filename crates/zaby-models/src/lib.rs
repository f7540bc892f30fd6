//! The model layer of `zaby-server`'s agent loop: one model step in, a stream of
//! [`ModelEvent`]s out. No HTTP server and no storage; see `README.md` for the
//! contract the run loop is written against.
//!
//! * [`ModelProvider`]: the step interface, implemented by [`LocalModel`] (the
//!   deterministic development model of `docs/server.md`) and [`OpenAiProvider`] (any
//!   OpenAI-compatible `/chat/completions` endpoint).
//! * [`ModelRegistry`]: model name → provider, from the `ZABY_MODEL_*` settings (docs/operations.md).
//! * [`Directives`], [`normalize_message`], [`extract_memory_candidates`]: the pieces
//!   of the development model's rules (README, section 5) the run loop applies itself.

mod directives;
mod error;
mod local;
mod memory;
mod message;
mod openai;
mod provider;
mod registry;
mod types;

pub use directives::{Directives, MAX_DELAY_MS, SimulatedToolCall};
pub use error::{ErrorCode, ModelError};
pub use local::{LocalModel, parse_tool_command, text_chunks};
pub use memory::{MemoryCandidate, MemoryKind, development_memory_candidates, extract_memory_candidates};
pub use message::{compact_json, count_words, normalize_message};
pub use openai::{DEFAULT_TIMEOUT, OpenAiConfig, OpenAiProvider, RetryConfig, default_client};
pub use provider::{ModelProvider, ModelStream, ProviderKind};
pub use registry::{ModelRegistry, ModelSettings, SettingsError, env_name};
pub use types::{
    CompletedToolCall, ContextPassage, HistoryTurn, ModelEvent, PassageKind, StepRequest, ToolCall, ToolRound,
    ToolSpec, Usage,
};
