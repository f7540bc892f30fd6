//! `RunEventStream` over `MockTransport` (`docs/testing.md`) and over in-process byte streams
//! (idle timeouts with paused time): termination, de-duplication, reconnection and the
//! stream errors of `docs/streaming.md`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::time::Instant;
use zaby::testing::MockResponse;
use zaby::transport::TransportResponse;
use zaby::{Credential, RunEvent, RunEventStream, SseEvent, ZabyError, ZabyGlobalConfig, ZabyRuntime};

const STREAM: &str = "/api/v1/agent-runtime/runs/run-42/aiui";

async fn drain(mut s: RunEventStream) -> (Vec<RunEvent>, Option<ZabyError>, RunEventStream) {
    let mut events = Vec::new();
    while let Some(r) = s.next().await {
        match r {
            Ok(ev) => events.push(ev),
            Err(e) => return (events, Some(e), s),
        }
    }
    (events, None, s)
}

fn ids(events: &[RunEvent]) -> Vec<String> {
    events.iter().map(|e| e.id().unwrap_or("-").to_owned()).collect()
}

fn text(id: &str) -> Value {
    json!({"id": id, "event": "text", "data": {"content": id}})
}

fn finished(id: &str) -> Value {
    json!({"id": id, "event": "RunFinished", "data": {"runId": "run-42", "status": "COMPLETED"}})
}

#[tokio::test]
async fn yields_until_the_terminal_event_then_ends() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1"), text("2"), finished("3"), text("4")]);
    let runtime = runtime(t.clone());
    let s = runtime.runs().stream("run-42", None);
    assert_eq!(s.run_id(), "run-42");
    assert!(t.requests().is_empty(), "the connection opens lazily");
    let (events, err, s) = drain(s).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&events), ["1", "2", "3"]);
    assert!(matches!(&events[0], RunEvent::Text { data, .. } if data.content == "1"), "{:?}", events[0]);
    assert!(
        matches!(&events[2], RunEvent::RunFinished { data, .. } if data.run_id == "run-42" && data.status == "COMPLETED"),
        "{:?}",
        events[2]
    );
    assert_eq!(s.last_event_id().as_deref(), Some("3"));
    let r = t.requests();
    assert_eq!(r.len(), 1);
    assert!(r[0].stream && !r[0].headers.contains_key("last-event-id"));
    assert_eq!(r[0].headers["accept"], "text/event-stream");
}

#[tokio::test]
async fn terminal_by_data_type_and_run_error() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![json!({"data": {"type": "RunFinished"}}), text("9")]);
    t.set_sse("GET", STREAM, vec![json!({"id": "1", "event": "RunError", "data": {"code": "MODEL_ERROR"}}), text("2")]);
    let runtime = runtime(t.clone());
    assert_eq!(drain(runtime.stream("run-42", None)).await.0.len(), 1);
    let (events, err, _) = drain(runtime.stream("run-42", None)).await;
    assert!(err.is_none());
    assert_eq!(events.len(), 1);
    assert_eq!(t.pending(), 0);
}

#[tokio::test]
async fn missing_terminal_reconnects_with_last_event_id_and_deduplicates() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1"), text("2")]);
    // The reconnect replays from the start (as if the header were ignored): 1 and 2 are skipped.
    t.set_sse("GET", STREAM, vec![text("1"), text("2"), text("3"), json!({"data": "no id"}), finished("4")]);
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", Some(json!({"afterSeq": 0})))).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&events), ["1", "2", "3", "-", "4"]);
    let r = t.requests();
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].headers.get("last-event-id").map(String::as_str), Some("2"));
    assert_eq!(r[0].path, r[1].path, "the caller's query is sent on every connection");
    assert!(r[1].path.ends_with("?afterSeq=0"));
}

#[tokio::test]
async fn non_numeric_ids_are_deduplicated_by_identity() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("a"), text("b")]);
    t.set_sse("GET", STREAM, vec![text("a"), text("c"), text("b"), finished("z")]);
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert!(err.is_none());
    assert_eq!(ids(&events), ["a", "b", "c", "z"]);
    assert_eq!(t.requests()[1].headers["last-event-id"], "b");
}

#[tokio::test]
async fn a_duplicate_terminal_event_ends_silently() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1"), text("2"), text("3")]);
    t.set_sse("GET", STREAM, vec![finished("2"), text("4")]);
    let (events, err, s) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&events), ["1", "2", "3"]);
    assert_eq!(s.last_event_id().as_deref(), Some("3"));
}

#[tokio::test]
async fn max_reconnects_zero_fails_at_once_with_stream_disconnected() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1")]);
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None).max_reconnects(0)).await;
    assert_eq!(ids(&events), ["1"]);
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    let api = err.api().unwrap();
    assert_eq!((api.status, api.run_id.as_deref(), api.last_event_id.as_deref()), (0, Some("run-42"), Some("1")));
    assert!(err.is("ZabyApiError"));
    assert_eq!(t.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_dry_queue_on_reconnect_is_stream_error_with_the_mock_error_as_cause() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1")]);
    let start = Instant::now();
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert_eq!(ids(&events), ["1"]);
    assert_eq!(start.elapsed(), Duration::from_millis(250), "first reconnect delay");
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("STREAM_ERROR"));
    let cause = err.cause().expect("cause");
    assert_error(cause, "MockTransportError", Some("MOCK_TRANSPORT"));
    assert_eq!(cause.message(), format!("No mock response configured for GET {STREAM}"));
    assert_eq!(err.api().unwrap().last_event_id.as_deref(), Some("1"));
}

#[tokio::test(start_paused = true)]
async fn reconnect_budget_counts_failures_without_progress() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1")]);
    for _ in 0..3 {
        t.set_sse("GET", STREAM, vec![text("1")]); // only duplicates: no progress
    }
    let start = Instant::now();
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None).max_reconnects(3)).await;
    assert_eq!(ids(&events), ["1"]);
    assert_error(&err.unwrap(), "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    assert_eq!(t.requests().len(), 4);
    assert_eq!(start.elapsed(), Duration::from_millis(250 + 500 + 1000));

    // Progress resets the count: three drops, each after a new event, with a budget of 1.
    let t = mock();
    for i in 1..=3 {
        t.set_sse("GET", STREAM, vec![text(&i.to_string())]);
    }
    t.set_sse("GET", STREAM, vec![finished("4")]);
    let start = Instant::now();
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None).max_reconnects(1)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&events), ["1", "2", "3", "4"]);
    assert_eq!(start.elapsed(), Duration::from_millis(750), "each reconnect waits the first delay");
}

fn id_less(content: &str) -> Value {
    json!({"event": "text", "data": {"content": content}})
}

#[tokio::test(start_paused = true)]
async fn id_less_events_then_a_drop_end_at_once_with_stream_disconnected() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![id_less("a"), id_less("b")]);
    t.set_sse("GET", STREAM, vec![id_less("a"), id_less("b")]); // a replay that must not be asked for
    let start = Instant::now();
    let (events, err, s) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert_eq!(ids(&events), ["-", "-"]);
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    assert_eq!(err.api().unwrap().last_event_id, None);
    assert_eq!(s.last_event_id(), None);
    assert_eq!(t.requests().len(), 1, "no reconnect");
    assert_eq!(t.pending(), 1);
    assert_eq!(start.elapsed(), Duration::ZERO, "raised at once, without a reconnect delay");
}

#[tokio::test(start_paused = true)]
async fn id_less_events_are_not_progress() {
    // After an event with an id, id-less events may be replayed (they are never
    // duplicates) but they do not reset the budget, so the stream cannot loop forever.
    let t = mock();
    for _ in 0..4 {
        t.set_sse("GET", STREAM, vec![text("1"), id_less("x")]);
    }
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None).max_reconnects(2)).await;
    assert_eq!(ids(&events), ["1", "-", "-", "-"]);
    assert_error(&err.unwrap(), "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    assert_eq!(t.requests().len(), 3, "first connection plus two reconnects");
}

#[tokio::test(start_paused = true)]
async fn a_drop_before_any_event_reconnects_as_usual() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![]);
    t.set_sse("GET", STREAM, vec![id_less("a"), json!({"event": "RunFinished", "data": {"status": "COMPLETED"}})]);
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&events), ["-", "-"]);
    assert_eq!(t.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn reconnect_delays_grow_to_four_seconds_and_honour_retry_after() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1")]);
    for _ in 0..6 {
        t.push(MockResponse::json("GET", STREAM, 502, json!({})));
    }
    let start = Instant::now();
    let (_, err, _) = drain(runtime(t.clone()).stream("run-42", None).max_reconnects(6)).await;
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("STREAM_DISCONNECTED"));
    assert_eq!(err.cause().unwrap().status(), Some(502), "the last underlying error");
    assert_eq!(start.elapsed(), Duration::from_millis(250 + 500 + 1000 + 2000 + 4000 + 4000));

    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1")]);
    t.push(MockResponse::json("GET", STREAM, 503, json!({"code": "UNAVAILABLE"})).with_header("retry-after", "3"));
    t.set_sse("GET", STREAM, vec![finished("2")]);
    let start = Instant::now();
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert!(err.is_none());
    assert_eq!(events.len(), 2);
    assert_eq!(start.elapsed(), Duration::from_millis(250 + 3000), "retry-after of the failed attempt");
}

#[tokio::test]
async fn a_non_transient_status_on_reconnect_is_a_stream_error_with_its_fields() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1")]);
    t.push(
        MockResponse::json(
            "GET",
            STREAM,
            401,
            json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED", "message": "revoked"}),
        )
        .with_header("x-request-id", "req_x"),
    );
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert_eq!(events.len(), 1);
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("MANAGED_AGENT_RUNTIME_TOKEN_REVOKED"));
    let api = err.api().unwrap();
    assert_eq!((api.status, api.message.as_str(), api.request_id.as_deref()), (401, "revoked", Some("req_x")));
    assert_eq!(api.details, Some(json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED", "message": "revoked"})));
    assert_eq!(api.headers.get("x-request-id").map(String::as_str), Some("req_x"));
    assert_eq!((api.run_id.as_deref(), api.last_event_id.as_deref()), (Some("run-42"), Some("1")));
    assert_error(err.cause().unwrap(), "ZabyAuthError", Some("MANAGED_AGENT_RUNTIME_TOKEN_REVOKED"));
}

#[tokio::test]
async fn first_connection_errors_are_ordinary_errors() {
    for (status, body, class) in [
        (
            401,
            json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", "message": "expired"}),
            "ZabyRuntimeTokenExpiredError",
        ),
        (404, json!({"code": "NOT_FOUND", "message": "no run"}), "ZabyNotFoundError"),
        (403, json!({"code": "INSUFFICIENT_SCOPE"}), "ZabyPermissionError"),
    ] {
        let t = mock();
        t.push(MockResponse::json("GET", STREAM, status, body.clone()));
        let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None).request_id("rid")).await;
        assert!(events.is_empty());
        let err = err.unwrap();
        assert_eq!(err.class_name(), class);
        let api = err.api().unwrap();
        assert_eq!((api.status, api.details.as_ref(), api.request_id.as_deref()), (status, Some(&body), Some("rid")));
    }
    // The error body is read from a byte stream when the transport supplies one.
    let t = FnTransport::new(|_, _| async {
        let chunks =
            vec![Ok(Bytes::from_static(b"{\"code\":\"NOT_")), Ok(Bytes::from_static(b"FOUND\",\"message\":\"gone\"}"))];
        Ok(TransportResponse {
            status: 404,
            body_stream: Some(futures::stream::iter(chunks).boxed()),
            ..Default::default()
        })
    });
    let err = runtime(t).stream("run-42", None).next().await.unwrap().unwrap_err();
    assert_error(&err, "ZabyNotFoundError", Some("NOT_FOUND"));
    assert_eq!(err.message(), "gone");

    // A dry mock on the first connection is the MockTransportError itself.
    let err = runtime(mock()).stream("run-42", None).next().await.unwrap().unwrap_err();
    assert_error(&err, "MockTransportError", Some("MOCK_TRANSPORT"));
}

#[tokio::test(start_paused = true)]
async fn first_connection_uses_the_retry_policy() {
    let t = mock();
    t.push(MockResponse::json("GET", STREAM, 503, json!({})));
    t.set_sse("GET", STREAM, vec![finished("1")]);
    let rt = ZabyRuntime::builder()
        .token("t")
        .config(ZabyGlobalConfig { retries: Some(1u32.into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    let (events, err, _) = drain(rt.stream("run-42", None)).await;
    assert!(err.is_none());
    assert_eq!(events.len(), 1);
    // Without retries the 503 is an ordinary ZabyApiError.
    let t = mock();
    t.push(MockResponse::json("GET", STREAM, 503, json!({})));
    let err = runtime(t).stream("run-42", None).next().await.unwrap().unwrap_err();
    assert_eq!((err.class_name(), err.status()), ("ZabyApiError", Some(503)));
}

#[tokio::test]
async fn each_reconnect_resolves_the_token_again() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![text("1")]);
    t.set_sse("GET", STREAM, vec![finished("2")]);
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    let rt = ZabyRuntime::builder()
        .token(Credential::from_fn(move || format!("tok-{}", c.fetch_add(1, Ordering::SeqCst))))
        .config(config())
        .transport(t.clone())
        .build()
        .unwrap();
    let (_, err, _) = drain(rt.stream("run-42", None)).await;
    assert!(err.is_none(), "{err:?}");
    let auth: Vec<String> = t.requests().iter().map(|r| r.headers["authorization"].clone()).collect();
    assert_eq!(auth, ["Bearer tok-0", "Bearer tok-1"]);
}

/// A byte-stream transport: the first connection sends `first` and then stays silent;
/// every later connection ends the run.
fn silent_after(first: &'static [u8]) -> Arc<FnTransport> {
    FnTransport::new(move |n, _| async move {
        let body = if n == 0 {
            futures::stream::iter(vec![Ok(Bytes::from_static(first))]).chain(futures::stream::pending()).boxed()
        } else {
            futures::stream::iter(vec![Ok(Bytes::from_static(b"id: 9\nevent: RunFinished\ndata: {}\n\n"))]).boxed()
        };
        Ok(TransportResponse { status: 200, body_stream: Some(body), ..Default::default() })
    })
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_is_at_least_45_seconds() {
    // timeout 1 s: the idle timeout is still 45 s.
    let t = silent_after(b": connected\n\nid: 1\ndata: {}\n\n");
    let start = Instant::now();
    let s = runtime(t.clone()).stream("run-42", None).timeout(Duration::from_secs(1));
    let (events, err, _) = drain(s).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&events), ["1", "9"]);
    assert_eq!(start.elapsed(), Duration::from_millis(45_000 + 250));
    assert_eq!(t.requests()[1].headers["last-event-id"], "1");

    // timeout 60 s (from config): the idle timeout is 60 s.
    let t = silent_after(b"id: 1\ndata: {}\n\n");
    let rt = ZabyRuntime::builder()
        .token("t")
        .config(ZabyGlobalConfig { timeout_ms: Some(60_000), ..config() })
        .transport(t)
        .build()
        .unwrap();
    let start = Instant::now();
    let (events, _, _) = drain(rt.stream("run-42", None)).await;
    assert_eq!(events.len(), 2);
    assert_eq!(start.elapsed(), Duration::from_millis(60_000 + 250));
}

#[tokio::test(start_paused = true)]
async fn idle_timeouts_exhausting_the_budget_are_stream_timeout() {
    let t = FnTransport::new(|_, _| async {
        let body = futures::stream::iter(vec![Ok(Bytes::from_static(b"id: 1\ndata: {}\n\n"))])
            .chain(futures::stream::pending());
        Ok(TransportResponse { status: 200, body_stream: Some(body.boxed()), ..Default::default() })
    });
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None).max_reconnects(1)).await;
    assert_eq!(events.len(), 1, "the replayed event 1 is a duplicate");
    let err = err.unwrap();
    assert_error(&err, "ZabyStreamError", Some("STREAM_TIMEOUT"));
    assert_error(err.cause().unwrap(), "ZabyTimeoutError", Some("TIMEOUT"));
    assert_eq!(t.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn response_headers_deadline_on_the_first_connection() {
    let t = FnTransport::new(|_, _| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(TransportResponse { status: 200, ..Default::default() })
    });
    let start = Instant::now();
    let err = runtime(t).stream("run-42", None).timeout(Duration::from_millis(700)).next().await.unwrap().unwrap_err();
    assert!(matches!(err, ZabyError::Timeout { timeout_ms: 700, .. }), "{err:?}");
    assert_eq!(start.elapsed(), Duration::from_millis(700));
}

#[tokio::test]
async fn a_cut_off_block_is_never_delivered_and_read_errors_reconnect() {
    // The byte stream ends with half an event, then fails: the half event is dropped,
    // the reconnect delivers it whole.
    let t = FnTransport::new(|n, _| async move {
        let chunks: Vec<Result<Bytes, ZabyError>> = if n == 0 {
            vec![
                Ok(Bytes::from_static(b"id: 1\ndata: {\"a\":1}\n\nid: 2\nevent: text\ndata: {\"cut")),
                Err(ZabyError::connection("reset by peer", None)),
            ]
        } else {
            vec![Ok(Bytes::from_static(
                b"id: 2\nevent: text\ndata: {\"whole\":true}\n\nid: 3\nevent: RunFinished\ndata: {}\n\n",
            ))]
        };
        Ok(TransportResponse {
            status: 200,
            body_stream: Some(futures::stream::iter(chunks).boxed()),
            ..Default::default()
        })
    });
    let (events, err, _) = drain(runtime(t.clone()).stream("run-42", None)).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids(&events), ["1", "2", "3"]);
    // Data that is not a `text` payload stays whole, untyped.
    assert_eq!(
        events[1],
        RunEvent::Other(SseEvent { id: Some("2".into()), event: Some("text".into()), data: json!({"whole": true}) })
    );
}

#[tokio::test]
async fn an_event_of_an_unknown_name_arrives_as_other_between_typed_ones() {
    let t = mock();
    let unknown = json!({"id": "2", "event": "plan_updated", "data": {"steps": 3}});
    t.set_sse("GET", STREAM, vec![text("1"), unknown, finished("3")]);
    let (events, err, _) = drain(runtime(t).stream("run-42", None)).await;
    assert!(err.is_none(), "{err:?}");
    assert!(matches!(events[0], RunEvent::Text { .. }), "{:?}", events[0]);
    let other = SseEvent { id: Some("2".into()), event: Some("plan_updated".into()), data: json!({"steps": 3}) };
    assert_eq!(events[1], RunEvent::Other(other.clone()));
    assert_eq!((events[1].name(), events[1].raw()), (Some("plan_updated"), other));
    assert!(events[2].is_terminal());
}

#[tokio::test]
async fn polling_after_the_end_keeps_returning_none() {
    let t = mock();
    t.set_sse("GET", STREAM, vec![finished("1")]);
    let mut s = runtime(t).stream("run-42", None);
    assert!(s.next().await.unwrap().is_ok());
    assert!(s.next().await.is_none());
    assert!(s.next().await.is_none());
}
