//! The development model (`local` provider, `docs/server.md`): deterministic and offline.
//! Documented to users as a development model, not an LLM.

mod reply;
mod tools;

use async_trait::async_trait;
use serde_json::Value;

use crate::directives::Directives;
use crate::error::ModelError;
use crate::memory::{MemoryCandidate, development_memory_candidates};
use crate::message::count_words;
use crate::provider::{ModelProvider, ModelStream, ProviderKind};
use crate::types::{ModelEvent, StepRequest, Usage};

pub use reply::text_chunks;
pub use tools::parse_tool_command;

/// The development model. Same request, same events.
#[derive(Clone, Copy, Debug, Default)]
pub struct LocalModel;

impl LocalModel {
    pub fn new() -> Self {
        LocalModel
    }

    /// The events of one step, computed eagerly (what [`ModelProvider::step`] streams).
    ///
    /// First step (no earlier tool rounds): `Thinking`? (from `simulate.thinking`),
    /// then either `Err` (`simulate.fail`, a malformed `/tool`/rule/directive, or an
    /// unknown tool name), or `ToolCalls` + `Usage { input: prompt words, output: 0 }`,
    /// or the answer. Later steps: the answer. The answer is one `TextDelta` per chunk
    /// of the reply, then `Usage { input: prompt words on the first step else 0,
    /// output: reply words }`, so the usages of a run add up to the usage runs report (README, "Usage").
    pub fn events(&self, request: &StepRequest) -> Vec<Result<ModelEvent, ModelError>> {
        let mut events = Vec::new();
        if let Err(error) = self.push_events(request, &mut events) {
            events.push(Err(error));
        }
        events
    }

    fn push_events(
        &self,
        request: &StepRequest,
        events: &mut Vec<Result<ModelEvent, ModelError>>,
    ) -> Result<(), ModelError> {
        let directives = Directives::parse(&request.input)?;
        let first_step = request.is_first_step();
        if let Some(thinking) = directives.thinking.as_ref().filter(|_| first_step) {
            events.push(Ok(ModelEvent::Thinking(thinking.clone())));
        }
        if let Some(message) = &directives.fail {
            return Err(ModelError::execution_failed(message.clone()));
        }
        let prompt_tokens = if first_step { reply::prompt_words(request) } else { 0 };
        if first_step {
            let calls = tools::plan_tool_calls(request, &directives)?;
            if !calls.is_empty() {
                events.push(Ok(ModelEvent::ToolCalls(calls)));
                events.push(Ok(ModelEvent::Usage(Usage { input_tokens: prompt_tokens, output_tokens: 0 })));
                return Ok(());
            }
        }
        let reply = reply::reply_text(request, &directives);
        events.extend(text_chunks(&reply).into_iter().map(|chunk| Ok(ModelEvent::TextDelta(chunk))));
        events.push(Ok(ModelEvent::Usage(Usage { input_tokens: prompt_tokens, output_tokens: count_words(&reply) })));
        Ok(())
    }
}

#[async_trait]
impl ModelProvider for LocalModel {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Local
    }

    fn step(&self, request: StepRequest) -> ModelStream {
        Box::pin(futures::stream::iter(self.events(&request)))
    }

    async fn memory_candidates(
        &self,
        input: &Value,
        _message: &str,
        _final_output: &str,
    ) -> Result<Vec<MemoryCandidate>, ModelError> {
        development_memory_candidates(input)
    }
}
