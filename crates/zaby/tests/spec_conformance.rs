//! Conformance of the endpoint table with the endpoint indexes of the spec (API.md §8
//! and EXTENSIONS.md §4, the webhook rows): the same endpoints, methods, paths, auth, kinds, and SDK names in Python/Rust
//! (snake_case, `iter…` twins included) and TypeScript (camelCase).
//!
//! The spec lives outside this repository, so the test is ignored by a plain
//! `cargo test`. CI runs it explicitly:
//!
//! ```text
//! ZABY_SPEC_DIR=../shared/spec cargo test -p zaby --test spec_conformance -- --include-ignored
//! ```
//!
//! `ZABY_SPEC_DIR` defaults to `<repository>/../shared/spec`. When run, a missing file
//! is a failure, not a skip.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use zaby::endpoints::{Auth, ClientInfo, ENDPOINTS, Input, Owner, camel_case};

/// One row of the §8 table.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    method: String,
    path: String,
    snake: BTreeSet<String>,
    camel: BTreeSet<String>,
    auth: String,
    kind: BTreeSet<String>,
}

/// `ZABY_SPEC_DIR`, relative paths taken from the repository root (where CI runs
/// cargo), defaulting to `<repository>/../shared/spec`.
fn spec_dir() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    match std::env::var("ZABY_SPEC_DIR").ok().filter(|d| !d.is_empty()) {
        Some(d) => repo.join(d),
        None => repo.join("../shared/spec"),
    }
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

/// `` `a.b`, `a.c` `` → {"a.b", "a.c"}.
fn names(cell: &str) -> BTreeSet<String> {
    cell.split(',').map(|n| n.trim().trim_matches('`').to_owned()).filter(|n| !n.is_empty()).collect()
}

/// The index table of `text`'s section `heading` (`"8."` in API.md, `"4."` in EXTENSIONS.md).
fn parse_spec(text: &str, heading: &str) -> BTreeMap<String, Row> {
    let marker = format!("\n## {heading}");
    let section =
        text.split(&marker).nth(1).unwrap_or_else(|| panic!("the spec has no section {heading} (endpoint index)"));
    let section = section.split("\n## ").next().unwrap();
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| E")) {
        let c = cells(line);
        // The header row (`| E | Method | …`) is not an endpoint.
        if !c[0].strip_prefix('E').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            continue;
        }
        assert_eq!(c.len(), 7, "unexpected row shape: {line}");
        let row = Row {
            method: c[1].clone(),
            path: c[2].trim_matches('`').to_owned(),
            snake: names(&c[3]),
            camel: names(&c[4]),
            auth: c[5].clone(),
            kind: c[6].split(';').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect(),
        };
        assert!(rows.insert(c[0].clone(), row).is_none(), "duplicate row {}", c[0]);
    }
    rows
}

/// The name of a method as the spec writes it: `agents.create`, `runtime.runs.start`.
fn qualified(client: &str, method: &str, camel: bool) -> String {
    let info = ClientInfo::by_id(client).unwrap_or_else(|| panic!("unknown client {client}"));
    let attr = if camel { camel_case(info.attr) } else { info.attr.to_owned() };
    let method = if camel { camel_case(method) } else { method.to_owned() };
    match info.owner {
        Owner::Zaby => format!("{attr}.{method}"),
        Owner::Runtime => format!("runtime.{attr}.{method}"),
    }
}

fn table_rows() -> BTreeMap<String, Row> {
    ENDPOINTS
        .iter()
        .map(|e| {
            let mut snake = BTreeSet::new();
            let mut camel = BTreeSet::new();
            let mut kind = BTreeSet::new();
            for b in e.bindings {
                for name in std::iter::once(b.method).chain(b.iter) {
                    snake.insert(qualified(b.client, name, false));
                    camel.insert(qualified(b.client, name, true));
                }
                match b.input {
                    Input::WhenGiven => kind.insert("input given".to_owned()),
                    Input::WhenOmitted => kind.insert("input omitted".to_owned()),
                    _ => false,
                };
            }
            for (flag, name) in [(e.list, "list"), (e.idempotent, "idem"), (e.sse, "SSE"), (e.extension, "ext")] {
                if flag {
                    kind.insert(name.to_owned());
                }
            }
            let auth = match e.auth {
                Auth::None => "none",
                Auth::ApiKey => "key",
                Auth::Tenant => "tenant",
                Auth::Runtime => "runtime",
            };
            let row = Row {
                method: e.method.as_str().to_owned(),
                path: e.path.to_owned(),
                snake,
                camel,
                auth: auth.to_owned(),
                kind,
            };
            (e.id.to_owned(), row)
        })
        .collect()
}

#[test]
#[ignore = "reads ../shared/spec/{API,EXTENSIONS}.md; run with ZABY_SPEC_DIR=… -- --include-ignored"]
fn endpoint_table_matches_the_spec_index() {
    let read = |file: &str| {
        let path = spec_dir().join(file);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the spec at {} ({e}); set ZABY_SPEC_DIR", path.display()))
    };
    let mut spec = parse_spec(&read("API.md"), "8.");
    assert_eq!(spec.len(), 125, "the spec index has 125 endpoints");
    let extensions = parse_spec(&read("EXTENSIONS.md"), "4.");
    assert_eq!(extensions.len(), 10, "EXTENSIONS.md §4 adds 10 endpoints");
    for (id, row) in extensions {
        assert!(spec.insert(id.clone(), row).is_none(), "{id} is in both indexes");
    }
    let ours = table_rows();

    let spec_ids: BTreeSet<&String> = spec.keys().collect();
    let our_ids: BTreeSet<&String> = ours.keys().collect();
    assert_eq!(spec_ids, our_ids, "endpoint ids differ");

    let mut problems = Vec::new();
    for (id, want) in &spec {
        let have = &ours[id];
        if have != want {
            problems.push(format!("{id}:\n  spec:  {want:?}\n  table: {have:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} endpoint(s) differ from the spec's indexes:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_parser_reads_the_index_format() {
    // Guards the parser itself without the spec file: a row of each shape.
    let text = "\n## 8. Endpoint index\n\n| E | Method | Path | Python / Rust | TS | Auth | Kind |\n|---|---|---|---|---|---|---|\n\
| E3 | GET | `/api/v1/provisioning/agentic-os/agents` | `agents.list`, `agents.iter` | `agents.list`, `agents.iter` | key | list |\n\
| E14 | POST | `/x/{agentId}/playground/runtime-tokens` | `agents.playground_runtime_tokens` | `agents.playgroundRuntimeTokens` | key | idem; input given |\n\
| E1 | GET | `/health` | `health.check` | `health.check` | none | |\n\n## Appendix A\n| E9 | bogus |\n";
    let rows = parse_spec(text, "8.");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows["E14"].kind, ["idem".to_owned(), "input given".to_owned()].into_iter().collect());
    assert!(rows["E1"].kind.is_empty());
    assert_eq!(rows["E3"].camel.len(), 2);
    // And the table side produces the same shape for the same endpoints.
    let ours = table_rows();
    assert_eq!(ours["E3"], rows["E3"]);
    assert_eq!(ours["E1"], rows["E1"]);
    assert_eq!(ours["E14"].kind, rows["E14"].kind);
    assert!(ours["E121"].camel.contains("runtime.runs.stream"));
    assert!(ours["E120"].snake.contains("runtime.runs.iter_events"));
    assert!(ours["E120"].camel.contains("runtime.runs.iterEvents"));
}
