//! Character-based (not byte-based) string helpers: every length in `docs/api/README.md` is in
//! characters (Unicode scalar values).

/// Number of characters (Unicode scalar values) in `s`.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The first `n` characters of `s` (all of `s` when it is shorter).
pub fn first_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((byte, _)) => &s[..byte],
        None => s,
    }
}

/// Length of a generated title (documents without `title`, preamble findings).
pub const TITLE_CHARS: usize = 50;

/// The default document title (`docs/api/knowledge-bases.md` `TextDocumentInput.title`): the first 50
/// characters of the content, or `"Untitled"` when that is empty.
///
/// Surrounding whitespace is ignored first (a title of leading blank lines helps no
/// one), and whitespace the cut leaves at the end is trimmed.
pub fn default_title(content: &str) -> String {
    let title = first_chars(content.trim(), TITLE_CHARS).trim_end();
    if title.is_empty() { "Untitled".to_string() } else { title.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_chars_counts_characters_not_bytes() {
        assert_eq!(first_chars("héllo wörld", 7), "héllo w");
        assert_eq!(first_chars("日本語", 2), "日本");
        assert_eq!(first_chars("ab", 5), "ab");
        assert_eq!(first_chars("ab", 0), "");
    }

    #[test]
    fn default_title_takes_fifty_characters() {
        let content = "é".repeat(60);
        assert_eq!(default_title(&content), "é".repeat(50));
        assert_eq!(default_title("  Short note \n"), "Short note");
        assert_eq!(default_title(""), "Untitled");
        assert_eq!(default_title(" \n\t "), "Untitled");
        // Exactly 50 characters whose cut ends in a space is trimmed.
        let content = format!("{} tail", "a".repeat(49));
        assert_eq!(default_title(&content), "a".repeat(49));
    }
}
