//! The catalogue as JSON Schema (the dialect of OpenAPI 3.1): one schema per enum and
//! object, referenced as `#/components/schemas/<Name>`.
//!
//! Generic types (`ListResponse<T>`, `SseEvent<T>`) have no schema of their own: each
//! use in the endpoint table is instantiated under a name of its own (`AgentList`).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::model::{Catalogue, EnumDef, Field, Ty, TypeDef};

pub(super) const SCHEMAS: &str = "#/components/schemas/";

/// The component name of a type expression of the endpoint table, and the schemas it
/// needs beyond the catalogue's own (the instantiation of a generic type).
pub(super) fn reference(cat: &Catalogue, expr: &str, extra: &mut Map<String, Value>) -> String {
    let (head, arg) = match expr.split_once('<') {
        Some((head, rest)) => (head, rest.strip_suffix('>').map(str::trim)),
        None => (expr, None),
    };
    let Some(def) = cat.type_def(head).filter(|d| !d.params.is_empty()) else { return head.to_string() };
    // `ListResponse<Agent>` → `AgentList`; a generic used bare (`SseEvent`) keeps its
    // name, with `any` for the parameter.
    let name = match arg {
        None => head.to_string(),
        Some(arg) if head == "ListResponse" => format!("{arg}List"),
        Some(arg) => format!("{head}Of{arg}"),
    };
    if !extra.contains_key(&name) {
        let bound: HashMap<&str, Ty> =
            def.params.iter().map(|p| (p.as_str(), arg.map_or(Ty::Any, |a| Ty::Ref(a.to_string())))).collect();
        extra.insert(name.clone(), object_schema(def, &bound));
    }
    name
}

/// Every enum and non-generic object, input and patch of the catalogue.
pub(super) fn schemas(cat: &Catalogue) -> Map<String, Value> {
    let mut out = Map::new();
    for e in &cat.enums {
        out.insert(e.name.clone(), enum_schema(e));
    }
    for t in cat.types.iter().filter(|t| t.params.is_empty() && query_of(t).is_none()) {
        out.insert(t.name.clone(), object_schema(t, &HashMap::new()));
    }
    out
}

/// `E3Query` → `Some("E3")`: the query string of an endpoint (`catalogue/queries.types`).
pub(super) fn query_of(t: &TypeDef) -> Option<&str> {
    t.name.strip_suffix("Query").filter(|id| id.starts_with('E') && id[1..].bytes().all(|b| b.is_ascii_digit()))
}

fn enum_schema(e: &EnumDef) -> Value {
    let mut s = literal(&e.values, e.open);
    describe(&mut s, &e.doc);
    s
}

/// A closed set is an `enum`; an open one also takes any other string, and lists the
/// known values as `examples` so generators still try them.
fn literal(values: &[String], open: bool) -> Value {
    if open { json!({"type": "string", "examples": values}) } else { json!({"type": "string", "enum": values}) }
}

fn object_schema(t: &TypeDef, bound: &HashMap<&str, Ty>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for f in &t.fields {
        properties.insert(f.wire.clone(), field_schema(f, bound));
        if f.required {
            required.push(Value::String(f.wire.clone()));
        }
    }
    let mut s = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        s["required"] = Value::Array(required);
    }
    describe(&mut s, &t.doc);
    s
}

pub(super) fn field_schema(f: &Field, bound: &HashMap<&str, Ty>) -> Value {
    let mut s = ty_schema(&f.ty, bound);
    if f.nullable {
        s = nullable(s);
    }
    describe(&mut s, &f.doc);
    s
}

/// `T | null` in the 3.1 style: `type: [t, "null"]` for a plain type, `anyOf` otherwise.
fn nullable(s: Value) -> Value {
    match s.get("type").and_then(Value::as_str) {
        Some(t) if s.get("enum").is_none() => {
            let mut s = s.clone();
            s["type"] = json!([t, "null"]);
            s
        }
        _ => json!({"anyOf": [s, {"type": "null"}]}),
    }
}

fn ty_schema(ty: &Ty, bound: &HashMap<&str, Ty>) -> Value {
    match ty {
        Ty::String => json!({"type": "string"}),
        Ty::Int => json!({"type": "integer"}),
        Ty::Number => json!({"type": "number"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Any => json!({}),
        Ty::Object => json!({"type": "object"}),
        Ty::Literal { values, open } => literal(values, *open),
        Ty::Ref(name) => match bound.get(name.as_str()) {
            Some(arg) => ty_schema(arg, &HashMap::new()),
            None => json!({"$ref": format!("{SCHEMAS}{name}")}),
        },
        Ty::List(inner) => json!({"type": "array", "items": ty_schema(inner, bound)}),
        Ty::Map(inner) => json!({"type": "object", "additionalProperties": ty_schema(inner, bound)}),
    }
}

/// Sets `description` (beside a `$ref`, too: 3.1 allows siblings of `$ref`).
fn describe(s: &mut Value, doc: &str) {
    if !doc.is_empty() {
        s["description"] = Value::String(doc.to_string());
    }
}
