//! `MockTransport`: records every request and answers from a queue (`docs/testing.md`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::Value;

use crate::error::{Result, ZabyError};
use crate::transport::{Transport, TransportRequest, TransportResponse};

/// A canned response, matched against the request method and path.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MockResponse {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub json_body: Option<Value>,
    pub body: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// Makes this an SSE response: each event is `{ "event"?, "data", "id"? }`.
    pub events: Option<Vec<Value>>,
}

impl MockResponse {
    fn base(method: &str, path: &str, status: u16) -> Self {
        MockResponse { method: method.to_owned(), path: path.to_owned(), status, ..Default::default() }
    }

    /// A JSON response.
    pub fn json(method: &str, path: &str, status: u16, value: Value) -> Self {
        MockResponse { json_body: Some(value), ..Self::base(method, path, status) }
    }

    /// A raw text response.
    pub fn text(method: &str, path: &str, status: u16, text: impl Into<String>) -> Self {
        MockResponse { body: Some(text.into()), ..Self::base(method, path, status) }
    }

    /// An SSE response (status 200).
    pub fn sse(method: &str, path: &str, events: Vec<Value>) -> Self {
        MockResponse { events: Some(events), ..Self::base(method, path, 200) }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), value.to_owned());
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Renders the response the SDK sees (`docs/testing.md`).
    fn render(&self) -> TransportResponse {
        let mut headers: BTreeMap<String, String> =
            self.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
        if let Some(events) = &self.events {
            headers.entry("content-type".into()).or_insert_with(|| "text/event-stream".into());
            return TransportResponse {
                status: self.status,
                headers,
                body: Some(frame_sse(events)),
                ..Default::default()
            };
        }
        if self.json_body.is_some() {
            headers.entry("content-type".into()).or_insert_with(|| "application/json".into());
        }
        let text = match (&self.body, &self.json_body) {
            (Some(b), _) => b.clone(),
            (None, Some(v)) => v.to_string(),
            (None, None) => String::new(),
        };
        let parsed = self.json_body.clone().or_else(|| serde_json::from_str(&text).ok());
        TransportResponse { status: self.status, headers, json_body: parsed, body: Some(text), body_stream: None }
    }
}

/// Frames events like the server does, without comments.
fn frame_sse(events: &[Value]) -> String {
    let mut out = String::new();
    for ev in events {
        if let Some(id) = ev.get("id").filter(|v| !v.is_null()) {
            out.push_str("id: ");
            out.push_str(&scalar_text(id));
            out.push('\n');
        }
        if let Some(name) = ev.get("event").filter(|v| !v.is_null()) {
            out.push_str("event: ");
            out.push_str(&scalar_text(name));
            out.push('\n');
        }
        match ev.get("data") {
            Some(Value::String(text)) => {
                for line in text.split('\n') {
                    out.push_str("data: ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Some(other) => {
                out.push_str("data: ");
                out.push_str(&other.to_string());
                out.push('\n');
            }
            None => out.push_str("data: \n"),
        }
        out.push('\n');
    }
    out
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A request as the mock recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct MockRequest {
    /// Upper-case method.
    pub method: String,
    pub url: String,
    /// Path including the query string.
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub json_body: Option<Value>,
    pub stream: bool,
}

impl MockRequest {
    /// Alias of `json_body`.
    pub fn body(&self) -> Option<&Value> {
        self.json_body.as_ref()
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<MockResponse>,
    requests: Vec<MockRequest>,
}

/// A [`Transport`] answering from a FIFO queue of [`MockResponse`]s.
#[derive(Default)]
pub struct MockTransport {
    state: Mutex<State>,
}

impl MockTransport {
    pub fn new(responses: Vec<MockResponse>) -> Self {
        MockTransport { state: Mutex::new(State { queue: responses.into(), requests: Vec::new() }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues one JSON response; a `Value::String` body is returned as raw text.
    pub fn set_response(&self, method: &str, path: &str, status: u16, body: Value) {
        let response = match body {
            Value::String(text) => MockResponse::text(method, path, status, text),
            Value::Null => MockResponse::base(method, path, status),
            other => MockResponse::json(method, path, status, other),
        };
        self.push(response);
    }

    /// Queues one SSE response.
    pub fn set_sse(&self, method: &str, path: &str, events: Vec<Value>) {
        self.push(MockResponse::sse(method, path, events));
    }

    /// Queues a prepared response.
    pub fn push(&self, response: MockResponse) {
        self.state().queue.push_back(response);
    }

    /// Empties the queue and the recorded requests.
    pub fn reset(&self) {
        let mut s = self.state();
        s.queue.clear();
        s.requests.clear();
    }

    /// Recorded requests, in order.
    pub fn requests(&self) -> Vec<MockRequest> {
        self.state().requests.clone()
    }

    /// Responses queued and not yet consumed.
    pub fn pending(&self) -> usize {
        self.state().queue.len()
    }
}

/// Decoded `(key, value)` pairs of a query string, sorted (a multiset).
fn query_pairs(query: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    pairs.sort();
    pairs
}

fn path_matches(queued: &str, sent: &str) -> bool {
    let (sent_path, sent_query) = sent.split_once('?').unwrap_or((sent, ""));
    match queued.split_once('?') {
        None => queued == sent_path,
        Some((queued_path, queued_query)) => {
            queued_path == sent_path && query_pairs(queued_query) == query_pairs(sent_query)
        }
    }
}

#[async_trait]
impl Transport for MockTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse> {
        let mut state = self.state();
        let method = request.method.to_ascii_uppercase();
        state.requests.push(MockRequest {
            method: method.clone(),
            url: request.url.clone(),
            path: request.path.clone(),
            headers: request.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect(),
            json_body: request.json_body.clone(),
            stream: request.stream,
        });
        let Some(head) = state.queue.front() else {
            return Err(ZabyError::mock(format!("No mock response configured for {method} {}", request.path)));
        };
        if !head.method.eq_ignore_ascii_case(&method) || !path_matches(&head.path, &request.path) {
            return Err(ZabyError::mock(format!(
                "Expected {} {}, received {method} {}",
                head.method.to_ascii_uppercase(),
                head.path,
                request.path
            )));
        }
        let head = state.queue.pop_front().expect("head exists");
        Ok(head.render())
    }
}

#[cfg(test)]
mod tests;
