//! Improvement rules (`docs/server.md`), as pure functions over one agent's signals.
//!
//! Each rule returns [`Proposal`]s carrying the evidence (`signal_ids`) and a
//! `cause` key. At most one proposal per cause comes out of one evaluation; the
//! server stores the cause with the improvement and skips proposals whose cause
//! already has an open (`PROPOSED` or `APPROVED`) improvement — [`propose`] does that
//! filtering given a lookup. Test-run signals and tool calls are ignored.
//!
//! | rule | cause | `suggestedChange` |
//! |---|---|---|
//! | a run rated ≤ 2 | `QUALITY:run:<runId>` (`QUALITY:feedback:<feedbackId>` without a run) | `{type: "instructions", runId, feedbackId}` |
//! | a tool whose error rate over its last 20 calls is ≥ 0.5 | `TOOLS:tool:<toolName>` | `{type: "tool", toolName}` |
//! | a day whose p95 response time is more than twice the median of the daily p95 of the 7 days before it (days with data) | `LATENCY:date:<YYYY-MM-DD>` | `{type: "latency", date}` |

mod latency;
mod quality;
mod tools;

use serde_json::Value;

use crate::signal::Signal;

pub use latency::latency;
pub use quality::quality;
pub use tools::{TOOL_WINDOW, ToolCall, tools};

/// Improvement `category`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Quality,
    Tools,
    Latency,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Quality => "QUALITY",
            Category::Tools => "TOOLS",
            Category::Latency => "LATENCY",
        }
    }
}

/// A `PROPOSED` improvement to create.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub category: Category,
    /// Identifies what the proposal is about; one open improvement per cause.
    pub cause: String,
    pub title: String,
    pub description: String,
    pub suggested_change: Value,
    /// Evidence, in time order.
    pub signal_ids: Vec<String>,
}

/// Every rule over one agent's `signals` and tool `calls`, without the proposals
/// whose cause `is_open`.
pub fn propose(signals: &[Signal], calls: &[ToolCall], is_open: impl Fn(&str) -> bool) -> Vec<Proposal> {
    quality(signals).into_iter().chain(tools(calls)).chain(latency(signals)).filter(|p| !is_open(&p.cause)).collect()
}

/// Signals sorted by time, then id: rules see them in a stable order whatever the
/// order the server loaded them in.
fn chronological<'a>(signals: impl Iterator<Item = &'a Signal>) -> Vec<&'a Signal> {
    let mut out: Vec<&Signal> = signals.collect();
    out.sort_by(|a, b| a.created_at_ms.cmp(&b.created_at_ms).then_with(|| a.id.cmp(&b.id)));
    out
}
