//! Members and query keys the catalogue does not know answer 422 `VALIDATION_ERROR`
//! naming each of them, with a "did you mean" when a known one is close, and change
//! nothing (issue 16). Sent as raw HTTP: the point is what is on the wire.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

on_both!(
    misspelled_body_member_creates_nothing,
    misspelled_list_filter_lists_nothing,
    every_unknown_member_is_listed,
    bad_filter_values_are_named,
    run_event_and_finding_queries_are_typed,
    status_filters_name_their_values
);

const AGENTS: &str = "/api/v1/provisioning/agentic-os/agents";

/// `(status, body)` of a request with the default API key.
async fn send(s: &TestServer, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = s.http().request(method, s.url(path)).header("x-zaby-api-key", &s.api_key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// The `details.errors` of a 422 as `(field, message)` pairs.
fn errors(body: &Value) -> Vec<(String, String)> {
    assert_eq!(body["code"], "VALIDATION_ERROR", "{body}");
    body["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["message"].as_str().unwrap().to_string()))
        .collect()
}

async fn misspelled_body_member_creates_nothing(s: TestServer) {
    let body = json!({"slug": "helper", "name": "Helper", "instruction": "Answer briefly."});
    let (status, answer) = send(&s, reqwest::Method::POST, AGENTS, Some(body)).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        errors(&answer),
        [("instruction".to_string(), "is not a known field; did you mean `instructions`?".to_string())]
    );
    assert!(answer["message"].as_str().unwrap().contains("instruction"), "{answer}");
    let (_, list) = send(&s, reqwest::Method::GET, AGENTS, None).await;
    assert_eq!(list["total"], 0, "no agent was created: {list}");
    // The correct spelling works.
    let body = json!({"slug": "helper", "name": "Helper", "instructions": "Answer briefly."});
    let (status, agent) = send(&s, reqwest::Method::POST, AGENTS, Some(body)).await;
    assert_eq!(status, 201, "{agent}");
    assert_eq!(agent["instructions"], "Answer briefly.");
}

async fn misspelled_list_filter_lists_nothing(s: TestServer) {
    for slug in ["one", "two"] {
        let (status, _) = send(&s, reqwest::Method::POST, AGENTS, Some(json!({"slug": slug, "name": slug}))).await;
        assert_eq!(status, 201);
    }
    let (status, answer) = send(&s, reqwest::Method::GET, &format!("{AGENTS}?stauts=ACTIVE"), None).await;
    assert_eq!(status, 422, "a misspelled filter must not list every agent: {answer}");
    assert_eq!(errors(&answer), [("stauts".to_string(), "is not a known field; did you mean `status`?".to_string())]);
    // Known filters and the page parameters still work.
    let (status, page) = send(&s, reqwest::Method::GET, &format!("{AGENTS}?status=ACTIVE&limit=5"), None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 0);
    // The same on another list (E20).
    let (status, answer) =
        send(&s, reqwest::Method::GET, "/api/v1/provisioning/managed-agents/external-apps?agentID=x", None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(errors(&answer), [("agentID".to_string(), "is not a known field; did you mean `agentId`?".to_string())]);
}

async fn every_unknown_member_is_listed(s: TestServer) {
    let body = json!({
        "name": "Shop", "slug": "shop", "allowedOrigin": ["https://shop.example"], "colour": "red",
        "metadata": {"anything": {"nested": true}},
    });
    let (status, answer) =
        send(&s, reqwest::Method::POST, "/api/v1/provisioning/managed-agents/external-apps", Some(body)).await;
    assert_eq!(status, 422, "{answer}");
    let mut found = errors(&answer);
    found.sort();
    assert_eq!(
        found,
        [
            ("allowedOrigin".to_string(), "is not a known field; did you mean `allowedOrigins`?".to_string()),
            ("colour".to_string(), "is not a known field".to_string()),
        ]
    );
    // A partial update (E5) is checked the same way.
    let (_, agent) = send(&s, reqwest::Method::POST, AGENTS, Some(json!({"slug": "a", "name": "A"}))).await;
    let id = agent["id"].as_str().unwrap();
    let (status, answer) =
        send(&s, reqwest::Method::PATCH, &format!("{AGENTS}/{id}"), Some(json!({"stauts": "PAUSED"}))).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(errors(&answer), [("stauts".to_string(), "is not a known field; did you mean `status`?".to_string())]);
}

/// A filter value the query type refuses (an enumeration value that does not exist, a
/// number that is not one, a boolean that is neither) is a 422 naming each field, with
/// what it must be, and lists nothing (issue 16).
async fn bad_filter_values_are_named(s: TestServer) {
    let (status, answer) = send(&s, reqwest::Method::GET, &format!("{AGENTS}?status=ACTIVEE&limit=ten"), None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        errors(&answer),
        [
            ("limit".to_string(), "must be an integer".to_string()),
            ("status".to_string(), "must be one of DRAFT, ACTIVE, PAUSED, DISABLED".to_string()),
        ]
    );
    let (status, answer) = send(&s, reqwest::Method::GET, &format!("{AGENTS}?limit=0"), None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(errors(&answer), [("limit".to_string(), "must be an integer between 1 and 100".to_string())]);
    let (_, agent) = send(&s, reqwest::Method::POST, AGENTS, Some(json!({"slug": "a", "name": "A"}))).await;
    let id = agent["id"].as_str().unwrap();
    let (status, answer) = send(&s, reqwest::Method::DELETE, &format!("{AGENTS}/{id}?force=yes"), None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(errors(&answer), [("force".to_string(), "must be true or false".to_string())]);
    // Valid values still work; an empty value reads as absent.
    let (status, page) =
        send(&s, reqwest::Method::GET, &format!("{AGENTS}?status=DRAFT&category=&limit=1"), None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 1, "{page}");
    let (status, _) = send(&s, reqwest::Method::DELETE, &format!("{AGENTS}/{id}?force=false"), None).await;
    assert_eq!(status, 200);
}

/// The run-event lists (E17, E110, E120) read the list query with the run-event bounds
/// of `limit` (1–500), and E45 takes `category` only: a version id in its query is an
/// unknown field, not a filter (docs/api/knowledge-bases.md). The query is read before
/// the run or document is looked up, so an unknown id still gets the 422.
async fn run_event_and_finding_queries_are_typed(s: TestServer) {
    let events = "/api/v1/provisioning/agentic-os/agents/runs/nope/events";
    let (status, answer) = send(&s, reqwest::Method::GET, &format!("{events}?limit=501&afterSeq=3"), None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        errors(&answer),
        [("afterSeq".to_string(), "is not a known field".to_string())],
        "unknown keys are reported before values"
    );
    let (status, answer) = send(&s, reqwest::Method::GET, &format!("{events}?limit=501"), None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(errors(&answer), [("limit".to_string(), "must be an integer between 1 and 500".to_string())]);
    let (status, answer) = send(&s, reqwest::Method::GET, &format!("{events}?limit=500&cursor=4"), None).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("NOT_FOUND")), "{answer}");

    let findings = "/api/v1/provisioning/agentic-os/knowledge-library/documents/nope/findings";
    let (status, answer) =
        send(&s, reqwest::Method::GET, &format!("{findings}?libraryDocumentVersionId=v-1"), None).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(errors(&answer), [("libraryDocumentVersionId".to_string(), "is not a known field".to_string())]);
    let (status, answer) = send(&s, reqwest::Method::GET, &format!("{findings}?category=section"), None).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("NOT_FOUND")), "{answer}");
}

/// The status filters of the knowledge and memory lists are the catalogue's enums: a
/// value outside them is a 422 listing the allowed ones (E50 took any string before).
async fn status_filters_name_their_values(s: TestServer) {
    let cases = [
        ("/api/v1/provisioning/agentic-os/knowledge-bases/nope/source-groups?status=ON", "ACTIVE, INACTIVE"),
        ("/api/v1/provisioning/agentic-os/knowledge-bases/nope/sources?status=BROKEN", "ACTIVE, INACTIVE, ERROR"),
        ("/api/v1/provisioning/agentic-os/agents/memory-candidates?status=DONE", "PENDING, APPROVED, REJECTED"),
    ];
    for (path, allowed) in cases {
        let (status, answer) = send(&s, reqwest::Method::GET, path, None).await;
        assert_eq!(status, 422, "{path}: {answer}");
        assert_eq!(errors(&answer), [("status".to_string(), format!("must be one of {allowed}"))], "{path}");
    }
    let (status, page) = send(
        &s,
        reqwest::Method::GET,
        "/api/v1/provisioning/agentic-os/agents/memory-candidates?status=APPROVED",
        None,
    )
    .await;
    assert_eq!((status, &page["total"]), (200, &json!(0)), "{page}");
}
