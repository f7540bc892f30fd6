//! What each endpoint accepts, taken from the type catalogue: the schema of the
//! row's request type and its query parameters, as `zaby-codegen` wrote them into the
//! OpenAPI document the server serves. A body or query member the catalogue does not
//! know is a 422 naming it, with a "did you mean" when a known field is close, rather
//! than being dropped in silence (a misspelled `instruction` would create an agent
//! without instructions, a misspelled filter would list everything).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value};

use crate::http::openapi;

/// Body members the catalogue leaves out on purpose, accepted without a 422:
/// `(request type, member)`. The aliases `docs/api/README.md` names beside an input ("Alias
/// accepted"), which the services read in place of the canonical member, and members
/// that SDKs send and this API does not use (ignored).
const ACCEPTED: &[(&str, &str)] = &[
    // `docs/api/knowledge-bases.md` TextDocumentInput: `text` → `content`, `name` → `title`.
    ("TextDocumentInput", "text"),
    ("TextDocumentInput", "name"),
    // `docs/api/knowledge-bases.md` RetrieveInput and `docs/api/memory.md` E89: `limit` → `topK`.
    ("RetrieveInput", "limit"),
    ("MemoryRetrieveInput", "limit"),
    // `docs/api/mcp.md` McpServerInput (E69, E71): `endpoint` → `endpointUrl`.
    ("McpServerInput", "endpoint"),
    ("McpServerUpdateInput", "endpoint"),
    // `docs/api/mcp.md` McpInstallInput: `serverId` → `serverDefinitionId`.
    ("McpInstallInput", "serverId"),
    // `docs/api/mcp.md` ToolPolicyInput: `allowed` → `enabled`; `requiredRole` (legacy).
    ("ToolPolicyInput", "allowed"),
    ("ToolPolicyInput", "requiredRole"),
    // Ignored. `docs/api/runtime-tokens.md` PlaygroundRuntimeTokenInput (E14, E118): callers that mint
    // playground tokens with the body they use for E25 (`RuntimeTokenCreateInput`)
    // send its `quotaPolicyId`, which a playground token has no use for.
    ("PlaygroundRuntimeTokenInput", "quotaPolicyId"),
];

/// Endpoints whose query string takes any key: `docs/api/runtime-runs.md` E121 (the run stream)
/// reads `afterSeq` and says "other keys are ignored".
const ANY_QUERY: &[&str] = &["E121"];

/// What one endpoint accepts.
struct Accepts {
    /// Name of the request type's schema (`AgentInput`); `None`: the row takes no body.
    body: Option<String>,
    /// Query parameters (`cursor`, `limit` and the filters): name and schema.
    query: Vec<(String, Value)>,
    /// The query parameters that must be given.
    required: Vec<String>,
}

struct Known {
    by_endpoint: HashMap<String, Accepts>,
    /// `components.schemas` of the document.
    schemas: Map<String, Value>,
}

static KNOWN: LazyLock<Known> = LazyLock::new(|| {
    let doc = openapi::generated();
    let mut by_endpoint = HashMap::new();
    for op in doc["paths"].as_object().into_iter().flat_map(|p| p.values()).filter_map(Value::as_object) {
        for op in op.values() {
            let Some(id) = op["x-endpoint-id"].as_str() else { continue };
            let body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .map(str::to_string);
            let query = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .filter_map(|p| p["name"].as_str().map(|n| (n.to_string(), p["schema"].clone())))
                .collect();
            let required = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect();
            by_endpoint.insert(id.to_string(), Accepts { body, query, required });
        }
    }
    let schemas = doc["components"]["schemas"].as_object().cloned().unwrap_or_default();
    Known { by_endpoint, schemas }
});

/// What a check looks at.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Members only: each one must be known. Values are left to the service's checks.
    Members,
    /// Members and values: types, enumerations, required members, `null` only where
    /// the catalogue allows it (the typed extractor).
    Types,
    /// As `Types`, and every member of an object must be present (`docs/configuration.md`
    /// "Absent values"): what a response must satisfy (checked by unit tests).
    #[cfg(test)]
    Response,
}

/// One `(field, message)` entry per problem of `body` as the request of endpoint `id`,
/// nested members included (dotted paths, array indexes as numbers).
pub(crate) fn body_problems(id: &str, body: &Value, check: Check) -> Vec<(String, String)> {
    let known = &*KNOWN;
    let mut walk = Walk { known, check, out: Vec::new() };
    let Some(accepts) = known.by_endpoint.get(id) else { return walk.out };
    match &accepts.body {
        Some(name) => walk.named(name, body, ""),
        // A row without a request type takes no body members at all.
        None => {
            if let Some(map) = body.as_object() {
                walk.out.extend(map.keys().map(|k| (k.clone(), unknown_message(k, &[]))));
            }
        }
    }
    walk.out
}

/// One `(field, message)` entry per query key that endpoint `id` does not accept.
pub(crate) fn unknown_query_keys<'a>(id: &str, keys: impl Iterator<Item = &'a String>) -> Vec<(String, String)> {
    if ANY_QUERY.contains(&id) {
        return Vec::new();
    }
    let Some(accepts) = KNOWN.by_endpoint.get(id) else { return Vec::new() };
    let names: Vec<&str> = accepts.query.iter().map(|(n, _)| n.as_str()).collect();
    let mut unknown: Vec<(String, String)> =
        keys.filter(|k| !names.contains(&k.as_str())).map(|k| (k.clone(), unknown_message(k, &names))).collect();
    // The query arrives as a hash map: a stable order keeps the message stable.
    unknown.sort();
    unknown
}

/// The query string of endpoint `id` as a JSON object whose values have the types of
/// its parameters (integers, booleans `true`/`false`, strings), with one `(field,
/// message)` entry per value that does not fit: not a number, out of the parameter's
/// bounds, or not one of the values of its enumeration. Empty values read as absent.
/// An open enumeration's values (`examples`) bind a filter too: a filter naming a
/// state no item can be in would only ever list nothing.
pub(crate) fn query_object(
    id: &str,
    pairs: &HashMap<String, String>,
) -> Result<Map<String, Value>, Vec<(String, String)>> {
    let known = &*KNOWN;
    let accepts = known.by_endpoint.get(id);
    let params = accepts.map(|a| a.query.as_slice()).unwrap_or_default();
    let mut walk = Walk { known, check: Check::Types, out: Vec::new() };
    for name in accepts.map(|a| a.required.as_slice()).unwrap_or_default() {
        if pairs.get(name).is_none_or(String::is_empty) {
            walk.problem(name, "is required");
        }
    }
    let mut object = Map::new();
    for (key, text) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        let Some((_, schema)) = params.iter().find(|(n, _)| n == key) else {
            // Keys of an endpoint that takes any (E121): kept as strings.
            object.insert(key.clone(), Value::String(text.clone()));
            continue;
        };
        let schema = resolve(known, schema);
        let value = match schema["type"].as_str() {
            Some("integer") => match text.trim().parse::<i64>() {
                Ok(n) => match (schema["minimum"].as_i64(), schema["maximum"].as_i64()) {
                    (Some(lo), Some(hi)) if !(lo..=hi).contains(&n) => {
                        walk.problem(key, format!("must be an integer between {lo} and {hi}"));
                        continue;
                    }
                    _ => Value::from(n),
                },
                Err(_) => {
                    walk.problem(key, "must be an integer");
                    continue;
                }
            },
            Some("boolean") => match text.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    walk.problem(key, "must be true or false");
                    continue;
                }
            },
            _ => Value::String(text.clone()),
        };
        if let Some(values) = schema["examples"].as_array().filter(|_| schema.get("enum").is_none())
            && !values.contains(&value)
        {
            let list: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            walk.problem(key, format!("must be one of {}", list.join(", ")));
            continue;
        }
        walk.schema(schema, &value, key);
        object.insert(key.clone(), value);
    }
    // The query arrives as a hash map: a stable order keeps the message stable.
    walk.out.sort();
    if walk.out.is_empty() { Ok(object) } else { Err(walk.out) }
}

/// The problems of `value` as an instance of the catalogue type `name`, under
/// [`Check::Response`]: how unit tests prove a response keeps the wire format.
#[cfg(test)]
pub(crate) fn response_problems(name: &str, value: &Value) -> Vec<(String, String)> {
    let mut walk = Walk { known: &KNOWN, check: Check::Response, out: Vec::new() };
    walk.named(name, value, "");
    walk.out
}

struct Walk<'k> {
    known: &'k Known,
    check: Check,
    out: Vec<(String, String)>,
}

impl Walk<'_> {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.out.push((path.to_string(), message.into()));
    }

    fn named(&mut self, name: &str, value: &Value, path: &str) {
        let known = self.known;
        self.resolved(Some(name), known.schemas.get(name).unwrap_or(&Value::Null), value, path);
    }

    /// Checks `value` against `schema`, following a local `$ref`.
    fn schema(&mut self, schema: &Value, value: &Value, path: &str) {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => self.named(r.rsplit('/').next().unwrap_or(r), value, path),
            None => self.resolved(None, schema, value, path),
        }
    }

    /// [`Walk::schema`] on a schema that is not a `$ref`; `name` is its catalogue name.
    fn resolved(&mut self, name: Option<&str>, schema: &Value, value: &Value, path: &str) {
        let typed = self.check != Check::Members;
        if let Some(alternatives) = schema["anyOf"].as_array() {
            // `T | null`: `null` passes, the other alternative describes the rest.
            let nullable = alternatives.iter().any(|a| a["type"] == "null");
            if !(value.is_null() && nullable) {
                for alt in alternatives.iter().filter(|a| a["type"] != "null") {
                    self.schema(alt, value, path);
                }
            }
            return;
        }
        if typed && !self.type_matches(schema, value, path) {
            return;
        }
        match value {
            Value::Object(map) => {
                if let Some(props) = schema["properties"].as_object() {
                    self.members(name, schema, props, map, path);
                } else if let Some(values) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                    for (key, member) in map {
                        self.schema(values, member, &join(path, key));
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item) = schema.get("items") {
                    for (i, member) in items.iter().enumerate() {
                        self.schema(item, member, &join(path, &i.to_string()));
                    }
                }
            }
            _ => {}
        }
    }

    fn members(
        &mut self,
        name: Option<&str>,
        schema: &Value,
        props: &Map<String, Value>,
        map: &Map<String, Value>,
        path: &str,
    ) {
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        for (key, member) in map {
            let here = join(path, key);
            match props.get(key) {
                Some(sub) => self.schema(sub, member, &here),
                None if name.is_some_and(|n| ACCEPTED.contains(&(n, key.as_str()))) => {}
                None => self.problem(&here, unknown_message(key, &names)),
            }
        }
        let required: Vec<&str> = match self.check {
            Check::Members => Vec::new(),
            Check::Types => schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect(),
            #[cfg(test)]
            Check::Response => names,
        };
        for key in required {
            if !map.contains_key(key) {
                self.problem(&join(path, key), "is required");
            }
        }
    }

    /// Whether `value` has the schema's JSON type and enumerated value; a mismatch is
    /// recorded. A schema without `type` (`any`) takes every value.
    fn type_matches(&mut self, schema: &Value, value: &Value, path: &str) -> bool {
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => return true,
        };
        let fits = |t: &str| match t {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            "null" => value.is_null(),
            _ => true,
        };
        if !types.iter().any(|t| fits(t)) {
            let message = match types.iter().find(|t| **t != "null").copied() {
                _ if value.is_null() => "must not be null".to_string(),
                Some("integer") => "must be an integer".to_string(),
                Some("array") => "must be an array".to_string(),
                Some("object") => "must be an object".to_string(),
                Some(t) => format!("must be a {t}"),
                None => "must be null".to_string(),
            };
            self.problem(path, message);
            return false;
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !value.is_null()
            && !allowed.contains(value)
        {
            let list: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
            self.problem(path, format!("must be one of {}", list.join(", ")));
            return false;
        }
        true
    }
}

/// `schema`, or the named schema its local `$ref` points to.
fn resolve<'a>(known: &'a Known, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => known.schemas.get(r.rsplit('/').next().unwrap_or(r)).unwrap_or(&Value::Null),
        None => schema,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn unknown_message(key: &str, known: &[&str]) -> String {
    match crate::util::input::closest(key, known.iter().copied()) {
        Some(near) => format!("is not a known field; did you mean `{near}`?"),
        None => "is not a known field".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use zaby::endpoints::ENDPOINTS;

    fn members(id: &str, body: &Value) -> Vec<(String, String)> {
        body_problems(id, body, Check::Members)
    }

    #[test]
    fn every_row_with_a_request_type_has_its_schema() {
        for e in ENDPOINTS {
            let accepts = KNOWN.by_endpoint.get(e.id).unwrap_or_else(|| panic!("{} is not in the document", e.id));
            assert_eq!(accepts.body.as_deref(), e.request, "{}", e.id);
            if let Some(name) = e.request {
                assert!(KNOWN.schemas[name]["properties"].is_object(), "{}: {name} has no members", e.id);
            }
            if e.list {
                assert!(accepts.query.iter().any(|(q, _)| q == "cursor"), "{}: no cursor", e.id);
            }
        }
    }

    #[test]
    fn a_misspelled_member_is_named_with_the_closest_known_one() {
        let body = json!({"slug": "a", "name": "A", "instruction": "be brief", "zzz": 1, "metadata": {"free": 1}});
        assert_eq!(
            members("E2", &body),
            [
                ("instruction".to_string(), "is not a known field; did you mean `instructions`?".to_string()),
                ("zzz".to_string(), "is not a known field".to_string()),
            ]
        );
    }

    #[test]
    fn nested_inputs_are_checked_and_free_form_objects_are_not() {
        let body = json!({"projection": {"categoriez": ["x"]}});
        let unknown = members("E47", &body);
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert_eq!(unknown[0].0, "projection.categoriez");
        let config = json!({"slug": "a", "name": "A", "config": {"anything": {"goes": true}}});
        assert!(members("E2", &config).is_empty());
    }

    #[test]
    fn aliases_and_ignored_members_are_accepted() {
        assert!(members("E42", &json!({"text": "x", "name": "t"})).is_empty());
        assert!(members("E14", &json!({"deploymentId": "d", "quotaPolicyId": "q"})).is_empty());
        assert_eq!(members("E21", &json!({"quotaPolicyId": "q", "name": "a"})).len(), 1);
    }

    #[test]
    fn typed_checks_list_every_problem_at_once() {
        let body = json!({
            "name": 3, "visibility": "SECRET", "tags": ["a", 1], "category": null,
            "description": null, "defaultModel": null, "instruction": "x",
        });
        let problems = body_problems("E2", &body, Check::Types);
        let mut fields: Vec<(&str, &str)> = problems.iter().map(|(f, m)| (f.as_str(), m.as_str())).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                ("defaultModel", "must not be null"),
                ("instruction", "is not a known field; did you mean `instructions`?"),
                ("name", "must be a string"),
                ("slug", "is required"),
                ("tags.1", "must be a string"),
                ("visibility", "must be one of PUBLIC, PREMIUM, PRIVATE"),
            ]
        );
        assert!(body_problems("E2", &json!({"slug": "a", "name": "A", "tokenTtl": 1}), Check::Members).len() == 1);
        assert!(
            body_problems("E21", &json!({"slug": "a", "name": "A", "tokenTtlSeconds": null}), Check::Types).is_empty()
        );
    }

    #[test]
    fn a_response_must_carry_every_member_with_its_type() {
        let health = json!({"status": "ok", "timestamp": "t", "uptime": 1.5, "version": "1", "database": {"kind": "sqlite", "reachable": true}});
        assert!(response_problems("Health", &health).is_empty());
        let mut broken = health.clone();
        broken.as_object_mut().unwrap().remove("version");
        broken["database"]["kind"] = json!("mysql");
        assert_eq!(
            response_problems("Health", &broken),
            [
                ("database.kind".to_string(), "must be one of sqlite, postgres".to_string()),
                ("version".to_string(), "is required".to_string())
            ]
        );
    }

    #[test]
    fn query_keys_come_from_the_row() {
        let keys = ["stauts".to_string(), "limit".to_string(), "q".to_string()];
        assert_eq!(
            unknown_query_keys("E3", keys.iter()),
            [("stauts".to_string(), "is not a known field; did you mean `status`?".to_string())]
        );
        assert!(unknown_query_keys("E121", keys.iter()).is_empty());
        assert_eq!(unknown_query_keys("E4", keys.iter()).len(), 3);
    }
}
