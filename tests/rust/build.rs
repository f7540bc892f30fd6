//! Extracts the ```rust example of the root README into `$OUT_DIR/readme_example.rs`,
//! with its `#[tokio::main] async fn main()` turned into `pub async fn readme_main()`,
//! so the suite compiles and runs the example exactly as users read it.

use std::path::Path;

fn main() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    println!("cargo:rerun-if-changed={}", readme.display());
    let text = std::fs::read_to_string(&readme).unwrap_or_else(|e| panic!("cannot read {}: {e}", readme.display()));

    let blocks = rust_blocks(&text);
    assert_eq!(blocks.len(), 1, "README.md must hold exactly one ```rust block, found {}", blocks.len());
    let block = &blocks[0];

    let entry = "#[tokio::main]\nasync fn main()";
    assert_eq!(block.matches(entry).count(), 1, "the README's Rust example must have one `{entry}`");
    let code = block.replace(entry, "pub async fn readme_main()");

    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("readme_example.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

/// The bodies of the fenced blocks whose info string is `rust`.
fn rust_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        match current.as_mut() {
            None if trimmed.starts_with("```") && trimmed[3..].trim() == "rust" => current = Some(String::new()),
            None => {}
            Some(_) if trimmed.starts_with("```") => blocks.extend(current.take()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    blocks
}
