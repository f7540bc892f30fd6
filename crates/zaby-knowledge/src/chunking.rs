//! Splitting a document into retrievable chunks (`docs/api/knowledge-bases.md` "Chunking").
//!
//! * A Markdown heading line (`#`…`######`, CommonMark ATX rules, not inside fenced code) always starts a
//!   new chunk; the heading line is the chunk's first line, so its words are
//!   searchable, and its text is the chunk's `heading`.
//! * Within a section the text is split at blank lines into paragraphs, and
//!   consecutive paragraphs are joined with a blank line (`"\n\n"`) while the chunk
//!   stays ≤ `chunk_size` characters.
//! * A paragraph longer than `chunk_size` is cut at the last whitespace at or before
//!   `chunk_size` (else exactly at `chunk_size`), repeatedly, until the rest fits.
//!   The pieces before the rest are chunks of their own; the rest may be joined with
//!   the following paragraphs like any paragraph.
//! * Pieces are trimmed and empty pieces are dropped.
//!
//! Lengths are in characters, not bytes.

use crate::markdown::{paragraphs, sections};

/// One chunk of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// 0-based position in the document.
    pub index: usize,
    pub content: String,
    /// The nearest heading's text; `None` for text before the first heading.
    pub heading: Option<String>,
}

/// Chunks `text` with chunks of at most `chunk_size` characters (a size of 0 is
/// treated as 1). The server validates the profile's size (200–8000) beforehand.
pub fn chunk_text(text: &str, chunk_size: usize) -> Vec<Chunk> {
    let size = chunk_size.max(1);
    let mut out = Vec::new();
    for section in sections(text) {
        let heading = section.heading.as_ref().map(|h| h.text.clone());
        let lines = section.heading_line.into_iter().chain(section.body);
        for content in pack(paragraphs(lines), size) {
            out.push(Chunk { index: out.len(), content, heading: heading.clone() });
        }
    }
    out
}

/// Greedily joins paragraphs into chunks of at most `size` characters.
fn pack(paragraphs: Vec<String>, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut current_len = 0usize;
    for paragraph in paragraphs {
        let len = paragraph.chars().count();
        if current_len > 0 && current_len + 2 + len <= size {
            current.push_str("\n\n");
            current.push_str(&paragraph);
            current_len += 2 + len;
            continue;
        }
        if current_len > 0 {
            out.push(std::mem::take(&mut current));
        }
        let mut pieces = if len > size { cut_long(&paragraph, size) } else { vec![paragraph] };
        let rest = pieces.pop().unwrap_or_default();
        out.extend(pieces);
        current_len = rest.chars().count();
        current = rest;
    }
    if current_len > 0 {
        out.push(current);
    }
    out
}

/// Cuts a paragraph longer than `size` into trimmed, non-empty pieces of at most
/// `size` characters: each cut is at the last whitespace at or before `size`, or at
/// `size` when the first `size + 1` characters hold no whitespace after the start.
fn cut_long(paragraph: &str, size: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: Vec<char> = paragraph.trim().chars().collect();
    while rest.len() > size {
        // `rest[size]` exists because `rest.len() > size`. Position 0 is never a cut:
        // `rest` starts with a non-whitespace character, and an empty piece would
        // not make progress.
        let cut = (1..=size).rev().find(|&i| rest[i].is_whitespace());
        let (piece, next): (String, Vec<char>) = match cut {
            Some(i) => (rest[..i].iter().collect(), rest[i..].to_vec()),
            None => (rest[..size].iter().collect(), rest[size..].to_vec()),
        };
        let piece = piece.trim_end();
        if !piece.is_empty() {
            out.push(piece.to_string());
        }
        let skip = next.iter().take_while(|c| c.is_whitespace()).count();
        rest = next[skip..].to_vec();
    }
    if !rest.is_empty() {
        out.push(rest.into_iter().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_at_last_whitespace_or_at_size() {
        assert_eq!(cut_long("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
        // The whitespace at exactly `size` is a valid cut.
        assert_eq!(cut_long("aaaa bbb", 4), ["aaaa", "bbb"]);
        assert_eq!(cut_long("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(cut_long("ab  cdefgh", 5), ["ab", "cdefg", "h"]);
    }
}
