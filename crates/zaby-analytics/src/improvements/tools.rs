//! TOOLS: a tool whose error rate over its last 20 calls is ≥ 0.5.
//!
//! Signals record tool errors but not the calls that succeeded, so this rule takes
//! the tool calls themselves (from the runs' `tool_result` events).

use std::collections::BTreeMap;

use serde_json::json;

use super::{Category, Proposal};

/// How many of a tool's most recent calls are considered.
pub const TOOL_WINDOW: usize = 20;
/// Error rate from which a tool is reported.
pub const TOOL_ERROR_RATE: f64 = 0.5;

/// One finished tool call of one agent.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub tool_name: String,
    pub tool_call_id: String,
    pub at_ms: i64,
    pub is_error: bool,
    /// The `tool_error` signal recorded for a failed call.
    pub error_signal_id: Option<String>,
    pub is_test_run: bool,
}

/// One proposal per tool (in tool-name order) whose last 20 calls (by time, then
/// call id; fewer when it has fewer) failed at a rate ≥ 0.5. The evidence is the
/// `tool_error` signals of the failed calls in that window.
pub fn tools(calls: &[ToolCall]) -> Vec<Proposal> {
    let mut by_tool: BTreeMap<&str, Vec<&ToolCall>> = BTreeMap::new();
    for call in calls.iter().filter(|c| !c.is_test_run) {
        by_tool.entry(&call.tool_name).or_default().push(call);
    }
    let mut out = Vec::new();
    for (name, mut calls) in by_tool {
        calls.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.tool_call_id.cmp(&b.tool_call_id)));
        let recent = &calls[calls.len().saturating_sub(TOOL_WINDOW)..];
        let errors = recent.iter().filter(|c| c.is_error).count();
        let rate = errors as f64 / recent.len() as f64;
        if rate < TOOL_ERROR_RATE {
            continue;
        }
        out.push(Proposal {
            category: Category::Tools,
            cause: format!("TOOLS:tool:{name}"),
            title: format!("Tool {name} keeps failing"),
            description: format!(
                "{errors} of the last {} calls to {name} failed ({:.0}%). Check the tool's \
                 configuration and credentials, or how the agent calls it.",
                recent.len(),
                rate * 100.0
            ),
            suggested_change: json!({"type": "tool", "toolName": name}),
            signal_ids: recent.iter().filter(|c| c.is_error).filter_map(|c| c.error_signal_id.clone()).collect(),
        });
    }
    out
}
