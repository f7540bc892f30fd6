//! The built-in `HttpTransport` and stream reconnection against a real local HTTP
//! server (axum) that cuts connections mid-stream, answers with error statuses, or
//! replays events, and records what each connection asked for.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use common::assert_error;
use futures::StreamExt;
use serde_json::{Value, json};
use zaby::{RunEvent, Zaby, ZabyError, ZabyGlobalConfig, ZabyRuntime};

/// Events of the run: 1–5 are `text`, 6 is the terminal `RunFinished`.
const LAST: u64 = 6;

fn frame(seq: u64) -> String {
    if seq == LAST {
        format!("id: {seq}\nevent: RunFinished\ndata: {{\"runId\":\"run 1\",\"status\":\"COMPLETED\"}}\n\n")
    } else {
        format!("id: {seq}\nevent: text\ndata: {{\"content\":\"{seq}\"}}\n\n")
    }
}

/// What one connection to the stream does.
#[derive(Clone)]
enum Plan {
    /// Sends up to `count` events after the resume position, then ends as `end` says.
    /// `replay_all` ignores `last-event-id` and starts again from the first event.
    Events { count: u64, end: End, replay_all: bool },
    /// Answers with this status, JSON body and headers instead of a stream.
    Status(u16, Value, Vec<(&'static str, &'static str)>),
    /// Sends `count` `text` events without an `id`, then aborts the connection.
    IdLessThenCut(u64),
}

#[derive(Clone, Copy)]
enum End {
    /// Ends the response cleanly (without a terminal event unless it was reached).
    Close,
    /// Writes half an event, then aborts the connection.
    Cut,
}

fn plan(count: u64, end: End) -> Plan {
    Plan::Events { count, end, replay_all: false }
}

#[derive(Debug, Clone)]
struct Seen {
    last_event_id: Option<String>,
    authorization: Option<String>,
    accept: Option<String>,
    query: Option<String>,
    run_id: String,
}

#[derive(Clone, Default)]
struct Server {
    plans: Arc<Mutex<VecDeque<Plan>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn with(plans: Vec<Plan>) -> Self {
        Server { plans: Arc::new(Mutex::new(plans.into())), ..Default::default() }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).map(|v| v.to_str().unwrap().to_owned())
}

async fn aiui(
    State(s): State<Server>,
    Path(run_id): Path<String>,
    RawQuery(query): RawQuery,
    h: HeaderMap,
) -> Response {
    s.seen.lock().unwrap().push(Seen {
        last_event_id: header(&h, "last-event-id"),
        authorization: header(&h, "authorization"),
        accept: header(&h, "accept"),
        query,
        run_id,
    });
    let plan = s.plans.lock().unwrap().pop_front().unwrap_or(plan(u64::MAX, End::Close));
    match plan {
        Plan::Status(status, body, headers) => {
            let mut r = (StatusCode::from_u16(status).unwrap(), Json(body)).into_response();
            for (k, v) in headers {
                r.headers_mut().insert(k, v.parse().unwrap());
            }
            r
        }
        Plan::IdLessThenCut(count) => {
            let mut chunks: Vec<Result<Bytes, std::io::Error>> = (1..=count)
                .map(|n| Ok(Bytes::from(format!("event: text\ndata: {{\"content\":\"{n}\"}}\n\n"))))
                .collect();
            chunks.push(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut")));
            event_stream(chunks)
        }
        Plan::Events { count, end, replay_all } => {
            let position = if replay_all {
                0
            } else {
                header(&h, "last-event-id").map(|v| v.parse::<u64>().unwrap()).unwrap_or(0)
            };
            let mut chunks: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(b": connected\n\n"))];
            let upto = position.saturating_add(count).min(LAST);
            for seq in position + 1..=upto {
                chunks.push(Ok(Bytes::from(frame(seq))));
            }
            if upto < LAST
                && let End::Cut = end
            {
                chunks.push(Ok(Bytes::from(format!("id: {}\nevent: text\ndata: {{\"cut", upto + 1))));
                chunks.push(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut")));
            }
            event_stream(chunks)
        }
    }
}

fn event_stream(chunks: Vec<Result<Bytes, std::io::Error>>) -> Response {
    // Small pauses so the client reads the events before the connection ends.
    let body = futures::stream::iter(chunks).then(|c| async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        c
    });
    Response::builder()
        .header("content-type", "text/event-stream; charset=utf-8")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(body))
        .unwrap()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

async fn stream_server(plans: Vec<Plan>) -> (Server, ZabyRuntime) {
    let server = Server::with(plans);
    let app = Router::new().route("/api/v1/agent-runtime/runs/{run_id}/aiui", get(aiui)).with_state(server.clone());
    let origin = serve(app).await;
    let runtime = ZabyRuntime::builder()
        .token("rt-1")
        .config(ZabyGlobalConfig { api_origin: Some(origin), ..Default::default() })
        .build()
        .unwrap();
    (server, runtime)
}

async fn drain(mut s: zaby::RunEventStream) -> (Vec<RunEvent>, Option<ZabyError>) {
    let mut out = Vec::new();
    while let Some(r) = s.next().await {
        match r {
            Ok(ev) => out.push(ev),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

fn seqs(events: &[RunEvent]) -> Vec<u64> {
    events.iter().map(|e| e.id().unwrap().parse().unwrap()).collect()
}

fn last_ids(server: &Server) -> Vec<Option<String>> {
    server.seen().into_iter().map(|s| s.last_event_id).collect()
}

#[tokio::test]
async fn cut_connections_resume_from_the_last_event_without_loss_or_duplicates() {
    let (server, runtime) = stream_server(vec![plan(2, End::Cut), plan(1, End::Close), plan(2, End::Cut)]).await;
    let (events, err) = drain(runtime.runs().stream("run 1", Some(json!({"afterSeq": 0})))).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    assert!(
        matches!(&events[2], RunEvent::Text { data, .. } if data.content == "3"),
        "the cut-off event is delivered whole after reconnecting: {:?}",
        events[2]
    );
    assert!(matches!(events[5], RunEvent::RunFinished { .. }), "{:?}", events[5]);
    assert_eq!(last_ids(&server), [None, Some("2".into()), Some("3".into()), Some("5".into())]);
    for s in server.seen() {
        assert_eq!(s.run_id, "run 1", "the run id is percent-encoded on the wire");
        assert_eq!(s.query.as_deref(), Some("afterSeq=0"));
        assert_eq!(s.accept.as_deref(), Some("text/event-stream"));
        assert_eq!(s.authorization.as_deref(), Some("Bearer rt-1"));
    }
}

#[tokio::test]
async fn a_server_that_replays_from_the_start_is_deduplicated() {
    let replay = Plan::Events { count: u64::MAX, end: End::Close, replay_all: true };
    let (server, runtime) = stream_server(vec![plan(4, End::Cut), replay]).await;
    let (events, err) = drain(runtime.runs().stream("r", None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn stops_at_the_terminal_event() {
    let (server, runtime) = stream_server(vec![]).await;
    let mut stream = runtime.runs().stream("r", None);
    let mut n = 0;
    while let Some(ev) = stream.next().await {
        n += 1;
        if ev.unwrap().is_terminal() {
            break;
        }
    }
    assert_eq!(n, 6);
    assert!(stream.next().await.is_none());
    assert_eq!(stream.last_event_id().as_deref(), Some("6"));
    assert_eq!(server.seen().len(), 1, "no reconnect after the terminal event");
}

#[tokio::test]
async fn too_many_failures_without_progress_is_stream_disconnected() {
    let (server, runtime) =
        stream_server(vec![plan(2, End::Close), plan(0, End::Close), plan(0, End::Cut), plan(0, End::Close)]).await;
    let started = Instant::now();
    let (events, err) = drain(runtime.runs().stream("r", None).max_reconnects(2)).await;
    assert_eq!(seqs(&events), [1, 2]);
    let err = err.expect("budget exhausted");
    assert_error(&err, "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    let api = err.api().unwrap();
    assert_eq!((api.status, api.run_id.as_deref(), api.last_event_id.as_deref()), (0, Some("r"), Some("2")));
    assert_eq!(server.seen().len(), 3, "first connection plus two reconnects");
    assert!(started.elapsed() >= Duration::from_millis(750), "250 ms then 500 ms before the reconnects");

    // max_reconnects(0): the first drop is final.
    let (server, runtime) = stream_server(vec![plan(3, End::Cut)]).await;
    let (events, err) = drain(runtime.runs().stream("r", None).max_reconnects(0)).await;
    assert_eq!(seqs(&events), [1, 2, 3]);
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    assert_error(err.cause().expect("the read error"), "ZabyConnectionError", Some("CONNECTION_ERROR"));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn id_less_events_then_a_cut_end_the_stream_instead_of_replaying_them() {
    // Without the "no replay without ids" rule (`docs/streaming.md`) every reconnect would replay
    // these events and count them as progress, forever; the server would serve the same three
    // events again and again.
    let (server, runtime) = stream_server(vec![Plan::IdLessThenCut(3), Plan::IdLessThenCut(3)]).await;
    let (events, err) = drain(runtime.runs().stream("r", None)).await;
    let contents: Vec<_> = events
        .iter()
        .map(|e| match e {
            RunEvent::Text { data, .. } => data.content.as_str(),
            other => panic!("not a text event: {other:?}"),
        })
        .collect();
    assert_eq!(contents, ["1", "2", "3"], "each event is delivered once");
    let err = err.expect("the stream ends with an error");
    assert_error(&err, "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    let api = err.api().unwrap();
    assert_eq!((api.status, api.run_id.as_deref(), api.last_event_id.as_deref()), (0, Some("r"), None));
    assert_error(err.cause().expect("the read error"), "ZabyConnectionError", Some("CONNECTION_ERROR"));
    assert_eq!(server.seen().len(), 1, "no reconnect: a replay could not be de-duplicated");
}

#[tokio::test]
async fn a_cut_before_any_event_still_reconnects() {
    let (server, runtime) = stream_server(vec![plan(0, End::Cut), plan(u64::MAX, End::Close)]).await;
    let (events, err) = drain(runtime.runs().stream("r", None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    assert_eq!(last_ids(&server), [None, None]);
}

#[tokio::test]
async fn transient_statuses_on_reconnect_are_retried_after_retry_after() {
    let busy = Plan::Status(503, json!({"code": "UNAVAILABLE", "message": "busy"}), vec![("retry-after", "1")]);
    let (server, runtime) = stream_server(vec![plan(2, End::Cut), busy, plan(u64::MAX, End::Close)]).await;
    let started = Instant::now();
    let (events, err) = drain(runtime.runs().stream("r", None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    assert!(started.elapsed() >= Duration::from_millis(250 + 1000));
    assert_eq!(last_ids(&server), [None, Some("2".into()), Some("2".into())]);
}

#[tokio::test]
async fn a_non_transient_status_on_reconnect_ends_with_that_status() {
    let revoked = Plan::Status(
        401,
        json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED", "message": "family revoked"}),
        vec![("x-request-id", "req_rev")],
    );
    let (_server, runtime) = stream_server(vec![plan(2, End::Cut), revoked]).await;
    let (events, err) = drain(runtime.runs().stream("r", None)).await;
    assert_eq!(seqs(&events), [1, 2]);
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("MANAGED_AGENT_RUNTIME_TOKEN_REVOKED"));
    let api = err.api().unwrap();
    assert_eq!((api.status, api.message.as_str()), (401, "family revoked"));
    assert_eq!(api.request_id.as_deref(), Some("req_rev"));
    assert_eq!(api.last_event_id.as_deref(), Some("2"));
    assert_error(err.cause().unwrap(), "ZabyAuthError", Some("MANAGED_AGENT_RUNTIME_TOKEN_REVOKED"));
}

#[tokio::test]
async fn first_connection_errors_keep_their_ordinary_class() {
    let expired =
        Plan::Status(401, json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", "message": "expired"}), vec![]);
    let (server, runtime) = stream_server(vec![expired]).await;
    let (events, err) = drain(runtime.runs().stream("r", None)).await;
    assert!(events.is_empty());
    let err = err.unwrap();
    assert_error(&err, "ZabyRuntimeTokenExpiredError", Some("MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED"));
    assert_eq!(err.message(), "expired", "the error body is read from the byte stream");
    assert_eq!(server.seen().len(), 1);

    // Connection refused before any response.
    let origin = refused_origin().await;
    let runtime = ZabyRuntime::builder()
        .token("t")
        .config(ZabyGlobalConfig { api_origin: Some(origin), ..Default::default() })
        .build()
        .unwrap();
    let err = runtime.runs().stream("r", None).next().await.unwrap().unwrap_err();
    assert_error(&err, "ZabyConnectionError", Some("CONNECTION_ERROR"));
}

// ---------------------------------------------------------------- HttpTransport

/// An origin on which nothing listens.
async fn refused_origin() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

async fn echo(method: axum::http::Method, h: HeaderMap, RawQuery(q): RawQuery, body: Bytes) -> Response {
    let headers: serde_json::Map<String, Value> =
        h.iter().map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap()))).collect();
    let body: Value = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap() };
    let mut r = Json(json!({"method": method.as_str(), "headers": headers, "query": q, "body": body})).into_response();
    r.headers_mut().insert("x-request-id", "req_srv".parse().unwrap());
    r
}

async fn http_app() -> String {
    let app = Router::new()
        .route("/health", get(echo))
        .route("/api/v1/provisioning/agentic-os/agents", post(echo).get(echo))
        .route(
            "/api/v1/provisioning/agentic-os/agents/{id}",
            get(|Path(id): Path<String>| async move {
                (
                    StatusCode::NOT_FOUND,
                    [("x-request-id", "req_404")],
                    Json(json!({"code": "NOT_FOUND", "message": format!("agent {id} not found")})),
                )
            }),
        )
        .route(
            "/api/v1/provisioning/agentic-os/agents/usage",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Json(json!({}))
            }),
        )
        .route(
            "/api/v1/provisioning/agentic-os/agents/approvals",
            get(|| async { (StatusCode::FOUND, [("location", "/health")]) }),
        );
    serve(app).await
}

fn http_zaby(origin: String, timeout_ms: Option<u64>) -> Zaby {
    Zaby::builder()
        .api_key("zaby_pk_1")
        .tenant_id("ten")
        .config(ZabyGlobalConfig { api_origin: Some(origin), timeout_ms, ..Default::default() })
        .build()
        .unwrap()
}

#[tokio::test]
async fn http_transport_sends_json_and_reads_json() {
    let zaby = http_zaby(http_app().await, None);
    // The echo server answers with the request it saw, not an agent: read it as JSON.
    let got = zaby.agents().create(json!({"name": "ü", "n": 1})).request_id("rid-1").json().await.unwrap();
    assert_eq!(got["method"], "POST");
    assert_eq!(got["body"], json!({"name": "ü", "n": 1}));
    let h = &got["headers"];
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["accept"], "application/json");
    assert_eq!(h["x-zaby-api-key"], "zaby_pk_1");
    assert_eq!(h["x-tenant-id"], "ten");
    assert_eq!(h["x-request-id"], "rid-1");
    assert_eq!(h["user-agent"], format!("zaby-rust/{}", zaby::VERSION));

    let query = zaby::types::E3Query { limit: Some(2), q: Some("a b".into()), ..Default::default() };
    let got = zaby.agents().list(query).json().await.unwrap();
    assert_eq!(
        (got["method"].as_str(), got["query"].as_str(), &got["body"]),
        (Some("GET"), Some("q=a+b&limit=2"), &Value::Null)
    );
    assert!(got["headers"].get("content-type").is_none());

    let err = zaby.agents().get("a/b").await.unwrap_err();
    assert_error(&err, "ZabyNotFoundError", Some("NOT_FOUND"));
    assert_eq!(err.message(), "agent a/b not found");
    assert_eq!(err.api().unwrap().request_id.as_deref(), Some("req_404"));

    // Redirects are not followed: a 3xx is an error.
    let err = zaby.approvals().list(None).await.unwrap_err();
    assert_eq!((err.class_name(), err.status()), ("ZabyApiError", Some(302)));
    assert_eq!(err.api().unwrap().headers.get("location").map(String::as_str), Some("/health"));

    zaby.close().await;
    assert_error(&zaby.health().check().await.unwrap_err(), "ZabyError", Some("CLIENT_CLOSED"));
}

#[tokio::test]
async fn http_transport_connection_refused() {
    let zaby = http_zaby(refused_origin().await, None);
    let err = zaby.health().check().await.unwrap_err();
    assert_error(&err, "ZabyConnectionError", Some("CONNECTION_ERROR"));
    assert!(std::error::Error::source(&err).is_some(), "the reqwest error is kept as the cause");
}

#[tokio::test]
async fn http_transport_timeout() {
    let zaby = http_zaby(http_app().await, Some(300));
    let started = Instant::now();
    let err = zaby.usage().get_agent_usage(None).await.unwrap_err();
    assert_error(&err, "ZabyTimeoutError", Some("TIMEOUT"));
    assert!(matches!(err, ZabyError::Timeout { timeout_ms: 300, .. }));
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(4), "{elapsed:?}");
}
