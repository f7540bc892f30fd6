//! How bytes move (`docs/testing.md`). The core sends every exchange through a [`Transport`]:
//! [`HttpTransport`] by default, `MockTransport` in tests, or one of the caller's own.

mod http;
mod progress;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use serde_json::Value;

use crate::error::Result;

pub use http::{HttpTransport, after_fork_in_child};
pub use progress::UploadProgress;

/// One HTTP attempt as the core hands it to a transport.
#[derive(Clone, Debug, PartialEq)]
pub struct TransportRequest {
    /// Upper-case method.
    pub method: String,
    /// Origin + path + query.
    pub url: String,
    /// Path plus query string, as sent.
    pub path: String,
    /// Lower-case header names.
    pub headers: BTreeMap<String, String>,
    pub json_body: Option<Value>,
    /// `true` for the SSE request: the transport should hand back `body_stream`.
    pub stream: bool,
    /// Deadline of this attempt (for streams: until the response headers).
    pub timeout: Duration,
}

/// What a transport answers.
#[derive(Default)]
pub struct TransportResponse {
    pub status: u16,
    /// Header names in any case; the core lower-cases them.
    pub headers: BTreeMap<String, String>,
    pub json_body: Option<Value>,
    pub body: Option<String>,
    pub body_stream: Option<BoxStream<'static, Result<Bytes>>>,
}

impl fmt::Debug for TransportResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("json_body", &self.json_body)
            .field("body", &self.body)
            .field("body_stream", &self.body_stream.as_ref().map(|_| "stream"))
            .finish()
    }
}

/// Sends one HTTP attempt.
#[async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse>;

    /// Sends one attempt whose body's progress the caller watches
    /// ([`ZabyRequest::on_upload_progress`](crate::ZabyRequest::on_upload_progress)).
    /// [`HttpTransport`] sends the body in chunks and reports after each; the default,
    /// for mock and custom transports, ignores `progress` and calls [`send`](Self::send).
    async fn send_with_upload_progress(
        &self,
        request: TransportRequest,
        progress: UploadProgress,
    ) -> Result<TransportResponse> {
        let _ = progress;
        self.send(request).await
    }

    /// Releases pooled connections; called when the owning client closes. Custom
    /// transports are not closed by the SDK, so the default does nothing.
    async fn close(&self) {}
}
