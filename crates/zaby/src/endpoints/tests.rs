use super::*;
use std::collections::HashSet;

#[test]
fn table_has_135_numbered_rows_in_order() {
    let expected: Vec<String> = (1..=135).map(|n| format!("E{n}")).collect();
    let ids: Vec<&str> = ENDPOINTS.iter().map(|e| e.id).collect();
    assert_eq!(ids, expected);
}

#[test]
fn binding_params_match_path_templates() {
    for e in ENDPOINTS {
        let from_path: Vec<String> = e.path_params().iter().map(|p| snake_case(p)).collect();
        for b in e.bindings {
            let mut expected = from_path.clone();
            if let Input::BodyMovingToPath { param, .. } = b.input {
                expected.retain(|p| p != param);
            }
            assert_eq!(b.params, expected.as_slice(), "{} {}.{}", e.id, b.client, b.method);
            assert!(ClientInfo::by_id(b.client).is_some(), "{}: unknown client {}", e.id, b.client);
        }
    }
}

#[test]
fn every_method_resolves_to_its_endpoint() {
    let mut seen = HashSet::new();
    for e in ENDPOINTS {
        for b in e.bindings {
            let given = !matches!(b.input, Input::WhenOmitted);
            let (found, _) = resolve(b.client, b.method, given).expect("resolves");
            assert_eq!(found.id, e.id);
            if let Some(iter) = b.iter {
                assert!(e.list);
                assert_eq!(resolve_iter(b.client, iter).unwrap().0.id, e.id);
            }
            seen.insert((b.client, b.method));
        }
    }
    // E14/E15 share one method, E8 and E30 have two bindings each.
    assert_eq!(resolve("agents", "playground_runtime_tokens", true).unwrap().0.id, "E14");
    assert_eq!(resolve("agents", "playground_runtime_tokens", false).unwrap().0.id, "E15");
    assert_eq!(seen.len(), 136);
}

#[test]
fn list_endpoints_have_iterators_and_take_queries() {
    for e in ENDPOINTS.iter().filter(|e| e.list) {
        assert_eq!(e.method, HttpMethod::Get);
        for b in e.bindings {
            assert_eq!(b.input, Input::Query, "{}", e.id);
            assert!(b.iter.is_some(), "{} has no iterator", e.id);
        }
    }
}

#[test]
fn camel_case_spelling() {
    assert_eq!(camel_case("attach_mcp_tool"), "attachMcpTool");
    assert_eq!(camel_case("iter"), "iter");
    assert_eq!(camel_case("runtime_token_families"), "runtimeTokenFamilies");
}

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for ch in camel.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[test]
fn request_type_is_named_exactly_when_a_binding_sends_a_body() {
    for e in ENDPOINTS {
        let sends_body = e.bindings.iter().any(|b| b.input.takes_body());
        assert_eq!(e.request.is_some(), sends_body, "{}: request {:?}", e.id, e.request);
        assert_ne!(e.request, Some(""), "{}", e.id);
    }
}

#[test]
fn every_row_has_its_endpoint_id_both_ways() {
    assert_eq!(EndpointId::ALL.len(), ENDPOINTS.len());
    for (id, e) in EndpointId::ALL.iter().zip(ENDPOINTS) {
        assert_eq!((id.endpoint().id, id.as_str(), e.endpoint_id()), (e.id, e.id, *id));
        assert_eq!(EndpointId::from_id(e.id), Some(*id));
    }
    assert_eq!(EndpointId::from_id("E0"), None);
}
