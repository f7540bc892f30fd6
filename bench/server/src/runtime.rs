//! The runtime side of a run over plain HTTP (reqwest): start with `respondAsync`
//! (E119), follow the stream (E121) frame by frame. No SDK in the measured path, so the
//! figures are the server's.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::server::anyhow_lite::Result;

/// The message of a measured run. The development model answers `You said: hello
/// there` in four `text` events, so a run stores six events.
pub const MESSAGE: &str = "hello there";
/// The message of a run that waits: the model calls `echo`, which needs approval.
pub const WAITING_MESSAGE: &str = r#"/tool echo {"say": "hi"}"#;

/// When the events of one run arrived, measured from just before its start request.
#[derive(Debug, Clone, Copy)]
pub struct RunTiming {
    /// Start request answered (201).
    pub started: Duration,
    /// First event (`RunStarted`) read from the stream.
    pub first_event: Duration,
    /// `RunFinished` read from the stream.
    pub finished: Duration,
    pub events: usize,
}

#[derive(Clone)]
pub struct Runtime {
    http: reqwest::Client,
    origin: String,
    token: String,
}

/// One SSE frame: its `event:` field.
pub struct Frame {
    pub event: String,
}

/// Reads SSE frames off a streaming body as they arrive.
pub struct Frames {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buf: BytesMut,
}

impl Frames {
    fn new(resp: reqwest::Response) -> Frames {
        Frames { body: resp.bytes_stream().boxed(), buf: BytesMut::new() }
    }

    /// The next event frame (comments such as `: connected` are skipped); `None` when
    /// the body ends.
    pub async fn next(&mut self) -> Result<Option<Frame>> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let raw = self.buf.split_to(end + 2);
                let text = std::str::from_utf8(&raw)?;
                let event = text.lines().find_map(|l| l.strip_prefix("event:")).map(|e| e.trim().to_string());
                if let Some(event) = event {
                    return Ok(Some(Frame { event }));
                }
                continue;
            }
            match self.body.next().await {
                Some(chunk) => self.buf.extend_from_slice(&chunk?),
                None => return Ok(None),
            }
        }
    }
}

impl Runtime {
    pub fn new(http: reqwest::Client, origin: &str, token: String) -> Runtime {
        Runtime { http, origin: origin.to_string(), token }
    }

    /// E119 with `respondAsync: true`; the run id.
    pub async fn start(&self, message: &str) -> Result<String> {
        let body = json!({ "input": { "message": message }, "respondAsync": true });
        let resp = self
            .http
            .post(format!("{}/api/v1/agent-runtime/runs", self.origin))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if status != 201 {
            return Err(format!("start answered {status}: {}", String::from_utf8_lossy(&bytes)).into());
        }
        let v: Value = serde_json::from_slice(&bytes)?;
        Ok(v["runId"].as_str().ok_or("no runId")?.to_string())
    }

    /// E121 from the first event.
    pub async fn stream(&self, run_id: &str) -> Result<Frames> {
        let resp = self
            .http
            .get(format!("{}/api/v1/agent-runtime/runs/{run_id}/aiui", self.origin))
            .bearer_auth(&self.token)
            .header("accept", "text/event-stream")
            .send()
            .await?;
        if resp.status() != 200 {
            return Err(format!("stream answered {}", resp.status()).into());
        }
        Ok(Frames::new(resp))
    }

    /// Starts a run, follows its stream to `RunFinished`.
    pub async fn run(&self) -> Result<RunTiming> {
        let t0 = Instant::now();
        let run_id = self.start(MESSAGE).await?;
        let started = t0.elapsed();
        let mut frames = self.stream(&run_id).await?;
        let mut first_event = None;
        let mut events = 0;
        while let Some(f) = frames.next().await? {
            events += 1;
            first_event.get_or_insert_with(|| t0.elapsed());
            match f.event.as_str() {
                "RunFinished" => {
                    let finished = t0.elapsed();
                    return Ok(RunTiming { started, first_event: first_event.unwrap_or(finished), finished, events });
                }
                "RunError" => return Err(format!("run {run_id} failed").into()),
                _ => {}
            }
        }
        Err(format!("the stream of run {run_id} ended without RunFinished").into())
    }

    /// Starts a run that waits for an approval and returns its open stream once the
    /// `approval_required` event has arrived.
    pub async fn waiting_stream(&self) -> Result<Frames> {
        let run_id = self.start(WAITING_MESSAGE).await?;
        let mut frames = self.stream(&run_id).await?;
        while let Some(f) = frames.next().await? {
            match f.event.as_str() {
                "approval_required" => return Ok(frames),
                "RunFinished" | "RunError" => return Err(format!("run {run_id} ended instead of waiting").into()),
                _ => {}
            }
        }
        Err(format!("the stream of run {run_id} ended before the approval").into())
    }
}
