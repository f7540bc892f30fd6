//! Keeps the source files free of import circles: no module may reach itself
//! through the `crate::…`/`super::…` paths of other modules (a parent and its own
//! submodules excepted: a folder's `mod.rs` and its files belong together).
//! Paths are read from the text of `src/`, so a circle fails `cargo test` at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`services::mcp::calls`) of every `.rs` file under `dir`.
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let mut module = prefix.to_vec();
        if path.is_dir() {
            module.push(name);
            modules(&path, &module, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            if !matches!(name.as_str(), "mod" | "lib" | "main") {
                module.push(name);
            }
            out.insert(module, std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else { return vec![path.to_string()] };
    let (head, body) = (&path[..open], &path[open + 1..path.len() - 1]);
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts.iter().filter(|p| !p.is_empty()).flat_map(|p| expand(&format!("{head}{p}"))).collect()
}

/// Every `crate::`/`super::` path a file names, in `use` items or inline.
fn paths(source: &str) -> Vec<String> {
    let code: String =
        source.lines().map(|l| l.split_once("//").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let statement = &rest[at + 4..rest[at..].find(';').map_or(rest.len(), |end| at + end)];
        let compact: String = statement.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.starts_with("crate::") || compact.starts_with("super::") {
            found.extend(expand(&compact));
        }
        rest = &rest[at + 4..];
    }
    let is_path_char = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for root in ["crate::", "super::"] {
        for (at, _) in code.match_indices(root) {
            if at > 0 && is_path_char(code[..at].chars().next_back().unwrap()) {
                continue;
            }
            let end = code[at..].find(|c: char| !is_path_char(c)).map_or(code.len(), |e| at + e);
            found.push(code[at..end].trim_end_matches(':').to_string());
        }
    }
    found
}

/// The module a path leads to, from the module `from` it is written in.
fn target(from: &[String], path: &str, known: &BTreeMap<Vec<String>, String>) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty()).peekable();
    let mut base: Vec<String> = Vec::new();
    if segments.peek() == Some(&"super") {
        base = from.to_vec();
        while segments.peek() == Some(&"super") {
            segments.next();
            base.pop();
        }
    } else {
        segments.next(); // crate
    }
    base.extend(segments.filter(|s| *s != "self").map(str::to_string));
    (1..=base.len()).rev().map(|n| base[..n].to_vec()).find(|m| known.contains_key(m))
}

/// A chain of modules from `start` back to itself, if one exists.
fn circle(
    start: &[String],
    at: &[String],
    edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    seen: &mut BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    for next in edges.get(at).into_iter().flatten() {
        if next == start {
            return Some(vec![at.join("::"), next.join("::")]);
        }
        if seen.insert(next.clone())
            && let Some(mut chain) = circle(start, next, edges, seen)
        {
            chain.insert(0, at.join("::"));
            return Some(chain);
        }
    }
    None
}

#[test]
fn no_module_reaches_itself_through_others() {
    let mut known = BTreeMap::new();
    modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &[], &mut known);
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, source) in &known {
        for path in paths(source) {
            let Some(to) = target(module, &path, &known) else { continue };
            if !to.starts_with(module) && !module.starts_with(&to) {
                edges.entry(module.clone()).or_default().insert(to);
            }
        }
    }
    assert!(edges.contains_key(&["http".to_string(), "routes".to_string()][..]), "the scan finds no paths");
    for module in known.keys() {
        if let Some(chain) = circle(module, module, &edges, &mut BTreeSet::new()) {
            panic!("import circle: {}", chain.join(" → "));
        }
    }
}
