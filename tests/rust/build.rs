//! Extracts the ```rust example of the root README into `$OUT_DIR/readme_example.rs`,
//! with its `#[tokio::main] async fn main()` turned into `pub async fn readme_main()`,
//! so the suite compiles and runs the example exactly as users read it; and the same for
//! the lifecycle example (`crates/zaby/examples/lifecycle.rs` → `lifecycle_main()`).

use std::path::Path;

fn main() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    println!("cargo:rerun-if-changed={}", readme.display());
    let text = std::fs::read_to_string(&readme).unwrap_or_else(|e| panic!("cannot read {}: {e}", readme.display()));

    let blocks = rust_blocks(&text);
    assert_eq!(blocks.len(), 1, "README.md must hold exactly one ```rust block, found {}", blocks.len());
    let block = &blocks[0];

    write_out("readme_example.rs", &entry_renamed(block, "the README's Rust example", "readme_main"));

    let lifecycle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../crates/zaby/examples/lifecycle.rs");
    println!("cargo:rerun-if-changed={}", lifecycle.display());
    let text =
        std::fs::read_to_string(&lifecycle).unwrap_or_else(|e| panic!("cannot read {}: {e}", lifecycle.display()));
    // Its module docs (`//!`) cannot stand inside the module the suite includes it in.
    let body: String = text.lines().filter(|l| !l.starts_with("//!")).map(|l| format!("{l}\n")).collect();
    write_out("lifecycle_example.rs", &entry_renamed(&body, "the lifecycle example", "lifecycle_main"));
}

/// `code` with its one `#[tokio::main] async fn main()` turned into `pub async fn <name>()`.
fn entry_renamed(code: &str, what: &str, name: &str) -> String {
    let entry = "#[tokio::main]\nasync fn main()";
    assert_eq!(code.matches(entry).count(), 1, "{what} must have one `{entry}`");
    code.replace(entry, &format!("pub async fn {name}()"))
}

fn write_out(file: &str, code: &str) {
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join(file);
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
