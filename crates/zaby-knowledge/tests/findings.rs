//! Findings extraction and projection (`docs/api/knowledge-bases.md` `LibraryDocumentFinding`, E47).

use zaby_knowledge::{Finding, chunk_text, extract_findings, render_projection};

const DOC: &str = "Welcome to the handbook. This paragraph is longer than fifty characters for sure.

Second intro.

# Setup
Install it.

More setup.
## Empty
# Usage
Run it.
";

fn finding(index: usize, title: &str, content: &str, level: Option<u8>) -> Finding {
    Finding {
        index,
        category: "section".to_string(),
        title: title.to_string(),
        content: content.to_string(),
        heading_level: level,
    }
}

#[test]
fn sections_and_preamble_paragraphs() {
    let findings = extract_findings(DOC);
    assert_eq!(
        findings,
        [
            finding(
                0,
                // The first 50 characters end in a space, which is trimmed.
                "Welcome to the handbook. This paragraph is longer",
                "Welcome to the handbook. This paragraph is longer than fifty characters for sure.",
                None
            ),
            finding(1, "Second intro.", "Second intro.", None),
            finding(2, "Setup", "Install it.\n\nMore setup.", Some(1)),
            finding(3, "Empty", "", Some(2)),
            finding(4, "Usage", "Run it.", Some(1)),
        ]
    );
}

#[test]
fn titles_count_characters() {
    let text = "ü".repeat(80);
    let findings = extract_findings(&text);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].title, "ü".repeat(50));
}

#[test]
fn an_empty_heading_is_titled_from_its_content() {
    let findings = extract_findings("#\nBody text here");
    assert_eq!(findings[0].title, "Body text here");
    let findings = extract_findings("#\n");
    assert_eq!(findings[0].title, "Untitled");
}

#[test]
fn projection_rebuilds_the_outline() {
    let findings = extract_findings(DOC);
    let selected = [findings[2].clone(), findings[4].clone()];
    assert_eq!(render_projection(&selected), "# Setup\n\nInstall it.\n\nMore setup.\n\n# Usage\n\nRun it.");
    let all = render_projection(&findings);
    assert_eq!(
        all,
        "Welcome to the handbook. This paragraph is longer than fifty characters for sure.\n\n\
         Second intro.\n\n# Setup\n\nInstall it.\n\nMore setup.\n\n## Empty\n\n# Usage\n\nRun it."
    );
    // The projected text has the same sections again.
    let again = extract_findings(&all);
    assert_eq!(again, findings);
    // And chunking it keeps the headings.
    let headings: Vec<_> = chunk_text(&all, 1000).into_iter().map(|c| c.heading).collect();
    assert_eq!(headings, [None, Some("Setup".to_string()), Some("Empty".to_string()), Some("Usage".to_string())]);
}

#[test]
fn no_findings_for_blank_text() {
    assert!(extract_findings(" \n\n ").is_empty());
    assert_eq!(render_projection(&[]), "");
}
