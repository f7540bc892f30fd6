//! `MockTransport` for Kotlin (`docs/testing.md`): a handle on the core's
//! `zaby::testing::MockTransport`, so matching, recording and the failure messages are
//! the core's. Bodies and events cross as JSON text.

use std::collections::HashMap;
use std::sync::Arc;

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use zaby::ZabyError;
use zaby::testing::{MockResponse, MockTransport};
use zaby::transport::{Transport, TransportRequest};

use crate::errors::FfiError;
use crate::host::{FfiTransportRequest, FfiTransportResponse};
use crate::runtime;

/// A canned response; `events_json` (an array of `{ id?, event?, data }`) makes it SSE.
#[derive(uniffi::Record)]
pub struct FfiMockResponse {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub json_body: Option<String>,
    pub body: Option<String>,
    pub headers: HashMap<String, String>,
    pub events_json: Option<String>,
}

/// A request as the mock recorded it; `json_body` is the body as JSON text.
#[derive(uniffi::Record)]
pub struct FfiMockRequest {
    pub method: String,
    pub url: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub json_body: Option<String>,
    pub stream: bool,
}

#[derive(uniffi::Object)]
pub struct FfiMockTransport {
    pub(crate) inner: Arc<MockTransport>,
}

fn bad(message: String) -> ZabyError {
    ZabyError::invalid_argument(message)
}

fn parse(text: &str, what: &str) -> zaby::Result<Value> {
    serde_json::from_str(text).map_err(|e| bad(format!("{what} is not valid JSON: {e}")))
}

fn response(r: FfiMockResponse) -> zaby::Result<MockResponse> {
    if !(100..=599).contains(&r.status) {
        return Err(bad(format!("status must be an HTTP status (100–599), got {}", r.status)));
    }
    let events = match r.events_json {
        None => None,
        Some(text) => match parse(&text, "events")? {
            Value::Array(items) if items.iter().all(Value::is_object) => Some(items),
            other => {
                return Err(bad(format!("events must be an array of objects {{ id?, event?, data }}, got {other}")));
            }
        },
    };
    Ok(MockResponse {
        method: r.method,
        path: r.path,
        status: r.status,
        json_body: r.json_body.as_deref().map(|t| parse(t, "json")).transpose()?,
        body: r.body,
        headers: r.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
        events,
    })
}

#[uniffi::export]
impl FfiMockTransport {
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(FfiMockTransport { inner: Arc::new(MockTransport::new(Vec::new())) })
    }

    /// Queues a response (answered in order, each matched against method and path).
    pub fn push(&self, r: FfiMockResponse) -> Result<(), FfiError> {
        self.inner.push(response(r)?);
        Ok(())
    }

    /// The mock is a transport too: answers one request like the SDK's attempts do
    /// (an SSE answer's events as the `body` text).
    pub async fn send(&self, request: FfiTransportRequest) -> Result<FfiTransportResponse, FfiError> {
        let request = TransportRequest {
            method: request.method.to_ascii_uppercase(),
            url: request.url,
            path: request.path,
            headers: request.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
            json_body: request.json_body.as_deref().map(|t| parse(t, "jsonBody")).transpose()?,
            stream: request.stream,
            timeout: Duration::from_millis(request.timeout_ms),
        };
        let mock = self.inner.clone();
        let mut answer = runtime::run(async move { mock.send(request).await }).await?;
        let mut body = answer.body.take();
        if let Some(mut chunks) = answer.body_stream.take() {
            let mut bytes = Vec::new();
            while let Some(chunk) = chunks.next().await {
                bytes.extend_from_slice(&chunk?);
            }
            body = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        Ok(FfiTransportResponse {
            status: answer.status,
            headers: answer.headers.into_iter().collect(),
            json_body: answer.json_body.map(|v| v.to_string()),
            body,
            stream_id: None,
        })
    }

    pub fn reset(&self) {
        self.inner.reset();
    }

    pub fn pending(&self) -> u64 {
        self.inner.pending() as u64
    }

    pub fn requests(&self) -> Vec<FfiMockRequest> {
        self.inner
            .requests()
            .into_iter()
            .map(|r| FfiMockRequest {
                method: r.method,
                url: r.url,
                path: r.path,
                headers: r.headers.into_iter().collect(),
                json_body: r.json_body.map(|v| v.to_string()),
                stream: r.stream,
            })
            .collect()
    }
}
