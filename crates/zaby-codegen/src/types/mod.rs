//! The typed objects of the API, written once and emitted in three languages.
//!
//! `catalogue/*.types` is the single source: every object and input of the API (docs/api/types.md)
//! in a small notation close to a reference table (grammar in `catalogue/README.md`).
//! [`parse`] reads it into [`model`]; one emitter per language writes
//! `crates/zaby/src/types.rs`, `python/zaby/types.py` and `typescript/src/types.ts`,
//! and the schemas of the server's OpenAPI document.

pub mod model;
pub mod parse;

mod emit_json_schema;
mod emit_openapi;
mod emit_python;
mod emit_rust;
mod emit_typescript;
mod events;

#[cfg(test)]
mod tests;

use crate::Generated;
pub(crate) use emit_rust::rust_name;
use model::Catalogue;

/// Where the catalogue lives, named in the headers of the generated files.
pub const SOURCE_DIR: &str = "crates/zaby-codegen/src/types/catalogue";

/// The catalogue files, in reading order (a base type must precede the types that
/// derive from it).
const FILES: &[(&str, &str)] = &[
    ("common.types", include_str!("catalogue/common.types")),
    ("agents.types", include_str!("catalogue/agents.types")),
    ("runs.types", include_str!("catalogue/runs.types")),
    ("tokens.types", include_str!("catalogue/tokens.types")),
    ("knowledge.types", include_str!("catalogue/knowledge.types")),
    ("mcp.types", include_str!("catalogue/mcp.types")),
    ("memory.types", include_str!("catalogue/memory.types")),
    ("intelligence.types", include_str!("catalogue/intelligence.types")),
    ("webhooks.types", include_str!("catalogue/webhooks.types")),
];

/// The query strings of the endpoints (`E3Query`, …): read for the OpenAPI document and
/// the Rust SDK (whose methods take them typed); Python and TypeScript do not emit them.
const QUERIES: (&str, &str) = ("queries.types", include_str!("catalogue/queries.types"));

/// The catalogue with the endpoints' query types, for the OpenAPI document and Rust.
pub(crate) fn catalogue_with_queries() -> Catalogue {
    let files: Vec<(&str, &str)> = FILES.iter().copied().chain([QUERIES]).collect();
    parse::parse_catalogue(&files).unwrap_or_else(|e| panic!("type catalogue: {e}"))
}

/// The parsed catalogue. The files are compiled in, so an error here is a bug in the
/// catalogue: the generator stops with the file and line.
pub fn catalogue() -> Catalogue {
    parse::parse_catalogue(FILES).unwrap_or_else(|e| panic!("type catalogue: {e}"))
}

pub fn generate() -> Vec<Generated> {
    let cat = catalogue();
    // The endpoint table names request and response types; each must exist in all
    // three languages, so a missing one stops generation (and `--check` in CI).
    for e in zaby::endpoints::ENDPOINTS {
        for name in e.request.into_iter().chain([e.response]) {
            assert!(cat.resolves(name), "{}: type `{name}` is not in the catalogue ({SOURCE_DIR})", e.id);
        }
    }
    vec![
        Generated { path: "crates/zaby/src/types.rs", contents: emit_rust::emit(&catalogue_with_queries()) },
        Generated { path: "python/zaby/types.py", contents: emit_python::emit(&cat) },
        Generated { path: emit_python::EVENTS_PATH, contents: emit_python::emit_events(&cat) },
        Generated { path: "typescript/src/types.ts", contents: emit_typescript::emit(&cat) },
        Generated { path: emit_openapi::PATH, contents: emit_openapi::emit(&catalogue_with_queries()) },
    ]
}

/// `doc` as a `/** … */` block (KDoc and JSDoc share the form); `*/` inside it is
/// written as `close` so that it cannot end the comment early.
pub(crate) fn doc_block(out: &mut String, indent: &str, doc: &str, close: &str) {
    use std::fmt::Write;
    if doc.is_empty() {
        return;
    }
    let doc = doc.replace("*/", close);
    let lines: Vec<&str> = doc.lines().collect();
    if let [line] = lines[..] {
        let _ = writeln!(out, "{indent}/** {line} */");
        return;
    }
    let _ = writeln!(out, "{indent}/**");
    for l in lines {
        let _ = writeln!(out, "{indent} *{}{l}", if l.is_empty() { "" } else { " " });
    }
    let _ = writeln!(out, "{indent} */");
}

/// `agentVersionId` → `agent_version_id`.
pub fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What serde's `rename_all = "camelCase"` makes of a snake_case name.
pub fn camel_from_snake(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
