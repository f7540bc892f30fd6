//! Signals as the analytics functions see them (`docs/api/intelligence.md` `Signal`; docs/server.md "Intelligence and usage").

use serde_json::Value;

/// `Signal.type`. The set is open: unknown types are kept as `Other` and ignored by
/// every metric and rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignalKind {
    RunCompleted,
    RunFailed,
    RunCancelled,
    UserFeedback,
    ToolError,
    ApprovalWaited,
    ApprovalRejected,
    Other(String),
}

impl SignalKind {
    pub fn parse(value: &str) -> SignalKind {
        match value {
            "run_completed" => SignalKind::RunCompleted,
            "run_failed" => SignalKind::RunFailed,
            "run_cancelled" => SignalKind::RunCancelled,
            "user_feedback" => SignalKind::UserFeedback,
            "tool_error" => SignalKind::ToolError,
            "approval_waited" => SignalKind::ApprovalWaited,
            "approval_rejected" => SignalKind::ApprovalRejected,
            other => SignalKind::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            SignalKind::RunCompleted => "run_completed",
            SignalKind::RunFailed => "run_failed",
            SignalKind::RunCancelled => "run_cancelled",
            SignalKind::UserFeedback => "user_feedback",
            SignalKind::ToolError => "tool_error",
            SignalKind::ApprovalWaited => "approval_waited",
            SignalKind::ApprovalRejected => "approval_rejected",
            SignalKind::Other(s) => s,
        }
    }

    /// `run_completed`, `run_failed` or `run_cancelled`.
    pub fn is_run(&self) -> bool {
        matches!(self, SignalKind::RunCompleted | SignalKind::RunFailed | SignalKind::RunCancelled)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub id: String,
    pub kind: SignalKind,
    pub run_id: Option<String>,
    pub value: Option<f64>,
    pub payload: Value,
    pub created_at_ms: i64,
    /// Whether the signal comes from a test run. Run signals carry it in their
    /// payload; for the others (feedback, tool errors, approvals) the server looks
    /// up the run. Test-run signals are excluded from rollups and improvements.
    pub is_test_run: bool,
}

impl Signal {
    /// A non-negative integer from the payload (`toolCalls`, `inputTokens`, …);
    /// 0 when absent or not a non-negative number.
    pub fn payload_count(&self, key: &str) -> u64 {
        match self.payload.get(key) {
            Some(Value::Number(n)) => {
                n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)).unwrap_or(0)
            }
            _ => 0,
        }
    }

    /// A string from the payload.
    pub fn payload_str(&self, key: &str) -> Option<&str> {
        self.payload.get(key).and_then(Value::as_str)
    }

    /// `toolCalls` of a run signal.
    pub fn tool_calls(&self) -> u64 {
        self.payload_count("toolCalls")
    }

    /// `inputTokens + outputTokens` of a run signal.
    pub fn tokens(&self) -> u64 {
        self.payload_count("inputTokens") + self.payload_count("outputTokens")
    }
}
