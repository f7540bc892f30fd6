//! Chunking (`docs/api/knowledge-bases.md`) with hand-computed expectations.

use zaby_knowledge::{Chunk, chunk_text};

fn contents(chunks: &[Chunk]) -> Vec<&str> {
    chunks.iter().map(|c| c.content.as_str()).collect()
}

fn headings(chunks: &[Chunk]) -> Vec<Option<&str>> {
    chunks.iter().map(|c| c.heading.as_deref()).collect()
}

#[test]
fn headings_start_chunks_and_name_them() {
    let text = "Intro line one.\nIntro line two.\n\n# Setup\n\nInstall it.\n\n## Details\nStep one.\n";
    let chunks = chunk_text(text, 1000);
    assert_eq!(
        contents(&chunks),
        ["Intro line one.\nIntro line two.", "# Setup\n\nInstall it.", "## Details\nStep one.",]
    );
    assert_eq!(headings(&chunks), [None, Some("Setup"), Some("Details")]);
    assert_eq!(chunks.iter().map(|c| c.index).collect::<Vec<_>>(), [0, 1, 2]);
}

#[test]
fn a_heading_starts_a_chunk_even_when_everything_would_fit() {
    let chunks = chunk_text("# A\nx\n# B\ny", 1000);
    assert_eq!(contents(&chunks), ["# A\nx", "# B\ny"]);
    assert_eq!(headings(&chunks), [Some("A"), Some("B")]);
}

#[test]
fn paragraphs_are_joined_while_the_chunk_fits() {
    let text = "alpha beta\n\ngamma\n\n\n\ndelta epsilon";
    // 10 + 2 + 5 = 17 fits in 20; adding 2 + 13 would make 32.
    assert_eq!(contents(&chunk_text(text, 20)), ["alpha beta\n\ngamma", "delta epsilon"]);
    // Exactly the size still fits.
    assert_eq!(contents(&chunk_text(text, 17)), ["alpha beta\n\ngamma", "delta epsilon"]);
    // One less does not: "gamma" + "delta epsilon" = 20 > 16.
    assert_eq!(contents(&chunk_text(text, 16)), ["alpha beta", "gamma", "delta epsilon"]);
}

#[test]
fn long_paragraphs_are_cut_at_the_last_whitespace() {
    // Cut at index 7 (the space before "three"), then at index 10, which is a space
    // at exactly the size: "three four" is 10 characters.
    assert_eq!(contents(&chunk_text("one two three four five six", 10)), ["one two", "three four", "five six"]);
}

#[test]
fn the_rest_of_a_cut_paragraph_joins_the_next_paragraph() {
    assert_eq!(contents(&chunk_text("aaaa bbbb cc\n\ndd", 10)), ["aaaa bbbb", "cc\n\ndd"]);
    // The chunk before a long paragraph is closed first.
    assert_eq!(contents(&chunk_text("hi\n\naaaa bbbb cc", 10)), ["hi", "aaaa bbbb", "cc"]);
}

#[test]
fn words_longer_than_the_size_are_cut_at_the_size() {
    assert_eq!(contents(&chunk_text("abcdefghijklmnopqrstuvwxy", 10)), ["abcdefghij", "klmnopqrst", "uvwxy"]);
}

#[test]
fn a_long_section_keeps_its_heading_on_every_chunk() {
    let chunks = chunk_text("# Title\n\nalpha beta gamma delta epsilon", 20);
    assert_eq!(contents(&chunks), ["# Title", "alpha beta gamma", "delta epsilon"]);
    assert_eq!(headings(&chunks), [Some("Title"); 3]);
}

#[test]
fn lengths_are_characters_not_bytes() {
    // 11 characters, 21 bytes: the space at index 5 is the cut.
    assert_eq!(contents(&chunk_text("ééééé ééééé", 5)), ["ééééé", "ééééé"]);
    // Without whitespace, CJK text is cut every 3 characters.
    assert_eq!(contents(&chunk_text("日本語の文章です", 3)), ["日本語", "の文章", "です"]);
    assert_eq!(contents(&chunk_text("😀😀😀😀", 2)), ["😀😀", "😀😀"]);
    // 4 + 2 + 4 = 10 characters (18 bytes) fit in 10.
    assert_eq!(contents(&chunk_text("ääää\n\nöööö", 10)), ["ääää\n\nöööö"]);
}

#[test]
fn empty_pieces_are_dropped() {
    assert!(chunk_text("", 1000).is_empty());
    assert!(chunk_text("   \n\n\t\n", 1000).is_empty());
    // Whitespace runs around a cut leave no empty piece behind.
    assert_eq!(contents(&chunk_text("aaaa          bbbb", 6)), ["aaaa", "bbbb"]);
}

#[test]
fn windows_line_endings_and_trailing_spaces() {
    let chunks = chunk_text("# Head\r\nBody  \r\n\r\nMore\r\n", 1000);
    assert_eq!(contents(&chunks), ["# Head\nBody\n\nMore"]);
    assert_eq!(headings(&chunks), [Some("Head")]);
}

#[test]
fn every_chunk_fits_the_size() {
    let text = "word ".repeat(500) + "\n\n# H\n\n" + &"x".repeat(2500) + "\n\nshort";
    for size in [200, 333, 1000] {
        let chunks = chunk_text(&text, size);
        assert!(chunks.iter().all(|c| c.content.chars().count() <= size));
        assert!(chunks.iter().all(|c| !c.content.trim().is_empty()));
    }
}
