//! The little Markdown structure chunking and findings need: ATX heading lines
//! (`#`…`######`) split a text into sections, and blank lines split a section into
//! paragraphs.
//!
//! Headings follow CommonMark's ATX rules (at most three spaces of indentation, one
//! to six `#`, then a space, a tab or the end of the line; an optional closing run of
//! `#` is not part of the text). Lines inside fenced code blocks (```` ``` ```` or
//! `~~~`) are never headings, so a `# comment` in a shell snippet does not cut it.

/// A heading line: its level (1–6) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Heading {
    pub level: u8,
    pub text: String,
}

/// A run of lines that starts at a heading line (or at the start of the text).
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub heading: Option<Heading>,
    /// The heading line as written (`None` for text before the first heading).
    pub heading_line: Option<&'a str>,
    /// The lines after the heading line, up to the next heading.
    pub body: Vec<&'a str>,
}

/// Parses an ATX heading line.
pub(crate) fn parse_heading(line: &str) -> Option<Heading> {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return None;
    }
    let level = rest.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let after = &rest[level..];
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let mut text = after.trim();
    let without_closing = text.trim_end_matches('#');
    if without_closing.is_empty() {
        text = "";
    } else if without_closing.ends_with([' ', '\t']) {
        text = without_closing.trim_end();
    }
    Some(Heading { level: level as u8, text: text.to_string() })
}

/// The fence marker a line opens or closes with: (character, length).
fn fence_marker(line: &str) -> Option<(char, usize)> {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return None;
    }
    let ch = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// Splits `text` into sections at heading lines outside fenced code blocks. The first
/// section (text before any heading) is returned only when it has lines.
pub(crate) fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out = Vec::new();
    let mut current = Section { heading: None, heading_line: None, body: Vec::new() };
    let mut fence: Option<(char, usize)> = None;
    for line in text.lines() {
        if let Some((ch, len)) = fence {
            if let Some((c2, l2)) = fence_marker(line)
                && c2 == ch
                && l2 >= len
                && line.trim().chars().all(|c| c == ch)
            {
                fence = None;
            }
            current.body.push(line);
            continue;
        }
        if let Some(marker) = fence_marker(line) {
            fence = Some(marker);
            current.body.push(line);
            continue;
        }
        if let Some(heading) = parse_heading(line) {
            let previous = std::mem::replace(
                &mut current,
                Section { heading: Some(heading), heading_line: Some(line), body: Vec::new() },
            );
            if previous.heading.is_some() || !previous.body.is_empty() {
                out.push(previous);
            }
            continue;
        }
        current.body.push(line);
    }
    if current.heading.is_some() || !current.body.is_empty() {
        out.push(current);
    }
    out
}

/// Splits lines into paragraphs at blank (whitespace-only) lines; each paragraph is
/// its lines joined with `\n`, trimmed. Empty paragraphs never appear.
pub(crate) fn paragraphs<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in lines {
        if line.trim().is_empty() {
            push_paragraph(&mut out, &mut current);
        } else {
            current.push(line);
        }
    }
    push_paragraph(&mut out, &mut current);
    out
}

fn push_paragraph(out: &mut Vec<String>, current: &mut Vec<&str>) {
    if current.is_empty() {
        return;
    }
    let joined = current.join("\n");
    let trimmed = joined.trim();
    if !trimmed.is_empty() {
        out.push(trimmed.to_string());
    }
    current.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(level: u8, text: &str) -> Option<Heading> {
        Some(Heading { level, text: text.to_string() })
    }

    #[test]
    fn atx_headings() {
        assert_eq!(parse_heading("# Title"), h(1, "Title"));
        assert_eq!(parse_heading("###### Six"), h(6, "Six"));
        assert_eq!(parse_heading("   ## Indented ##  "), h(2, "Indented"));
        assert_eq!(parse_heading("## C# language"), h(2, "C# language"));
        assert_eq!(parse_heading("## Ends#"), h(2, "Ends#"));
        assert_eq!(parse_heading("#"), h(1, ""));
        assert_eq!(parse_heading("# ###"), h(1, ""));
        assert_eq!(parse_heading("#\tTab"), h(1, "Tab"));
        assert_eq!(parse_heading("####### Seven"), None);
        assert_eq!(parse_heading("#hashtag"), None);
        assert_eq!(parse_heading("    # code"), None);
        assert_eq!(parse_heading("text # not"), None);
    }

    #[test]
    fn fenced_code_hides_headings() {
        let text = "# A\n```sh\n# comment\n```\n# B\n~~~~\n# x\n~~~\nafter";
        let s = sections(text);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].heading, h(1, "A"));
        assert_eq!(s[0].body, ["```sh", "# comment", "```"]);
        assert_eq!(s[1].heading, h(1, "B"));
        assert_eq!(s[1].body, ["~~~~", "# x", "~~~", "after"]);
    }

    #[test]
    fn paragraphs_split_at_blank_lines() {
        let p = paragraphs(["  one", "two  ", " ", "", "three", "\t"]);
        assert_eq!(p, ["one\ntwo", "three"]);
    }
}
