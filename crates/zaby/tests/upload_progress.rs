//! `ZabyRequest::on_upload_progress` and `send_with_meta` over the built-in `HttpTransport`,
//! against a local axum server that reads the whole body and counts its bytes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use zaby::{Retries, RetryPolicy, Zaby, ZabyGlobalConfig};

const UPLOAD: &str = "/api/v1/provisioning/agentic-os/knowledge-bases/{kb}/documents/text";

/// Each body's length and its `content-length` header, as the server saw them.
type Bodies = Arc<Mutex<Vec<(usize, Option<String>)>>>;
/// The `(sent, total)` pairs a progress callback was told.
type Reports = Arc<Mutex<Vec<(u64, u64)>>>;

#[derive(Clone, Default)]
struct Seen {
    bodies: Bodies,
    /// The first `fail_first` requests answer 503 (after reading the body).
    fail_first: usize,
    served: Arc<AtomicUsize>,
}

async fn upload(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    let length = headers.get("content-length").and_then(|v| v.to_str().ok()).map(str::to_owned);
    seen.bodies.lock().unwrap().push((body.len(), length));
    if seen.served.fetch_add(1, Ordering::SeqCst) < seen.fail_first {
        return (StatusCode::SERVICE_UNAVAILABLE, [("x-request-id", "req-503")], "{}").into_response();
    }
    let doc = json!({ "id": "doc-1", "bytes": body.len() });
    ([("x-request-id", "req-ok"), ("x-zaby-tenant-id", "tenant-7")], axum::Json(doc)).into_response()
}

async fn client(seen: Seen, retries: Option<Retries>) -> Zaby {
    let app = Router::new().route(UPLOAD, post(upload)).with_state(seen);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Zaby::builder()
        .api_key("k")
        .config(ZabyGlobalConfig { api_origin: Some(origin), retries, ..Default::default() })
        .build()
        .unwrap()
}

/// A text document input of about 300 KB: several 64 KiB pieces.
fn big_input() -> Value {
    json!({ "title": "big", "content": "zaby ".repeat(60_000) })
}

fn recorder() -> (Reports, impl Fn(u64, u64) + Send + Sync + 'static) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let log = calls.clone();
    (calls, move |sent, total| log.lock().unwrap().push((sent, total)))
}

#[tokio::test]
async fn progress_rises_to_the_body_length_which_the_server_receives_whole() {
    let seen = Seen::default();
    let z = client(seen.clone(), None).await;
    let (calls, report) = recorder();
    let input = big_input();
    let body_len = serde_json::to_vec(&input).unwrap().len() as u64;
    let doc = z.knowledge_bases().upload_text_document("kb-1", input).on_upload_progress(report).json().await.unwrap();

    assert_eq!(doc["bytes"], body_len);
    let calls = calls.lock().unwrap().clone();
    assert!(calls.len() >= 6, "one report per 64 KiB piece and the first at 0: {calls:?}");
    assert_eq!(calls.first(), Some(&(0, body_len)));
    assert_eq!(calls.last(), Some(&(body_len, body_len)));
    assert!(calls.windows(2).all(|w| w[0].0 < w[1].0), "strictly increasing: {calls:?}");
    assert!(calls.iter().all(|&(_, total)| total == body_len));
    // Sized, not chunked: the server sees the length up front.
    assert_eq!(*seen.bodies.lock().unwrap(), [(body_len as usize, Some(body_len.to_string()))]);
}

#[tokio::test]
async fn a_retried_attempt_counts_again_from_zero() {
    let seen = Seen { fail_first: 1, ..Default::default() };
    let policy = RetryPolicy {
        attempts: 1,
        retry_methods: Some(vec!["POST".into()]),
        retry_statuses: Some(vec![503]),
        backoff_ms: Some(Arc::new(|_| 1)),
    };
    let z = client(seen.clone(), Some(Retries::Policy(policy))).await;
    let (calls, report) = recorder();
    let input = big_input();
    let body_len = serde_json::to_vec(&input).unwrap().len() as u64;
    z.knowledge_bases().upload_text_document("kb-1", input).on_upload_progress(report).json().await.unwrap();

    let calls = calls.lock().unwrap().clone();
    let restarts: Vec<usize> = calls.iter().enumerate().filter(|(_, c)| c.0 == 0).map(|(i, _)| i).collect();
    assert_eq!(restarts.len(), 2, "each attempt starts at 0: {calls:?}");
    let (first, second) = calls.split_at(restarts[1]);
    for attempt in [first, second] {
        assert_eq!(attempt.last(), Some(&(body_len, body_len)), "{calls:?}");
        assert!(attempt.windows(2).all(|w| w[0].0 < w[1].0), "{calls:?}");
    }
    assert_eq!(seen.bodies.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn send_with_meta_returns_the_status_request_id_and_headers() {
    let z = client(Seen::default(), None).await;
    let (doc, meta) = z
        .knowledge_bases()
        .upload_text_document("kb-1", json!({ "title": "t" }))
        .json()
        .send_with_meta()
        .await
        .unwrap();
    assert_eq!(doc["id"], "doc-1");
    assert_eq!(meta.status, 200);
    assert_eq!(meta.request_id.as_deref(), Some("req-ok"));
    assert_eq!(meta.header("X-Zaby-Tenant-Id"), Some("tenant-7"));
    assert_eq!(meta.headers.get("content-type").map(String::as_str), Some("application/json"));
}
