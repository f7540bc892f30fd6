//! Findings of a library document version (`docs/api/knowledge-bases.md` `LibraryDocumentFinding`)
//! and their projection back into a knowledge-base document (E47).
//!
//! * Each Markdown heading line starts a section: one finding titled with the
//!   heading text, whose content is the text up to the next heading (trimmed). A
//!   heading directly followed by another heading gives a finding with empty content:
//!   it is still a section of the document, and keeping it keeps the outline intact
//!   when the findings are projected.
//! * Text before the first heading is split into paragraphs (at blank lines); each is
//!   a finding titled with its first 50 characters.
//! * Every finding has the category `section`.

use crate::markdown::{paragraphs, sections};
use crate::text::{TITLE_CHARS, default_title, first_chars};

/// The only category `zaby-server` produces.
pub const FINDING_CATEGORY: &str = "section";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// 0-based position in the document.
    pub index: usize,
    pub category: String,
    pub title: String,
    pub content: String,
    /// The heading's level (1–6) for a section, `None` for a preamble paragraph.
    /// The server keeps it (e.g. in the finding's `metadata.headingLevel`) so a
    /// projection can rebuild the outline.
    pub heading_level: Option<u8>,
}

/// Extracts the findings of a document's text.
pub fn extract_findings(text: &str) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let mut push = |title: String, content: String, heading_level: Option<u8>| {
        out.push(Finding { index: out.len(), category: FINDING_CATEGORY.to_string(), title, content, heading_level });
    };
    for section in sections(text) {
        match section.heading {
            None => {
                for paragraph in paragraphs(section.body) {
                    let title = first_chars(&paragraph, TITLE_CHARS).trim_end().to_string();
                    push(title, paragraph, None);
                }
            }
            Some(heading) => {
                let content = section.body.join("\n").trim().to_string();
                // An empty heading (`#` alone) is titled like an untitled document.
                let title = if heading.text.is_empty() { default_title(&content) } else { heading.text };
                push(title, content, Some(heading.level));
            }
        }
    }
    out
}

/// The text of the document a projection (E47) creates from the selected findings,
/// in the order given: a section becomes its heading line (at its level) followed by
/// its content, a preamble paragraph its content; parts are separated by a blank
/// line. Chunking this text finds the same headings again.
pub fn render_projection(findings: &[Finding]) -> String {
    let mut parts = Vec::with_capacity(findings.len());
    for finding in findings {
        let part = match finding.heading_level {
            Some(level) => {
                let hashes = "#".repeat(usize::from(level.clamp(1, 6)));
                let heading = format!("{hashes} {}", finding.title.trim());
                if finding.content.is_empty() { heading } else { format!("{heading}\n\n{}", finding.content) }
            }
            None => finding.content.clone(),
        };
        if !part.trim().is_empty() {
            parts.push(part);
        }
    }
    parts.join("\n\n")
}
