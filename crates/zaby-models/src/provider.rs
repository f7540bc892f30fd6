//! The interface the run loop drives: one model step in, a stream of events out.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;

use crate::error::ModelError;
use crate::memory::MemoryCandidate;
use crate::types::{ModelEvent, StepRequest};

/// The output of one step. It yields `Ok` events in the order of [`ModelEvent`]'s
/// contract and ends after the step's last event, or after its first `Err` (a failed
/// step yields nothing after the error).
pub type ModelStream = Pin<Box<dyn Stream<Item = Result<ModelEvent, ModelError>> + Send + 'static>>;

/// Which implementation serves a model name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// The deterministic development model (`docs/server.md`).
    Local,
    /// An OpenAI-compatible chat-completions endpoint.
    OpenAi,
}

impl ProviderKind {
    /// `"local"` or `"openai"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Local => "local",
            ProviderKind::OpenAi => "openai",
        }
    }

    /// Whether `input.simulate` directives apply (only the development model honours
    /// them, so the run loop applies `simulate.delayMs` only when this is true).
    pub fn honours_directives(self) -> bool {
        self == ProviderKind::Local
    }
}

/// A model provider. Implementations are cheap to share (`Arc<dyn ModelProvider>`).
#[async_trait]
pub trait ModelProvider: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> ProviderKind;

    /// Runs one model step. The returned stream owns everything it needs; dropping it
    /// cancels the step (and closes the HTTP connection of a remote provider).
    fn step(&self, request: StepRequest) -> ModelStream;

    /// Memory candidates to propose after a completed run with an end user. `message`
    /// is the normalized input, `input` the raw input, `final_output` the answer.
    ///
    /// The development model applies the development rules (README, section 6; or `simulate.memoryCandidates`).
    /// A remote model is asked to extract them (`docs/server.md`); if that request fails
    /// or its answer is unusable, those rules are applied instead (logged), so this
    /// only fails for a malformed `simulate` object. De-duplication against the end
    /// user's `ACTIVE` items and open candidates is the caller's job.
    async fn memory_candidates(
        &self,
        input: &serde_json::Value,
        message: &str,
        final_output: &str,
    ) -> Result<Vec<MemoryCandidate>, ModelError>;
}
