use super::*;
use serde_json::json;

fn code_of(e: ZabyError) -> String {
    e.code().unwrap_or_default().to_owned()
}

#[test]
fn unreserved_characters_stay_as_they_are() {
    let unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!'()*";
    assert_eq!(encode_path_param(unreserved), unreserved);
}

#[test]
fn everything_else_is_percent_encoded_with_upper_case_hex() {
    assert_eq!(encode_path_param("a/b"), "a%2Fb");
    assert_eq!(encode_path_param("a b"), "a%20b");
    assert_eq!(encode_path_param("urn:x"), "urn%3Ax");
    assert_eq!(encode_path_param("?#%&=+"), "%3F%23%25%26%3D%2B");
    assert_eq!(encode_path_param("\"<>@$,;[]{}|\\^`"), "%22%3C%3E%40%24%2C%3B%5B%5D%7B%7D%7C%5C%5E%60");
    // UTF-8 bytes, upper-case hex.
    assert_eq!(encode_path_param("ü"), "%C3%BC");
    assert_eq!(encode_path_param("日"), "%E6%97%A5");
    assert_eq!(encode_path_param("😀"), "%F0%9F%98%80");
    assert_eq!(encode_path_param("\u{7f}\n"), "%7F%0A");
}

#[test]
fn every_ascii_byte_outside_the_unreserved_set_is_encoded() {
    let unreserved = |c: char| c.is_ascii_alphanumeric() || "-_.~!'()*".contains(c);
    for b in 0u8..0x80 {
        let c = b as char;
        let encoded = encode_path_param(&c.to_string());
        if unreserved(c) {
            assert_eq!(encoded, c.to_string());
        } else {
            assert_eq!(encoded, format!("%{b:02X}"), "byte {b:#x}");
        }
    }
}

#[test]
fn fill_path_substitutes_in_order() {
    let path = fill_path(
        "/runs/{runId}/approvals/{approvalId}/approve",
        &["run_id", "approval_id"],
        &["r 1".into(), "a/2".into()],
    )
    .unwrap();
    assert_eq!(path, "/runs/r%201/approvals/a%2F2/approve");
    assert_eq!(fill_path("/health", &[], &[]).unwrap(), "/health");
}

#[test]
fn fill_path_rejects_empty_and_missing_parameters() {
    let err = fill_path("/agents/{agentId}", &["agent_id"], &["".into()]).unwrap_err();
    assert_eq!(code_of(err.clone()), "INVALID_ARGUMENT");
    assert!(err.message().contains("agent_id"), "{}", err.message());
    let err = fill_path("/a/{x}/b/{y}", &["x", "y"], &["1".into()]).unwrap_err();
    assert_eq!(code_of(err.clone()), "INVALID_ARGUMENT");
    assert!(err.message().contains('y'), "{}", err.message());
}

#[test]
fn query_in_insertion_order_with_form_encoding() {
    let q = json!({"z": "a b", "a": "x&y=z", "m": "ü/:"});
    assert_eq!(build_query(Some(&q)).unwrap(), "z=a+b&a=x%26y%3Dz&m=%C3%BC%2F%3A");
}

#[test]
fn query_keys_are_encoded_too() {
    let q = json!({"a key": "v", "k&": 1});
    assert_eq!(build_query(Some(&q)).unwrap(), "a+key=v&k%26=1");
}

#[test]
fn query_drops_nulls_and_repeats_lists() {
    let q = json!({"a": null, "tag": ["x", null, "y z"], "b": 1, "empty": []});
    assert_eq!(build_query(Some(&q)).unwrap(), "tag=x&tag=y+z&b=1");
}

#[test]
fn query_scalars_booleans_numbers() {
    let q = json!({"t": true, "f": false, "i": 42, "n": -7, "big": 12345678901u64, "x": 0.5, "l": [true, 2]});
    assert_eq!(build_query(Some(&q)).unwrap(), "t=true&f=false&i=42&n=-7&big=12345678901&x=0.5&l=true&l=2");
}

#[test]
fn query_numbers_use_their_shortest_decimal_form() {
    // 1.0 and 1 are the same number; the shortest decimal form is `1` (as in JavaScript).
    let q = json!({"a": 1.0, "b": -0.0, "c": 2.5, "d": 1e-7, "e": 100.0});
    assert_eq!(build_query(Some(&q)).unwrap(), "a=1&b=0&c=2.5&d=1e-7&e=100");
}

#[test]
fn nested_query_values_are_rejected() {
    for q in [json!({"a": {"b": 1}}), json!({"a": [[1]]}), json!({"a": [{"b": 1}]})] {
        let err = build_query(Some(&q)).unwrap_err();
        assert_eq!(code_of(err.clone()), "INVALID_ARGUMENT");
        assert!(err.message().contains("\"a\""), "{}", err.message());
    }
    for q in [json!([1, 2]), json!("a=b"), json!(3)] {
        assert_eq!(code_of(build_query(Some(&q)).unwrap_err()), "INVALID_ARGUMENT");
    }
}

#[test]
fn empty_query_appends_no_question_mark() {
    assert_eq!(build_query(None).unwrap(), "");
    assert_eq!(build_query(Some(&Value::Null)).unwrap(), "");
    assert_eq!(build_query(Some(&json!({}))).unwrap(), "");
    assert_eq!(build_query(Some(&json!({"a": null, "b": []}))).unwrap(), "");
    assert_eq!(path_with_query("/p", ""), "/p");
    assert_eq!(path_with_query("/p", "a=1"), "/p?a=1");
}
