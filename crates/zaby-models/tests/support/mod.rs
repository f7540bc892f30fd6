//! A scripted OpenAI-compatible server for the provider tests: it answers
//! `POST /v1/chat/completions` from a queue of canned responses and records requests.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use serde_json::Value;

/// One canned response.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    /// Written one after another, `chunk_delay` apart (so SSE lines can be split).
    pub chunks: Vec<String>,
    pub chunk_delay: Duration,
    /// Wait before the response headers.
    pub header_delay: Duration,
    /// Keep the body open (without writing) this long after the last chunk.
    pub hold_open: Duration,
}

impl Scripted {
    /// An SSE body made of these raw pieces.
    pub fn sse_raw(chunks: Vec<String>) -> Self {
        Scripted {
            status: 200,
            content_type: "text/event-stream",
            headers: Vec::new(),
            chunks,
            chunk_delay: Duration::from_millis(5),
            header_delay: Duration::ZERO,
            hold_open: Duration::ZERO,
        }
    }

    /// An SSE body with one `data:` event per value, then `data: [DONE]`.
    pub fn sse(events: &[Value]) -> Self {
        let mut chunks: Vec<String> = events.iter().map(|e| format!("data: {e}\n\n")).collect();
        chunks.push("data: [DONE]\n\n".into());
        Self::sse_raw(chunks)
    }

    pub fn status(status: u16, body: &str) -> Self {
        Scripted { status, content_type: "application/json", chunks: vec![body.into()], ..Self::sse_raw(Vec::new()) }
    }
}

#[derive(Debug, Default)]
pub struct Script {
    responses: Mutex<VecDeque<Scripted>>,
    pub requests: Mutex<Vec<(HeaderMap, Value)>>,
}

impl Script {
    pub fn bodies(&self) -> Vec<Value> {
        self.requests.lock().unwrap().iter().map(|(_, body)| body.clone()).collect()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn push(&self, response: Scripted) {
        self.responses.lock().unwrap().push_back(response);
    }
}

pub struct ScriptedServer {
    pub addr: SocketAddr,
    pub script: Arc<Script>,
}

impl ScriptedServer {
    pub async fn start(responses: Vec<Scripted>) -> Self {
        let script = Arc::new(Script::default());
        for response in responses {
            script.push(response);
        }
        let app = Router::new().route("/v1/chat/completions", post(answer)).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ScriptedServer { addr, script }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

async fn answer(State(script): State<Arc<Script>>, headers: HeaderMap, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).expect("the provider sends JSON");
    script.requests.lock().unwrap().push((headers, body));
    let next = script.responses.lock().unwrap().pop_front();
    let Some(scripted) = next else {
        return Response::builder().status(599).body(Body::from("script exhausted")).unwrap();
    };
    tokio::time::sleep(scripted.header_delay).await;
    let (delay, hold) = (scripted.chunk_delay, scripted.hold_open);
    let chunks = scripted.chunks.clone();
    let stream = async_stream(chunks, delay, hold);
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(scripted.status).unwrap())
        .header("content-type", scripted.content_type);
    for (name, value) in &scripted.headers {
        builder = builder.header(*name, value);
    }
    builder.body(Body::from_stream(stream)).unwrap()
}

fn async_stream(
    chunks: Vec<String>,
    delay: Duration,
    hold: Duration,
) -> impl futures::Stream<Item = Result<String, std::io::Error>> {
    let total = chunks.len();
    futures::stream::unfold((chunks.into_iter(), 0usize), move |(mut rest, index)| async move {
        if index > 0 {
            tokio::time::sleep(delay).await;
        }
        match rest.next() {
            Some(chunk) => Some((Ok(chunk), (rest, index + 1))),
            None => {
                if index == total {
                    tokio::time::sleep(hold).await;
                }
                None
            }
        }
    })
}
