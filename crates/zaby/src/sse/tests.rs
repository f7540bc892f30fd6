use super::*;
use proptest::prelude::*;
use serde_json::json;

fn ev(id: Option<&str>, event: Option<&str>, data: Value) -> SseEvent {
    SseEvent { id: id.map(str::to_owned), event: event.map(str::to_owned), data }
}

/// Feeds `bytes` in one chunk, the way a network stream ends (final block discarded).
fn network(bytes: &[u8]) -> Vec<SseEvent> {
    SseParser::new().feed(bytes)
}

/// Feeds `bytes` in chunks split at `cuts`, then optionally finishes.
fn chunked(bytes: &[u8], cuts: &[usize], finish: bool) -> Vec<SseEvent> {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts {
        let cut = cut.clamp(start, bytes.len());
        out.extend(parser.feed(&bytes[start..cut]));
        start = cut;
    }
    out.extend(parser.feed(&bytes[start..]));
    if finish {
        out.extend(parser.finish());
    }
    out
}

#[test]
fn server_framing_example() {
    let text = ": connected\n\nid: 1\nevent: RunStarted\ndata: {\"runId\":\"r\"}\n\nid: 2\nevent: text\ndata: {\"content\":\"You \"}\n\n";
    assert_eq!(
        network(text.as_bytes()),
        vec![
            ev(Some("1"), Some("RunStarted"), json!({"runId": "r"})),
            ev(Some("2"), Some("text"), json!({"content": "You "})),
        ]
    );
}

#[test]
fn multi_line_data_is_joined_with_newlines() {
    let events = network(b"data: first\ndata: second\ndata:\ndata:  two spaces\n\n");
    assert_eq!(events, vec![ev(None, None, json!("first\nsecond\n\n two spaces"))]);
    // Joined lines that form JSON are parsed.
    let events = network(b"data: {\"a\":\ndata: 1}\n\n");
    assert_eq!(events, vec![ev(None, None, json!({"a": 1}))]);
}

#[test]
fn comments_are_ignored_and_comment_only_blocks_produce_nothing() {
    assert!(network(b": ping\n\n: connected\n\n\n\n").is_empty());
    let events = network(b": before\ndata: 1\n: between\n\n");
    assert_eq!(events, vec![ev(None, None, json!(1))]);
}

#[test]
fn crlf_cr_and_lf_line_ends() {
    let expected = vec![ev(Some("1"), Some("text"), json!({"a": 1})), ev(Some("2"), None, json!("x"))];
    for sep in ["\n", "\r\n", "\r"] {
        let text = ["id: 1", "event: text", "data: {\"a\":1}", "", "id: 2", "data: x", "", ""].join(sep);
        assert_eq!(network(text.as_bytes()), expected, "{sep:?}");
    }
    // Mixed line ends in one stream.
    let events = network(b"id: 1\r\nevent: text\rdata: {\"a\":1}\n\r\nid: 2\ndata: x\r\r");
    assert_eq!(events, expected);
}

#[test]
fn cr_at_chunk_end_followed_by_lf_is_one_line_end() {
    let mut p = SseParser::new();
    assert!(p.feed(b"data: a\r").is_empty());
    // If the LF were a second line end, this would dispatch an extra (empty) line here.
    assert!(p.feed(b"\ndata: b\r").is_empty());
    assert_eq!(p.feed(b"\n\r\n"), vec![ev(None, None, json!("a\nb"))]);
    // A lone CR at the end of a chunk followed by a non-LF.
    let mut p = SseParser::new();
    assert!(p.feed(b"data: a\r").is_empty());
    assert_eq!(p.feed(b"\r"), vec![ev(None, None, json!("a"))]);
    // CR, then an empty chunk, then LF.
    let mut p = SseParser::new();
    assert!(p.feed(b"data: a\r").is_empty());
    assert!(p.feed(b"").is_empty());
    assert!(p.feed(b"\n").is_empty());
    assert_eq!(p.feed(b"\n"), vec![ev(None, None, json!("a"))]);
}

#[test]
fn leading_byte_order_mark_is_dropped_once() {
    assert_eq!(network(b"\xEF\xBB\xBFdata: 1\n\n"), vec![ev(None, None, json!(1))]);
    // Split BOM.
    assert_eq!(chunked(b"\xEF\xBB\xBFdata: 1\n\n", &[1, 2], false), vec![ev(None, None, json!(1))]);
    // A BOM later in the stream is data.
    let events = network("data: 1\n\n\u{FEFF}data: 2\n\n".as_bytes());
    assert_eq!(events.len(), 1, "the field name starts with a BOM so it is unknown: {events:?}");
    let events = network("data: \u{FEFF}x\n\n".as_bytes());
    assert_eq!(events, vec![ev(None, None, json!("\u{FEFF}x"))]);
}

#[test]
fn default_parser_also_drops_the_bom() {
    assert_eq!(SseParser::default().feed(b"\xEF\xBB\xBFdata: 1\n\n"), vec![ev(None, None, json!(1))]);
}

#[test]
fn non_json_data_stays_a_string() {
    let events = network(b"data: hello world\n\ndata: {broken\n\ndata: \"quoted\"\n\ndata: 3.5\n\ndata: true\n\n");
    assert_eq!(
        events.into_iter().map(|e| e.data).collect::<Vec<_>>(),
        vec![json!("hello world"), json!("{broken"), json!("quoted"), json!(3.5), json!(true)]
    );
}

#[test]
fn blocks_with_event_or_id_but_no_data_have_empty_string_data() {
    assert_eq!(network(b"event: ping\n\n"), vec![ev(None, Some("ping"), json!(""))]);
    assert_eq!(network(b"id: 9\n\n"), vec![ev(Some("9"), None, json!(""))]);
}

#[test]
fn ids_with_nul_are_ignored_and_ids_do_not_carry_over() {
    let events = network(b"id: 1\0x\ndata: a\n\nid: 7\ndata: b\n\ndata: c\n\n");
    assert_eq!(events, vec![ev(None, None, json!("a")), ev(Some("7"), None, json!("b")), ev(None, None, json!("c"))]);
    // The last id line of a block wins; an empty id is an empty string.
    assert_eq!(network(b"id: 1\nid: 2\ndata: x\n\n")[0].id.as_deref(), Some("2"));
    assert_eq!(network(b"id\ndata: x\n\n")[0].id.as_deref(), Some(""));
}

#[test]
fn field_without_colon_has_an_empty_value() {
    assert_eq!(network(b"data\ndata\n\n"), vec![ev(None, None, json!("\n"))]);
    assert_eq!(network(b"event\ndata: x\n\n"), vec![ev(None, Some(""), json!("x"))]);
}

#[test]
fn only_one_leading_space_is_removed_and_colons_in_values_survive() {
    let events = network(b"event:text\ndata:  {\"a\": \"b:c\"}\nid:   5\n\n");
    assert_eq!(events, vec![ev(Some("  5"), Some("text"), json!({"a": "b:c"}))]);
}

#[test]
fn retry_and_unknown_fields_are_ignored() {
    assert!(network(b"retry: 1000\n\n").is_empty());
    assert!(network(b"foo: bar\nEvent: x\nDATA: y\n\n").is_empty());
    assert_eq!(network(b"retry: 5\nfoo: bar\ndata: 1\n\n"), vec![ev(None, None, json!(1))]);
}

#[test]
fn unterminated_final_block_needs_finish() {
    let text = b"id: 1\ndata: a\n\nid: 2\nevent: RunFinished\ndata: {\"x\":1}";
    assert_eq!(network(text).len(), 1, "a network stream discards the cut-off block");
    let mut p = SseParser::new();
    assert_eq!(p.feed(text).len(), 1);
    assert_eq!(p.finish(), Some(ev(Some("2"), Some("RunFinished"), json!({"x": 1}))));
    // Terminated by a single line end only.
    let mut p = SseParser::new();
    assert!(p.feed(b"data: z\n").is_empty());
    assert_eq!(p.finish(), Some(ev(None, None, json!("z"))));
    // Nothing pending.
    let mut p = SseParser::new();
    assert_eq!(p.feed(b"data: z\n\n").len(), 1);
    assert_eq!(p.finish(), None);
    assert_eq!(SseParser::new().finish(), None);
    // parse_complete does both.
    let all = SseParser::parse_complete("data: 1\n\ndata: 2");
    assert_eq!(all, vec![ev(None, None, json!(1)), ev(None, None, json!(2))]);
}

#[test]
fn utf8_split_across_chunks() {
    let text = "data: {\"t\":\"héllo 日本 😀\"}\n\n".as_bytes();
    let expected = vec![ev(None, None, json!({"t": "héllo 日本 😀"}))];
    for cut in 0..=text.len() {
        assert_eq!(chunked(text, &[cut], false), expected, "cut at {cut}");
    }
    // Byte by byte.
    let cuts: Vec<usize> = (1..text.len()).collect();
    assert_eq!(chunked(text, &cuts, false), expected);
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    assert_eq!(network(b"data: a\xFFb\n\n"), vec![ev(None, None, json!("a\u{FFFD}b"))]);
    assert_eq!(network(b"data: \xC3(\n\n"), vec![ev(None, None, json!("\u{FFFD}("))]);
    // An incomplete sequence followed by something that cannot continue it, across chunks.
    assert_eq!(chunked(b"data: \xE6\x97x\n\n", &[7], false), vec![ev(None, None, json!("\u{FFFD}x"))]);
    // A truncated sequence at the very end of a complete body.
    let mut p = SseParser::new();
    assert!(p.feed(b"data: a\xE6\x97").is_empty());
    assert_eq!(p.finish(), Some(ev(None, None, json!("a\u{FFFD}"))));
}

#[test]
fn terminal_detection() {
    assert!(ev(None, Some("RunFinished"), json!({})).is_terminal());
    assert!(ev(None, Some("RunError"), json!({})).is_terminal());
    assert!(!ev(None, Some("runfinished"), json!({})).is_terminal());
    assert!(!ev(None, Some("text"), json!({"type": "RunFinished"})).is_terminal());
    assert!(ev(None, None, json!({"type": "RunError"})).is_terminal());
    assert!(!ev(None, None, json!({"type": "text"})).is_terminal());
    assert!(!ev(None, None, json!("RunFinished")).is_terminal());
}

/// A stream exercising every rule: comments, CR/LF/CRLF, multi-byte text, invalid bytes,
/// ids with NUL, fields without colon, a BOM.
fn rich_stream() -> Vec<u8> {
    let mut s = b"\xEF\xBB\xBF: connected\r\n\r\n".to_vec();
    s.extend_from_slice("id: 1\nevent: text\ndata: {\"content\":\"héllo 日本 😀\"}\n\n".as_bytes());
    s.extend_from_slice(b"id: 2\revent: thinking\rdata: line one\rdata: line two\r\r");
    s.extend_from_slice(b": ping\r\n\r\nid: 3\0\r\ndata: bad \xFF byte\r\n\r\n");
    s.extend_from_slice(b"data\nevent: x\nretry: 10\n\nid: 4\nevent: RunFinished\ndata: {\"runId\":\"r\"}\n\n");
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_yields_the_same_events(mut cuts in proptest::collection::vec(0usize..400, 0..40)) {
        let bytes = rich_stream();
        cuts.sort_unstable();
        let whole = chunked(&bytes, &[], false);
        prop_assert_eq!(whole.len(), 5);
        prop_assert_eq!(chunked(&bytes, &cuts, false), whole);
    }

    #[test]
    fn any_chunking_of_arbitrary_bytes_matches_one_chunk(
        bytes in proptest::collection::vec(prop_oneof![
            Just(b'\n'), Just(b'\r'), Just(b':'), Just(b' '), Just(b'd'), Just(b'a'), Just(b't'),
            Just(b'i'), Just(0xE6u8), Just(0x97u8), Just(0xA5u8), Just(0xFFu8), Just(0xEFu8), Just(0xBBu8), Just(0xBFu8),
        ], 0..200),
        mut cuts in proptest::collection::vec(0usize..200, 0..20),
        finish in any::<bool>(),
    ) {
        cuts.sort_unstable();
        prop_assert_eq!(chunked(&bytes, &cuts, finish), chunked(&bytes, &[], finish));
    }
}
