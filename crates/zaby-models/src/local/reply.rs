//! The development model's reply, its text chunks and its token count (`docs/server.md`).

use crate::directives::Directives;
use crate::message::{compact_json, count_words};
use crate::types::{ContextPassage, PassageKind, StepRequest};

/// The first rule that applies: `simulate.reply`; after tool calls, `Tool <NAME>
/// returned: <json>` per call joined by a space; the best chunk; the best memory item;
/// else `You said: <message>`.
pub(crate) fn reply_text(request: &StepRequest, directives: &Directives) -> String {
    if let Some(reply) = &directives.reply {
        return reply.clone();
    }
    if !request.tool_rounds.is_empty() {
        return request
            .tool_rounds
            .iter()
            .flat_map(|round| &round.calls)
            .map(|done| format!("Tool {} returned: {}", done.call.name, compact_json(&done.result)))
            .collect::<Vec<_>>()
            .join(" ");
    }
    if let Some(chunk) = best_passage(&request.context, PassageKind::Chunk) {
        return format!("Based on {}: {}", chunk.title.as_deref().unwrap_or_default(), chunk.content);
    }
    if let Some(item) = best_passage(&request.context, PassageKind::Memory) {
        return format!("From memory: {}", item.content);
    }
    format!("You said: {}", request.message)
}

/// The highest-scored passage of a kind; on equal scores the earlier one (the run loop
/// passes passages in ranking order, so this is the first of the kind).
pub(crate) fn best_passage(passages: &[ContextPassage], kind: PassageKind) -> Option<&ContextPassage> {
    passages.iter().filter(|p| p.kind == kind).fold(None, |best, candidate| match best {
        Some(best) if best.score >= candidate.score => Some(best),
        _ => Some(candidate),
    })
}

/// Splits at single spaces; every piece but the last keeps its trailing space, and
/// the pieces concatenate to the reply. An empty reply has no pieces.
pub fn text_chunks(reply: &str) -> Vec<String> {
    reply.split_inclusive(' ').map(str::to_owned).collect()
}

/// Prompt tokens: words of the instructions, every context passage, every earlier
/// message of the session, and the message.
pub(crate) fn prompt_words(request: &StepRequest) -> u64 {
    count_words(&request.instructions)
        + request.context.iter().map(|p| count_words(&p.content)).sum::<u64>()
        + request.history.iter().map(|t| count_words(&t.user) + count_words(&t.assistant)).sum::<u64>()
        + count_words(&request.message)
}
