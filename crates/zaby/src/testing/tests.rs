use super::*;
use serde_json::json;
use std::time::Duration;

fn req(method: &str, path: &str) -> TransportRequest {
    TransportRequest {
        method: method.to_owned(),
        url: format!("https://example.test{path}"),
        path: path.to_owned(),
        headers: [("Accept".to_owned(), "application/json".to_owned())].into_iter().collect(),
        json_body: None,
        stream: false,
        timeout: Duration::from_secs(1),
    }
}

fn send(t: &MockTransport, method: &str, path: &str) -> Result<TransportResponse> {
    futures::executor::block_on(t.send(req(method, path)))
}

fn mock_message(r: Result<TransportResponse>) -> String {
    let e = r.expect_err("expected a MockTransportError");
    assert_eq!(e.class_name(), "MockTransportError");
    assert_eq!(e.code(), Some("MOCK_TRANSPORT"));
    assert!(e.is("ZabyError"));
    e.message()
}

#[test]
fn empty_queue_message_includes_the_query() {
    let t = MockTransport::default();
    assert_eq!(mock_message(send(&t, "get", "/health?x=1")), "No mock response configured for GET /health?x=1");
    assert_eq!(t.requests().len(), 1, "recorded even though it failed");
    assert_eq!(t.requests()[0].method, "GET");
}

#[test]
fn mismatch_message_and_head_not_consumed() {
    let t = MockTransport::new(vec![MockResponse::json("post", "/agents", 201, json!({"id": "a"}))]);
    assert_eq!(mock_message(send(&t, "GET", "/agents")), "Expected POST /agents, received GET /agents");
    assert_eq!(mock_message(send(&t, "POST", "/agents/x?y=1")), "Expected POST /agents, received POST /agents/x?y=1");
    assert_eq!(t.pending(), 1);
    let r = send(&t, "POST", "/agents").unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(t.pending(), 0);
    assert_eq!(t.requests().len(), 3);
}

#[test]
fn methods_match_case_insensitively_paths_case_sensitively() {
    let t = MockTransport::new(vec![MockResponse::json("get", "/Agents", 200, json!(1))]);
    assert!(send(&t, "GET", "/agents").is_err());
    assert!(send(&t, "Get", "/Agents").is_ok());
}

#[test]
fn query_is_ignored_unless_the_queued_path_has_one() {
    let t = MockTransport::default();
    t.set_response("GET", "/list", 200, json!({"n": 1}));
    assert!(send(&t, "GET", "/list?limit=5&cursor=abc").is_ok());

    // With `?`: same multiset of decoded pairs, order-insensitive.
    t.set_response("GET", "/list?b=2&a=1&a=x+y", 200, json!({"n": 2}));
    assert!(send(&t, "GET", "/list?a=x%20y&b=2").is_err(), "a pair is missing");
    assert!(send(&t, "GET", "/list?a=1&a=x%20y&b=2&c=3").is_err(), "an extra pair");
    assert!(send(&t, "GET", "/list?a=1&a=1&a=x%20y&b=2").is_err(), "multiplicity counts");
    assert!(send(&t, "GET", "/list").is_err(), "no query at all");
    assert!(send(&t, "GET", "/other?a=1&a=x%20y&b=2").is_err(), "path differs");
    assert_eq!(t.pending(), 1);
    assert!(send(&t, "GET", "/list?a=x+y&b=2&a=1").is_ok());

    // An empty queued query only matches a request without query pairs.
    t.set_response("GET", "/list?", 200, json!(3));
    assert!(send(&t, "GET", "/list?a=1").is_err());
    assert!(send(&t, "GET", "/list").is_ok());
}

#[test]
fn fifo_order_constructor_first_then_helpers() {
    let t = MockTransport::new(vec![MockResponse::json("GET", "/1", 200, json!(1))]);
    t.set_response("GET", "/2", 200, json!(2));
    t.push(MockResponse::text("GET", "/3", 200, "3"));
    t.set_sse("GET", "/4", vec![json!({"data": 4})]);
    assert_eq!(t.pending(), 4);
    for (i, path) in ["/1", "/2", "/3", "/4"].iter().enumerate() {
        assert!(send(&t, "GET", path).is_ok(), "{i}");
        assert_eq!(t.pending(), 3 - i);
    }
}

#[test]
fn reset_empties_queue_and_requests() {
    let t = MockTransport::new(vec![MockResponse::json("GET", "/a", 200, json!(1))]);
    let _ = send(&t, "GET", "/b");
    t.reset();
    assert_eq!(t.pending(), 0);
    assert!(t.requests().is_empty());
}

#[test]
fn recorded_request_fields() {
    let t = MockTransport::new(vec![MockResponse::json("POST", "/a", 200, json!(1))]);
    let mut r = req("post", "/a?q=1");
    r.json_body = Some(json!({"k": "v"}));
    r.stream = true;
    futures::executor::block_on(t.send(r)).unwrap();
    let rec = &t.requests()[0];
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.url, "https://example.test/a?q=1");
    assert_eq!(rec.path, "/a?q=1");
    assert_eq!(rec.headers.get("accept").map(String::as_str), Some("application/json"));
    assert_eq!(rec.json_body, Some(json!({"k": "v"})));
    assert_eq!(rec.body(), rec.json_body.as_ref());
    assert!(rec.stream);
}

#[test]
fn json_response_rendering() {
    let t = MockTransport::new(vec![
        MockResponse::json("GET", "/a", 200, json!({"id": "x", "n": [1, 2]})).with_header("X-Request-Id", "req_1"),
        MockResponse::json("GET", "/b", 200, json!({})).with_header("Content-Type", "application/vnd+json"),
    ]);
    let r = send(&t, "GET", "/a").unwrap();
    assert_eq!(r.json_body, Some(json!({"id": "x", "n": [1, 2]})));
    assert_eq!(r.body.as_deref(), Some(r#"{"id":"x","n":[1,2]}"#));
    assert_eq!(r.headers.get("content-type").map(String::as_str), Some("application/json"));
    assert_eq!(r.headers.get("x-request-id").map(String::as_str), Some("req_1"));
    let r = send(&t, "GET", "/b").unwrap();
    assert_eq!(r.headers.get("content-type").map(String::as_str), Some("application/vnd+json"));
}

#[test]
fn text_and_empty_response_rendering() {
    let t = MockTransport::default();
    t.set_response("GET", "/raw", 500, json!("<html>oops</html>"));
    t.set_response("GET", "/jsontext", 200, json!("{\"a\":1}"));
    t.set_response("DELETE", "/empty", 204, Value::Null);
    t.push(MockResponse {
        body: Some("raw".into()),
        json_body: Some(json!({"p": 1})),
        ..MockResponse::text("GET", "/both", 200, "")
    });
    let r = send(&t, "GET", "/raw").unwrap();
    assert_eq!((r.status, r.body.as_deref(), r.json_body), (500, Some("<html>oops</html>"), None));
    assert!(!r.headers.contains_key("content-type"));
    let r = send(&t, "GET", "/jsontext").unwrap();
    assert_eq!(r.json_body, Some(json!({"a": 1})), "a text body that is JSON is reported parsed");
    let r = send(&t, "DELETE", "/empty").unwrap();
    assert_eq!((r.status, r.body.as_deref(), r.json_body), (204, Some(""), None));
    let r = send(&t, "GET", "/both").unwrap();
    assert_eq!((r.body.as_deref(), r.json_body), (Some("raw"), Some(json!({"p": 1}))));
}

#[test]
fn sse_framing() {
    let t = MockTransport::default();
    t.set_sse(
        "GET",
        "/s",
        vec![
            json!({"id": "1", "event": "text", "data": {"content": "Hi"}}),
            json!({"data": "two\nlines"}),
            json!({"id": 3, "data": 7}),
            json!({"event": "RunFinished", "data": {"status": "COMPLETED"}}),
        ],
    );
    let r = send(&t, "GET", "/s").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("content-type").map(String::as_str), Some("text/event-stream"));
    let body = r.body.unwrap();
    assert_eq!(
        body,
        "id: 1\nevent: text\ndata: {\"content\":\"Hi\"}\n\ndata: two\ndata: lines\n\nid: 3\ndata: 7\n\nevent: RunFinished\ndata: {\"status\":\"COMPLETED\"}\n\n"
    );
    let parsed = crate::sse::SseParser::parse_complete(&body);
    assert_eq!(parsed.len(), 4);
    assert_eq!(parsed[1].data, json!("two\nlines"));
    assert_eq!(parsed[2].id.as_deref(), Some("3"));
}

#[test]
fn sse_with_custom_status_and_headers() {
    let t = MockTransport::new(vec![MockResponse::sse("GET", "/s", vec![]).with_status(201).with_header("X-A", "b")]);
    let r = send(&t, "GET", "/s").unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.headers.get("x-a").map(String::as_str), Some("b"));
    assert_eq!(r.body.as_deref(), Some(""));
}
