//! QUALITY: a run rated ≤ 2.

use serde_json::json;

use super::{Category, Proposal, chronological};
use crate::signal::{Signal, SignalKind};

/// Highest rating that counts as a bad one.
pub const LOW_RATING: f64 = 2.0;

/// One proposal per run with a rating ≤ 2; its evidence is every such feedback
/// signal of the run, and `feedbackId` names the first.
pub fn quality(signals: &[Signal]) -> Vec<Proposal> {
    let low =
        chronological(signals.iter().filter(|s| {
            !s.is_test_run && s.kind == SignalKind::UserFeedback && s.value.is_some_and(|v| v <= LOW_RATING)
        }));
    let mut out: Vec<Proposal> = Vec::new();
    for signal in low {
        let feedback_id = signal.payload_str("feedbackId");
        let cause = match (&signal.run_id, feedback_id) {
            (Some(run), _) => format!("QUALITY:run:{run}"),
            (None, Some(feedback)) => format!("QUALITY:feedback:{feedback}"),
            (None, None) => format!("QUALITY:signal:{}", signal.id),
        };
        if let Some(existing) = out.iter_mut().find(|p| p.cause == cause) {
            existing.signal_ids.push(signal.id.clone());
            continue;
        }
        let rating = signal.value.unwrap_or_default();
        let subject = match &signal.run_id {
            Some(run) => format!("run {run}"),
            None => "a conversation".to_string(),
        };
        let mut description = format!("A user rated {subject} {rating}/5");
        if let Some(comment) = signal.payload_str("comment").filter(|c| !c.is_empty()) {
            description.push_str(&format!(" (\"{comment}\")"));
        }
        description.push_str(". Review the conversation and adjust the agent's instructions to avoid similar answers.");
        out.push(Proposal {
            category: Category::Quality,
            cause,
            title: format!("Low rating on {subject}"),
            description,
            suggested_change: json!({
                "type": "instructions",
                "runId": signal.run_id,
                "feedbackId": feedback_id,
            }),
            signal_ids: vec![signal.id.clone()],
        });
    }
    out
}
