//! The conformance vectors every SDK implementation replays (`docs/web.md`): the core's
//! SSE parser (`docs/streaming.md`), reconnection (`docs/streaming.md`), error mapping (`docs/errors.md`)
//! and webhook signature (`docs/webhooks.md`, [`webhook_vectors`]) cases, run
//! through the core here and written to `tests/conformance/vectors.json`. The file is
//! checked in; this test fails when it differs from what the core produces, so the
//! vectors cannot drift. `ZABY_UPDATE_VECTORS=1 cargo test -p zaby --test
//! conformance_vectors` rewrites it. The TypeScript suite
//! (`typescript/test/conformance.test.mjs`) replays it against the native and the web build.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use zaby::error::parse_retry_after;
use zaby::sse::SseParser;
use zaby::transport::{Transport, TransportRequest, TransportResponse};
use zaby::{ApiError, RawSseEvent, SseEvent, ZabyError, ZabyGlobalConfig, ZabyRuntime};

#[path = "conformance/webhooks.rs"]
mod webhook_vectors;

const FILE: &str = "tests/conformance/vectors.json";

fn raw_json(ev: &RawSseEvent) -> Value {
    let mut o = json!({ "data": ev.data });
    if let Some(id) = &ev.id {
        o["id"] = json!(id);
    }
    if let Some(name) = &ev.event {
        o["event"] = json!(name);
    }
    o
}

fn event_json(ev: &SseEvent) -> Value {
    let mut o = json!({ "data": ev.data });
    if let Some(id) = &ev.id {
        o["id"] = json!(id);
    }
    if let Some(name) = &ev.event {
        o["event"] = json!(name);
    }
    o
}

/// A chunk as JSON: text when it is valid UTF-8, else its bytes.
fn chunk_json(chunk: &[u8]) -> Value {
    match std::str::from_utf8(chunk) {
        Ok(text) => json!(text),
        Err(_) => json!({ "bytes": chunk }),
    }
}

/// Parser cases: chunks as they arrive on a connection (no final dispatch).
fn sse_vectors() -> Value {
    let split_euro = "data: {\"p\":\"€\"}\n\n".as_bytes().to_vec();
    let (a, b) = split_euro.split_at(13);
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("one event with id, name and JSON data", vec![b"id: 1\nevent: text\ndata: {\"content\":\"hi\"}\n\n".to_vec()]),
        (
            "CRLF, CR and LF line ends",
            vec![
                b"id: 1\r\nevent: a\r\ndata: x\r\n\r\nid: 2\revent: b\rdata: y\r\rid: 3\nevent: c\ndata: z\n\n"
                    .to_vec(),
            ],
        ),
        (
            "a CRLF split across chunks counts once",
            vec![b"id: 1\r".to_vec(), b"\ndata: x\r".to_vec(), b"\n\r\n".to_vec()],
        ),
        ("multi-line data joined with LF", vec![b"id: 1\ndata: line one\ndata: line two\n\n".to_vec()]),
        (
            "comments and unknown fields are ignored",
            vec![b": heartbeat\nretry: 10\nfoo: bar\nid: 1\ndata: ok\n\n".to_vec()],
        ),
        (
            "a value without a space after the colon, and a field without a colon",
            vec![b"id:7\nevent:text\ndata\n\n".to_vec()],
        ),
        ("a leading byte-order mark is dropped", vec![b"\xEF\xBB\xBFid: 1\ndata: bom\n\n".to_vec()]),
        ("a UTF-8 sequence split across chunks", vec![a.to_vec(), b.to_vec()]),
        ("invalid UTF-8 becomes U+FFFD", vec![b"data: a\xFFb\n\n".to_vec()]),
        ("an id holding NUL is ignored", vec![b"id: a\0b\ndata: x\n\n".to_vec()]),
        ("a block of comments only is never dispatched", vec![b": one\n: two\n\nid: 1\ndata: after\n\n".to_vec()]),
        ("data that is not JSON stays text", vec![b"id: 1\nevent: note\ndata: not json\n\n".to_vec()]),
        ("an unterminated last block is not dispatched", vec![b"id: 1\ndata: done\n\nid: 2\ndata: cut".to_vec()]),
        ("one byte per chunk", b"id: 1\nevent: text\ndata: {\"a\":1}\n\n".iter().map(|b| vec![*b]).collect()),
        (
            "a terminal event by its data type",
            vec![b"id: 1\ndata: {\"type\":\"RunFinished\",\"status\":\"COMPLETED\"}\n\n".to_vec()],
        ),
    ];
    let out: Vec<Value> = cases
        .into_iter()
        .map(|(name, chunks)| {
            let mut parser = SseParser::new();
            let raw: Vec<RawSseEvent> = chunks.iter().flat_map(|c| parser.feed_raw(c)).collect();
            json!({
                "name": name,
                "chunks": chunks.iter().map(|c| chunk_json(c)).collect::<Vec<_>>(),
                "raw": raw.iter().map(raw_json).collect::<Vec<_>>(),
                "events": raw.into_iter().map(|r| event_json(&r.into_event())).collect::<Vec<_>>(),
            })
        })
        .collect();
    Value::Array(out)
}

/// A non-2xx answer: name, status, headers, body, the `x-request-id` the SDK sent.
type ErrorCase = (&'static str, u16, Vec<(&'static str, String)>, Value, Option<&'static str>);

/// Error mapping cases: a non-2xx answer and the error the core builds from it.
fn error_vectors() -> Value {
    let past = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1_000_000_000));
    let cases: Vec<ErrorCase> = vec![
        ("401 → ZabyAuthError", 401, vec![], json!({"code": "UNAUTHORIZED", "message": "bad key"}), None),
        ("403 → ZabyPermissionError", 403, vec![], json!({"code": "FORBIDDEN", "message": "no"}), None),
        (
            "404 → ZabyNotFoundError",
            404,
            vec![("x-request-id", "req-server".into())],
            json!({"code": "NOT_FOUND", "message": "no such agent"}),
            Some("req-sent"),
        ),
        ("409 → ZabyConflictError", 409, vec![], json!({"code": "CONFLICT", "message": "slug taken"}), None),
        (
            "400 → ZabyValidationError",
            400,
            vec![],
            json!({"code": "VALIDATION_ERROR", "message": "slug is invalid", "details": {"field": "slug"}}),
            None,
        ),
        ("422 → ZabyValidationError", 422, vec![], json!({"code": "UNPROCESSABLE", "message": "nope"}), None),
        (
            "429 with retry-after seconds → ZabyRateLimitError",
            429,
            vec![("retry-after", "7".into())],
            json!({"code": "RATE_LIMITED", "message": "slow down"}),
            None,
        ),
        (
            "503 with a past HTTP-date retry-after → 0 s",
            503,
            vec![("retry-after", past)],
            json!({"code": "UNAVAILABLE", "message": "later"}),
            None,
        ),
        ("500 without a body: the default message", 500, vec![], Value::Null, Some("req-sent")),
        (
            "an empty message falls back to the default",
            502,
            vec![],
            json!({"code": "BAD_GATEWAY", "message": ""}),
            None,
        ),
        (
            "errorCode is read when code is absent",
            418,
            vec![],
            json!({"errorCode": "TEAPOT", "message": "short and stout"}),
            None,
        ),
        (
            "an expired runtime token wins over the status",
            401,
            vec![],
            json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", "message": "expired"}),
            None,
        ),
        (
            "an exhausted grant wins over the status",
            429,
            vec![],
            json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED", "message": "used up"}),
            None,
        ),
        ("a body that is not an object", 500, vec![], json!(["a", "list"]), None),
    ];
    let out: Vec<Value> = cases
        .into_iter()
        .map(|(name, status, headers, body, sent)| {
            let headers: BTreeMap<String, String> = headers.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            let body_opt = Some(body.clone()).filter(|b| !b.is_null());
            let e = ApiError::from_parts(status, headers.clone(), body_opt, sent);
            json!({
                "name": name,
                "status": status,
                "headers": headers,
                "body": body,
                "sentRequestId": sent,
                "expect": {
                    "className": e.kind.class_name(),
                    "code": e.code,
                    "message": e.message,
                    "requestId": e.request_id,
                    "retryAfter": e.retry_after,
                },
            })
        })
        .collect();
    Value::Array(out)
}

/// One scripted connection of a stream case.
#[derive(Clone)]
enum Conn {
    /// 200, these chunks, then the connection ends.
    Open(Vec<&'static str>),
    /// A non-2xx answer with a JSON body.
    Status(u16, Value),
    /// No response: a connection error.
    Refused,
}

impl Conn {
    fn to_json(&self) -> Value {
        match self {
            Conn::Open(chunks) => json!({ "status": 200, "chunks": chunks }),
            Conn::Status(status, body) => json!({ "status": status, "body": body }),
            Conn::Refused => json!({ "error": "connection" }),
        }
    }
}

struct Scripted {
    conns: Vec<Conn>,
    sent: Mutex<Vec<TransportRequest>>,
}

#[async_trait]
impl Transport for Scripted {
    async fn send(&self, request: TransportRequest) -> zaby::Result<TransportResponse> {
        let n = {
            let mut sent = self.sent.lock().unwrap();
            sent.push(request);
            sent.len() - 1
        };
        match self.conns.get(n).cloned() {
            Some(Conn::Open(chunks)) => {
                let items: Vec<zaby::Result<Bytes>> = chunks.into_iter().map(|c| Ok(Bytes::from(c))).collect();
                Ok(TransportResponse {
                    status: 200,
                    body_stream: Some(futures::stream::iter(items).boxed()),
                    ..Default::default()
                })
            }
            Some(Conn::Status(status, body)) => {
                Ok(TransportResponse { status, body: Some(body.to_string()), ..Default::default() })
            }
            Some(Conn::Refused) | None => Err(ZabyError::connection("connection refused", None)),
        }
    }
}

fn stream_cases() -> Vec<(&'static str, u32, Vec<Conn>)> {
    let text = |id: &str| format!("id: {id}\nevent: text\ndata: {{\"content\":\"{id}\"}}\n\n");
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let finished = "id: 9\nevent: RunFinished\ndata: {\"status\":\"COMPLETED\"}\n\n";
    vec![
        ("ends after the terminal event", 5, vec![Conn::Open(vec![leak(text("1")), finished])]),
        (
            "reconnects with last-event-id and drops replayed events",
            5,
            vec![
                Conn::Open(vec![leak(text("1")), leak(text("2"))]),
                Conn::Open(vec![leak(text("1")), leak(text("2")), leak(text("3")), finished]),
            ],
        ),
        (
            "a transient status then a resume",
            5,
            vec![
                Conn::Open(vec![leak(text("1"))]),
                Conn::Status(503, json!({"code": "UNAVAILABLE", "message": "busy"})),
                Conn::Open(vec![finished]),
            ],
        ),
        (
            "a refused reconnect then a resume",
            5,
            vec![Conn::Open(vec![leak(text("1"))]), Conn::Refused, Conn::Open(vec![finished])],
        ),
        ("no reconnects allowed: STREAM_DISCONNECTED", 0, vec![Conn::Open(vec![leak(text("1"))])]),
        ("the budget runs out: STREAM_DISCONNECTED", 1, vec![Conn::Open(vec![leak(text("1"))]), Conn::Open(vec![])]),
        (
            "a reconnect refused with 404: STREAM_ERROR with the server's fields",
            5,
            vec![
                Conn::Open(vec![leak(text("1"))]),
                Conn::Status(404, json!({"code": "RUN_NOT_FOUND", "message": "no such run"})),
            ],
        ),
        (
            "id-less events then a drop: STREAM_DISCONNECTED at once (docs/streaming.md#reconnection)",
            5,
            vec![Conn::Open(vec!["event: text\ndata: {\"content\":\"a\"}\n\n"])],
        ),
        (
            "id-less events are not progress (docs/streaming.md#reconnection)",
            2,
            vec![
                Conn::Open(vec![leak(text("1")), "event: text\ndata: {}\n\n"]),
                Conn::Open(vec!["event: text\ndata: {}\n\n"]),
                Conn::Open(vec!["event: text\ndata: {}\n\n"]),
            ],
        ),
        (
            "a replayed terminal event ends the stream silently",
            5,
            vec![Conn::Open(vec![leak(text("5"))]), Conn::Open(vec!["id: 3\nevent: RunFinished\ndata: {}\n\n"])],
        ),
        (
            "the first connection's error status is the mapped class",
            5,
            vec![Conn::Status(401, json!({"code": "UNAUTHORIZED", "message": "bad token"}))],
        ),
    ]
}

async fn stream_vectors() -> Value {
    let mut out = Vec::new();
    for (name, max_reconnects, conns) in stream_cases() {
        let transport = Arc::new(Scripted { conns: conns.clone(), sent: Mutex::new(Vec::new()) });
        let runtime = ZabyRuntime::builder()
            .token("t")
            .config(ZabyGlobalConfig { api_origin: Some("http://vectors.test".into()), ..Default::default() })
            .transport(transport.clone())
            .build()
            .unwrap();
        // The vectors compare wire JSON: the raw events, parsed as they arrived.
        let mut stream = runtime.stream("run-1", None).max_reconnects(max_reconnects).raw();
        let mut events = Vec::new();
        let mut error = Value::Null;
        while let Some(item) = stream.next().await {
            match item {
                Ok(ev) => events.push(event_json(&ev.into_event())),
                Err(e) => {
                    let api = e.api();
                    error = json!({
                        "className": e.class_name(),
                        "code": e.code(),
                        "message": e.message(),
                        "status": api.map(|a| a.status),
                        "lastEventId": api.and_then(|a| a.last_event_id.clone()),
                    });
                    break;
                }
            }
        }
        let sent: Vec<Option<String>> =
            transport.sent.lock().unwrap().iter().map(|r| r.headers.get("last-event-id").cloned()).collect();
        out.push(json!({
            "name": name,
            "maxReconnects": max_reconnects,
            "connections": conns.iter().map(Conn::to_json).collect::<Vec<_>>(),
            "expect": { "events": events, "error": error, "lastEventIds": sent },
        }));
    }
    Value::Array(out)
}

#[tokio::test(start_paused = true)]
async fn the_checked_in_vectors_are_what_the_core_produces() {
    // Keep the vectors' time-independent part honest: a past date is 0 s whenever it runs.
    assert_eq!(parse_retry_after("Sun, 09 Sep 2001 01:46:40 GMT", std::time::SystemTime::now()), Some(0));
    let vectors = json!({
        "about": "Generated by crates/zaby/tests/conformance_vectors.rs from the Rust core; replayed by every SDK build. Do not edit by hand.",
        "sse": sse_vectors(),
        "errors": error_vectors(),
        "streams": stream_vectors().await,
        "webhooks": webhook_vectors::webhook_vectors(),
    });
    let text = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    if std::env::var_os("ZABY_UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "{FILE} is out of date with the core; run ZABY_UPDATE_VECTORS=1 cargo test -p zaby --test conformance_vectors"
    );
}
