//! Tests of the catalogue, its reader and the emitters.

use super::model::Ty;
use super::parse::{parse_catalogue, parse_type};
use super::*;
use zaby::endpoints::ENDPOINTS;

#[test]
fn every_request_and_response_named_by_the_endpoint_table_is_in_the_catalogue() {
    let cat = catalogue();
    let mut missing = Vec::new();
    for e in ENDPOINTS {
        for name in e.request.into_iter().chain([e.response]) {
            if !cat.resolves(name) {
                missing.push(format!("{}: {name}", e.id));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "types named by the endpoint table but missing from the catalogue:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_types_the_brief_lists_beyond_the_table_exist() {
    let cat = catalogue();
    for name in [
        "Citation",
        "RunStarted",
        "Text",
        "Thinking",
        "ToolCall",
        "ToolResult",
        "ApprovalRequired",
        "RunFinished",
        "RunError",
        "RunEvent",
        "Chunk",
        "McpTool",
        "ToolPolicy",
        "RetrievedChunk",
        "RetrievedMemoryItem",
        "AgentStatus",
        "RunStatus",
        "RuntimeTokenChannel",
        "SignalType",
    ] {
        assert!(cat.resolves(name), "{name} is missing");
    }
}

#[test]
fn resolves_checks_generic_arguments() {
    let cat = catalogue();
    assert!(cat.resolves("ListResponse<Agent>"));
    assert!(!cat.resolves("ListResponse<Nope>"));
    assert!(!cat.resolves("Agent<Run>"));
    assert!(!cat.resolves("ListResponse<Agent"));
}

#[test]
fn type_expressions_parse() {
    assert_eq!(parse_type("string").unwrap(), (Ty::String, false));
    assert_eq!(parse_type("string | null").unwrap(), (Ty::String, true));
    assert_eq!(parse_type("Agent[]").unwrap(), (Ty::List(Box::new(Ty::Ref("Agent".into()))), false));
    assert_eq!(parse_type("map<int[]>").unwrap(), (Ty::Map(Box::new(Ty::List(Box::new(Ty::Int)))), false));
    assert_eq!(
        parse_type("\"A\" | \"B\" | null").unwrap(),
        (Ty::Literal { values: vec!["A".into(), "B".into()], open: false }, true)
    );
    assert_eq!(parse_type("\"A\" | string").unwrap(), (Ty::Literal { values: vec!["A".into()], open: true }, false));
    assert_eq!(
        parse_type("(\"a\" | \"b\")[]").unwrap(),
        (Ty::List(Box::new(Ty::Literal { values: vec!["a".into(), "b".into()], open: false })), false)
    );
}

#[test]
fn bad_type_expressions_are_refused_with_a_reason() {
    for (src, needle) in [
        ("int | string", "union"),
        ("null", "null"),
        ("(string | null)[]", "top"),
        ("strnig", "unknown type"),
        ("map<string", "map"),
        ("string[", "`]`"),
        ("\"open", "unterminated"),
    ] {
        let err = parse_type(src).unwrap_err();
        assert!(err.contains(needle), "{src}: {err}");
    }
}

#[test]
fn catalogue_errors_name_the_file_and_line() {
    let err = parse_catalogue(&[("x.types", "object A {\n    b: Missing\n}\n")]).unwrap_err();
    assert!(err.contains("x.types:1") && err.contains("Missing"), "{err}");
    let err = parse_catalogue(&[("x.types", "\nobject A {\n    b string\n}\n")]).unwrap_err();
    assert!(err.contains("x.types:3"), "{err}");
    let err = parse_catalogue(&[("x.types", "object A {\n  a: int\n}\nobject A {\n  a: int\n}\n")]).unwrap_err();
    assert!(err.contains("declared twice"), "{err}");
    let err = parse_catalogue(&[("x.types", "input B : partial A {\n}\n")]).unwrap_err();
    assert!(err.contains("declared before"), "{err}");
    let err = parse_catalogue(&[("x.types", "object A {\n  a: int\n")]).unwrap_err();
    assert!(err.contains("not closed"), "{err}");
}

#[test]
fn derived_types_copy_filter_and_override_fields() {
    let src = "input A {\n  a: string\n  b?: int | null\n  c: bool\n}\n\
               patch P : partial A without c {\n  d?: string\n}\n\
               object R : required A only a, b {\n  a?: string // overridden\n}\n";
    let cat = parse_catalogue(&[("x.types", src)]).unwrap();
    let p = cat.type_def("P").unwrap();
    let names: Vec<_> = p.fields.iter().map(|f| (f.wire.as_str(), f.required)).collect();
    assert_eq!(names, [("a", false), ("b", false), ("d", false)]);
    let r = cat.type_def("R").unwrap();
    let names: Vec<_> = r.fields.iter().map(|f| (f.wire.as_str(), f.required, f.doc.as_str())).collect();
    assert_eq!(names, [("b", true, ""), ("a", false, "overridden")]);
}

#[test]
fn every_field_has_a_distinct_name_and_rust_identifier() {
    for t in &catalogue().types {
        let mut seen = std::collections::HashSet::new();
        for f in &t.fields {
            assert!(seen.insert(snake_case(&f.wire)), "{}.{} collides", t.name, f.wire);
        }
    }
}

#[test]
fn rust_output_uses_the_conventions() {
    let rust = emit_rust::emit(&catalogue());
    // Partial updates keep "clear" apart from "leave".
    assert!(rust.contains("pub description: Option<Option<String>>,"));
    // Keywords become raw identifiers and keep their wire name.
    assert!(rust.contains("pub r#type: McpServerKind,"));
    assert!(rust.contains("pub struct ListResponse<T = Value> {"));
    assert!(rust.contains("pub use crate::sse::SseEvent;"));
    // Enumerations are enums; open ones keep unknown values.
    assert!(rust.contains("    closed AgentStatus {\n        Draft = \"DRAFT\","), "{rust}");
    assert!(rust.contains("    open AgentModel {\n        Zaby = \"zaby\",\n        ZabyMax = \"zaby-max\","));
    // An input with a required enumeration has no `Default`; other inputs do.
    assert!(rust.contains("#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]\n#[serde(rename_all = \"camelCase\")]\npub struct AuthPolicyInput {"));
    assert!(rust.contains("#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]\n#[serde(rename_all = \"camelCase\")]\npub struct AgentInput {"));
}

#[test]
fn variant_names_follow_rust_conventions() {
    for (wire, name) in [
        ("DRAFT", "Draft"),
        ("WAITING_FOR_APPROVAL", "WaitingForApproval"),
        ("tool_call", "ToolCall"),
        ("RunStarted", "RunStarted"),
        ("zaby-max", "ZabyMax"),
        ("managed-agents:runtime:run", "ManagedAgentsRuntimeRun"),
        ("p95_response_time", "P95ResponseTime"),
    ] {
        assert_eq!(emit_rust::variant_name(wire), name);
    }
}

#[test]
fn python_output_handles_keywords_and_generics() {
    let py = emit_python::emit(&catalogue());
    // `from` cannot be a class attribute.
    assert!(py.contains("UsageReport = TypedDict(\n    \"UsageReport\","));
    assert!(py.contains("class ListResponse(TypedDict, Generic[T], total=False):"));
    assert!(py.contains("    slug: Required[str]"));
    assert!(py.contains("AgentModel = Union[Literal[\"zaby\", \"zaby-max\"], str]"));
}

#[test]
fn typescript_output_keeps_open_enums_open() {
    let ts = emit_typescript::emit(&catalogue());
    assert!(ts.contains("export type AgentModel = \"zaby\" | \"zaby-max\" | (string & {});"));
    assert!(ts.contains("export interface SseEvent<T = unknown> {"));
    assert!(ts.contains("  nextCursor?: string | null;"));
}

#[test]
fn case_conversions_round_trip() {
    for wire in ["agentVersionId", "p95LatencyMs", "from", "type", "uniqueIdHash", "isTestRun"] {
        assert_eq!(camel_from_snake(&snake_case(wire)), wire);
    }
}
