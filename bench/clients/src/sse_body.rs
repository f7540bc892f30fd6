//! The body of a streamed run as the Zaby server writes it (`docs/streaming.md`): `: connected`, then
//! `text` events with small JSON data, and a terminal `RunFinished`.

use std::fmt::Write;

/// Words the `text` chunks are cut from, so consecutive events differ like a real answer's do.
const WORDS: &[&str] = &[
    "the",
    "agent",
    "reads",
    "your",
    "question",
    "and",
    "answers",
    "with",
    "a",
    "short",
    "paragraph",
    "about",
    "deployments,",
    "runtime",
    "tokens",
    "streamed",
    "runs",
    "knowledge",
];

/// Renders a whole run of `events` events (the last one terminal) as one SSE body.
pub fn render_run(events: u64) -> String {
    let mut out = String::with_capacity(events as usize * 120 + 64);
    out.push_str(": connected\n\n");
    for seq in 1..events {
        let content = chunk_text(seq);
        let data = serde_json::json!({ "content": content, "index": seq - 1 });
        write!(out, "id: {seq}\nevent: text\ndata: {data}\n\n").expect("write to String");
    }
    let finished = serde_json::json!({
        "runId": "run_bench",
        "status": "COMPLETED",
        "finalOutput": "bench run finished",
        "citations": [],
    });
    write!(out, "id: {events}\nevent: RunFinished\ndata: {finished}\n\n").expect("write to String");
    out
}

/// About 80 characters of text, varying with the sequence number.
fn chunk_text(seq: u64) -> String {
    let mut text = String::with_capacity(96);
    let mut i = seq as usize;
    while text.len() < 72 {
        text.push_str(WORDS[i % WORDS.len()]);
        text.push(' ');
        i = i.wrapping_mul(7).wrapping_add(3);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_framed_like_the_server_and_ends_with_run_finished() {
        let body = render_run(3);
        assert!(body.starts_with(": connected\n\nid: 1\nevent: text\ndata: {\"content\":"));
        let blocks: Vec<&str> = body.trim_end().split("\n\n").collect();
        assert_eq!(blocks.len(), 4);
        assert!(blocks[3].starts_with("id: 3\nevent: RunFinished\ndata: {\"runId\":\"run_bench\""));
        for block in &blocks[1..] {
            let data = block.lines().last().unwrap().strip_prefix("data: ").unwrap();
            let value: serde_json::Value = serde_json::from_str(data).unwrap();
            assert!(value.is_object());
        }
    }

    #[test]
    fn text_events_are_about_a_hundred_bytes() {
        let body = render_run(1001);
        let per_event = body.len() / 1001;
        assert!((90..=160).contains(&per_event), "{per_event} bytes per event");
    }
}
