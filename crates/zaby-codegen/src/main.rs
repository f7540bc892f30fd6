//! `zaby-codegen`: derives the generated files of the Rust, Python and TypeScript SDKs
//! (methods, stubs, types) from `zaby::endpoints::ENDPOINTS` and the type catalogue.
//!
//! `cargo run -p zaby-codegen` rewrites them; `cargo run -p zaby-codegen -- --check`
//! fails when a checked-in file differs from what the table produces (CI runs it).
//! `--only PREFIX` limits either to the files whose path starts with PREFIX (`--only docs/`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod docs;
mod kotlin;
mod python;
mod rust_methods;
mod types;
mod typescript;

/// A file to write, relative to the repository root.
pub struct Generated {
    pub path: &'static str,
    pub contents: String,
}

fn all() -> Vec<Generated> {
    let mut files = python::generate();
    files.extend(typescript::generate());
    files.extend(kotlin::generate());
    files.extend(types::generate());
    files.extend(rust_methods::generate());
    files.extend(docs::generate());
    files
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let check = args.iter().any(|a| a == "--check");
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).map_or("", String::as_str);
    let root = repo_root();
    let mut stale = Vec::new();
    for file in all().into_iter().filter(|f| f.path.starts_with(only)) {
        let path = root.join(file.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == file.contents {
            continue;
        }
        if check {
            stale.push(file.path);
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).expect("create directory");
            }
            std::fs::write(&path, &file.contents).expect("write generated file");
            println!("wrote {}", file.path);
        }
    }
    if stale.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("generated files are out of date (run `cargo run -p zaby-codegen`):");
        for p in stale {
            eprintln!("  {p}");
        }
        ExitCode::FAILURE
    }
}
