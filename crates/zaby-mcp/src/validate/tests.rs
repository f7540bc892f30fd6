use serde_json::json;

use super::*;

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "nested": {"type": "object", "properties": {"a/b": {"type": "integer"}}}
        },
        "required": ["name"],
        "additionalProperties": false
    })
}

#[test]
fn valid_arguments_have_no_errors() {
    assert!(validate_arguments(&schema(), &json!({"name": "x", "tags": ["a"]})).unwrap().is_empty());
}

#[test]
fn every_failure_is_reported_with_its_pointer() {
    let errors =
        validate_arguments(&schema(), &json!({"tags": ["ok", 7], "nested": {"a/b": "no"}, "extra": true})).unwrap();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&""), "missing required name is reported at the root: {errors:?}");
    assert!(fields.contains(&"/tags/1"), "{errors:?}");
    // JSON Pointer escaping: "/" in a key becomes "~1".
    assert!(fields.contains(&"/nested/a~1b"), "{errors:?}");
    assert!(errors.iter().any(|e| e.message.contains("name")), "{errors:?}");
    assert!(errors.iter().all(|e| !e.message.is_empty()));
}

#[test]
fn non_object_arguments_fail_at_the_root() {
    for args in [json!([1]), json!("x"), json!(null), json!(3)] {
        let errors = validate_arguments(&json!({"type": "object"}), &args).unwrap();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "");
        assert!(errors[0].message.contains("must be a JSON object"), "{}", errors[0].message);
    }
}

#[test]
fn the_draft_comes_from_dollar_schema() {
    // Draft 4 has boolean exclusiveMaximum; 2020-12 has numeric exclusiveMaximum.
    let draft4 = json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {"n": {"type": "number", "maximum": 5, "exclusiveMaximum": true}}
    });
    assert_eq!(validate_arguments(&draft4, &json!({"n": 5})).unwrap()[0].field, "/n");
    // Without $schema: 2020-12, where prefixItems exists.
    let default = json!({
        "type": "object",
        "properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}]}}
    });
    assert_eq!(validate_arguments(&default, &json!({"pair": [1]})).unwrap()[0].field, "/pair/0");
}

#[test]
fn remote_refs_are_not_fetched() {
    let remote = json!({"type": "object", "properties": {"x": {"$ref": "https://example.com/schema.json"}}});
    let error = validate_arguments(&remote, &json!({})).unwrap_err();
    assert!(error.to_string().contains("invalid"), "{error}");
}

#[test]
fn local_refs_work() {
    let schema = json!({
        "type": "object",
        "$defs": {"id": {"type": "string", "minLength": 2}},
        "properties": {"id": {"$ref": "#/$defs/id"}}
    });
    assert_eq!(validate_arguments(&schema, &json!({"id": "x"})).unwrap()[0].field, "/id");
}

#[test]
fn an_unknown_dollar_schema_falls_back_to_2020_12() {
    let schema = json!({
        "$schema": "https://example.com/custom-meta",
        "type": "object",
        "properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}]}},
        "required": ["pair"]
    });
    assert_eq!(validate_arguments(&schema, &json!({"pair": [1]})).unwrap()[0].field, "/pair/0");
    assert_eq!(validate_arguments(&schema, &json!({})).unwrap()[0].field, "");
    // A schema that is invalid under 2020-12 too is still refused.
    let broken = json!({"$schema": "https://example.com/custom-meta", "type": "strung"});
    assert!(validate_arguments(&broken, &json!({})).is_err());
}

#[test]
fn a_non_schema_is_refused() {
    assert!(validate_arguments(&json!([1]), &json!({})).is_err());
    assert!(validate_arguments(&json!({"type": "strung"}), &json!({})).is_err());
    // `true` accepts any object.
    assert!(validate_arguments(&json!(true), &json!({"x": 1})).unwrap().is_empty());
}
