//! The failure of a model step, carrying the `RunError.code` the run should end with.

use std::fmt;

/// The `RunError.code` (`docs/api/types.md`) a failed step maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The development model was told to fail (`simulate.fail`), or its input could not
    /// be understood (a malformed `/tool` command, directive or rule).
    AgentExecutionFailed,
    /// The model asked for a tool the run does not offer.
    AgentToolNotAttached,
    /// The provider failed (after its retries) or answered something unusable.
    ModelError,
}

impl ErrorCode {
    /// The wire string, e.g. `"MODEL_ERROR"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AgentExecutionFailed => "AGENT_EXECUTION_FAILED",
            ErrorCode::AgentToolNotAttached => "AGENT_TOOL_NOT_ATTACHED",
            ErrorCode::ModelError => "MODEL_ERROR",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed model step: `RunError { code, message }`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ModelError {
    pub code: ErrorCode,
    /// Human-readable; safe to show to the end user (never contains credentials).
    pub message: String,
}

impl ModelError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ModelError { code, message: message.into() }
    }

    pub fn execution_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AgentExecutionFailed, message)
    }

    pub fn tool_not_attached(name: &str) -> Self {
        Self::new(ErrorCode::AgentToolNotAttached, format!("tool `{name}` is not attached to this agent"))
    }

    pub fn model(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ModelError, message)
    }
}
