//! What goes into one model step and what comes out of it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything a provider needs for one model step of a run.
///
/// The run loop builds one per step; only `tool_rounds` grows between the steps of a
/// run (every other field stays the same for the whole run).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepRequest {
    /// The run's id. The development model derives its tool call ids from it, so they
    /// are unique across runs, as receivers of http tool calls expect of `webhook-id`.
    pub run_id: String,
    /// The agent's `defaultModel` (the name the registry resolved).
    pub model: String,
    /// The agent's instructions (empty when it has none).
    pub instructions: String,
    /// The normalized user message ([`crate::normalize_message`] of `input`).
    pub message: String,
    /// The run input exactly as submitted (the development model reads `simulate` here).
    pub input: Value,
    /// The session's earlier exchanges, oldest first (`docs/server.md` "Sessions").
    pub history: Vec<HistoryTurn>,
    /// Retrieved knowledge chunks and memory items, in ranking order (best first).
    pub context: Vec<ContextPassage>,
    /// The tools the run offers, under the names the model must use.
    pub tools: Vec<ToolSpec>,
    /// The tool calls and results of the earlier steps of this run, oldest first.
    pub tool_rounds: Vec<ToolRound>,
    /// The agent's `config` object (`Value::Null` or `{}` when it has none).
    pub config: Value,
}

impl StepRequest {
    /// Whether this is the run's first step (no tool calls have happened yet).
    pub fn is_first_step(&self) -> bool {
        self.tool_rounds.is_empty()
    }
}

/// One earlier exchange of the session: the user's message and the assistant's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryTurn {
    /// The normalized input of the earlier run.
    pub user: String,
    /// The earlier run's `finalOutput`.
    pub assistant: String,
}

/// Where a retrieved passage comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PassageKind {
    /// A knowledge-base chunk (`Citation.kind = "chunk"`).
    Chunk,
    /// An end user's memory item (`Citation.kind = "memory"`).
    Memory,
}

impl PassageKind {
    /// The wire name used in citations.
    pub fn as_str(self) -> &'static str {
        match self {
            PassageKind::Chunk => "chunk",
            PassageKind::Memory => "memory",
        }
    }
}

/// One retrieved passage put into the model's context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextPassage {
    pub kind: PassageKind,
    /// The chunk id or the memory item id.
    pub id: String,
    /// The chunk's document id; `None` for memory items.
    pub document_id: Option<String>,
    /// The chunk's document title; `None` for memory items.
    pub title: Option<String>,
    pub content: String,
    pub score: f64,
}

impl ContextPassage {
    /// A knowledge chunk.
    pub fn chunk(
        id: impl Into<String>,
        document_id: impl Into<String>,
        title: impl Into<String>,
        content: impl Into<String>,
        score: f64,
    ) -> Self {
        ContextPassage {
            kind: PassageKind::Chunk,
            id: id.into(),
            document_id: Some(document_id.into()),
            title: Some(title.into()),
            content: content.into(),
            score,
        }
    }

    /// A memory item.
    pub fn memory(id: impl Into<String>, content: impl Into<String>, score: f64) -> Self {
        ContextPassage {
            kind: PassageKind::Memory,
            id: id.into(),
            document_id: None,
            title: None,
            content: content.into(),
            score,
        }
    }
}

/// A tool offered to the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The name the model calls it by (the attachment's `key`, else the MCP tool's name).
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments object.
    pub input_schema: Value,
}

/// A tool call the model asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id of the call; unique within the run. Feed it back unchanged in
    /// [`CompletedToolCall::call`].
    pub id: String,
    /// One of the offered [`ToolSpec::name`]s (providers guarantee this).
    pub name: String,
    /// Always a JSON object.
    pub arguments: Value,
}

/// A tool call of an earlier step together with its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletedToolCall {
    pub call: ToolCall,
    /// `tool_result.result` (for a rejected or expired approval `{code, message, reason}`).
    pub result: Value,
    /// `tool_result.isError`.
    pub is_error: bool,
}

/// One earlier step that asked for tools: what the model said, and every call with its
/// result, in the order the model asked for them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolRound {
    /// Text the model streamed in that step before asking for tools (often empty).
    pub text: String,
    pub calls: Vec<CompletedToolCall>,
}

/// Token usage of one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// One item of a step's output stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ModelEvent {
    /// Intermediate reasoning or progress (`thinking` event).
    Thinking(String),
    /// A piece of the answer (`text` event). Never empty.
    TextDelta(String),
    /// The step asks for these tools (never empty; at most once per step, after every
    /// `Thinking`/`TextDelta` of the step).
    ToolCalls(Vec<ToolCall>),
    /// Token usage of this step (at most once per step, last).
    Usage(Usage),
}
