//! Kotlin code the core calls (`docs/architecture.md` rule 5): credential providers
//! (`suspend () -> String`) and custom transports, through UniFFI foreign traits.
//!
//! The facade wraps every Kotlin function so that what it throws is kept in a registry
//! and reported as `HostFailure::Thrown { id, … }`; the core carries the id and the
//! caller gets the original exception back (`errors`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use zaby::error::codes;
use zaby::transport::{Transport, TransportRequest, TransportResponse};
use zaby::{CredentialProvider, ZabyError};

use zaby::error::HostError;

/// How a Kotlin callback failed.
#[derive(Debug, uniffi::Error)]
pub enum HostFailure {
    /// Kotlin threw. `kind` is `"connection"` or `"timeout"` for a
    /// `ZabyConnectionException` / `ZabyTimeoutException` (transient: retried like the
    /// built-in transport's), `"other"` for anything else (reaches the caller unchanged).
    Thrown { id: u32, reason: String, kind: String, timeout_ms: u64 },
    /// The callback could not be called at all (UniFFI's own failure).
    Unexpected { reason: String },
}

impl fmt::Display for HostFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostFailure::Thrown { reason, .. } | HostFailure::Unexpected { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for HostFailure {}

impl From<uniffi::UnexpectedUniFFICallbackError> for HostFailure {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HostFailure::Unexpected { reason: e.reason }
    }
}

/// A credential provider: asked on every HTTP attempt (`docs/configuration.md`).
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait CredentialSource: Send + Sync {
    async fn credential(&self) -> Result<String, HostFailure>;
}

pub(crate) struct KotlinCredential(pub(crate) Arc<dyn CredentialSource>);

#[async_trait]
impl CredentialProvider for KotlinCredential {
    async fn credential(&self) -> zaby::Result<String> {
        self.0.credential().await.map_err(|failure| {
            let cause = host_error(failure, false);
            ZabyError::client_with_source(
                codes::CREDENTIAL_PROVIDER_FAILED,
                format!("credential provider failed: {}", cause.message),
                Arc::new(cause),
            )
        })
    }
}

fn host_error(failure: HostFailure, passthrough: bool) -> HostError {
    match failure {
        HostFailure::Thrown { id, reason, .. } => HostError { id, message: reason, passthrough },
        // Id 0 is never registered: the facade reports the message as it is.
        HostFailure::Unexpected { reason } => HostError { id: 0, message: reason, passthrough: false },
    }
}

/// One HTTP attempt as a custom transport receives it (`docs/testing.md`).
#[derive(uniffi::Record)]
pub struct FfiTransportRequest {
    pub method: String,
    pub url: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    /// The JSON body as text.
    pub json_body: Option<String>,
    /// The SSE request: answer the event stream as a body stream (`stream_id`), or
    /// its whole text as `body`.
    pub stream: bool,
    pub timeout_ms: u64,
}

/// What a custom transport answers.
#[derive(uniffi::Record)]
pub struct FfiTransportResponse {
    pub status: u16,
    pub headers: HashMap<String, String>,
    /// A JSON body as text (parsed by the core).
    pub json_body: Option<String>,
    /// A raw body (or, for a stream, the event stream's text).
    pub body: Option<String>,
    /// A body read chunk by chunk: the core pulls it with `HostTransport::next_chunk`
    /// while it parses, and closes it (`close_stream`) when it stops reading.
    pub stream_id: Option<u64>,
}

/// A transport written in Kotlin. Cancelling the core's attempt (timeout, a cancelled
/// coroutine, close) cancels the Kotlin coroutine running `send` or `next_chunk`.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait HostTransport: Send + Sync {
    async fn send(&self, request: FfiTransportRequest) -> Result<FfiTransportResponse, HostFailure>;
    /// The next chunk of the body stream `stream_id`; `None` once it has ended.
    async fn next_chunk(&self, stream_id: u64) -> Result<Option<Vec<u8>>, HostFailure>;
    /// The core reads no more of `stream_id` (ended, failed or dropped): release it.
    fn close_stream(&self, stream_id: u64);
}

pub(crate) struct KotlinTransport(pub(crate) Arc<dyn HostTransport>);

/// Closes a body stream on the Kotlin side when the core drops it, however it stops.
struct CloseOnDrop {
    host: Arc<dyn HostTransport>,
    id: u64,
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.host.close_stream(self.id);
    }
}

/// A Kotlin body stream as the core's byte stream, pulled one chunk at a time; it ends
/// after the first failure.
fn body_stream(host: Arc<dyn HostTransport>, id: u64) -> BoxStream<'static, zaby::Result<Bytes>> {
    let guard = CloseOnDrop { host, id };
    futures::stream::unfold(Some(guard), move |state| async move {
        let guard = state?;
        match guard.host.next_chunk(id).await {
            Ok(Some(chunk)) => Some((Ok(Bytes::from(chunk)), Some(guard))),
            Ok(None) => None,
            Err(failure) => Some((Err(transport_error(failure)), None)),
        }
    })
    .boxed()
}

/// A failed `send`: a thrown connection or timeout exception stays one, so the core
/// retries it; anything else propagates unchanged (`External`).
fn transport_error(failure: HostFailure) -> ZabyError {
    match failure {
        HostFailure::Thrown { kind, timeout_ms, reason, .. } if kind == "timeout" => {
            ZabyError::Timeout { message: reason, timeout_ms }
        }
        HostFailure::Thrown { ref kind, .. } if kind == "connection" => {
            let host = host_error(failure, true);
            ZabyError::connection(host.message.clone(), Some(Arc::new(host)))
        }
        other => ZabyError::External(Arc::new(host_error(other, false))),
    }
}

#[async_trait]
impl Transport for KotlinTransport {
    async fn send(&self, request: TransportRequest) -> zaby::Result<TransportResponse> {
        let request = FfiTransportRequest {
            method: request.method,
            url: request.url,
            path: request.path,
            headers: request.headers.into_iter().collect(),
            json_body: request.json_body.map(|v| v.to_string()),
            stream: request.stream,
            timeout_ms: u64::try_from(request.timeout.as_millis()).unwrap_or(u64::MAX),
        };
        let answer = self.0.send(request).await.map_err(transport_error)?;
        let json_body = match answer.json_body {
            None => None,
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                ZabyError::invalid_argument(format!("the custom transport answered a jsonBody that is not JSON: {e}"))
            })?),
        };
        let headers: BTreeMap<String, String> =
            answer.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let body_stream = answer.stream_id.map(|id| body_stream(self.0.clone(), id));
        Ok(TransportResponse { status: answer.status, headers, json_body, body: answer.body, body_stream })
    }
}
