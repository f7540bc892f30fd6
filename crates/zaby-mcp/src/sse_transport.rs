//! The legacy HTTP+SSE client transport (MCP protocol 2024-11-05), which rmcp
//! no longer ships: a long-lived `GET` event stream carries the server's
//! messages, and its first `endpoint` event names the URL the client `POST`s
//! its own messages to. rmcp runs the protocol on top of it.

use std::future::Future;

use futures::StreamExt;
use http::HeaderMap;
use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use sse_stream::SseStream;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use crate::error::{McpError, describe};

/// A failure of the SSE transport (reported by rmcp as a transport error).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SseTransportError(String);

pub(crate) struct LegacySseTransport {
    http: reqwest::Client,
    post_url: reqwest::Url,
    headers: HeaderMap,
    incoming: mpsc::Receiver<RxJsonRpcMessage<RoleClient>>,
    reader: AbortHandle,
}

impl Drop for LegacySseTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl LegacySseTransport {
    /// Opens the event stream and waits for the `endpoint` event.
    pub async fn connect(http: reqwest::Client, url: &str, headers: HeaderMap) -> Result<Self, McpError> {
        let sse_url =
            reqwest::Url::parse(url).map_err(|e| McpError::InvalidDefinition(format!("endpointUrl {url:?}: {e}")))?;
        let response = http
            .get(sse_url.clone())
            .headers(headers.clone())
            .header(http::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| McpError::server(format!("cannot open SSE stream {url}: {}", describe(&e))))?;
        let status = response.status();
        if !status.is_success() {
            return Err(McpError::server(format!("SSE stream {url} answered HTTP {status}")));
        }
        let mut events = SseStream::from_bytes_stream(response.bytes_stream());
        let post_url = loop {
            match events.next().await {
                Some(Ok(event)) if event.event.as_deref() == Some("endpoint") => {
                    let target = event.data.unwrap_or_default();
                    break resolve_endpoint(&sse_url, target.trim())?;
                }
                // Comments, keep-alives and early messages before the endpoint are skipped.
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    return Err(McpError::server(format!("SSE stream {url} is malformed: {e}")));
                }
                None => {
                    return Err(McpError::server(format!("SSE stream {url} ended before its endpoint event")));
                }
            }
        };

        let (sender, incoming) = mpsc::channel(64);
        let reader = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let Ok(event) = event else {
                    tracing::warn!("MCP SSE stream broke; closing the session");
                    return;
                };
                if !matches!(event.event.as_deref(), None | Some("message")) {
                    continue;
                }
                let Some(data) = event.data else { continue };
                match serde_json::from_str::<RxJsonRpcMessage<RoleClient>>(&data) {
                    Ok(message) => {
                        if sender.send(message).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        // A server that sends garbage breaks the protocol; ending the
                        // stream makes every pending request fail at once.
                        tracing::warn!(error = %e, "MCP SSE server sent an invalid message; closing the session");
                        return;
                    }
                }
            }
        })
        .abort_handle();

        Ok(Self { http, post_url, headers, incoming, reader })
    }
}

/// Resolves the `endpoint` event against the stream URL. Credentials go with
/// every POST, so the endpoint must stay on the stream's origin.
fn resolve_endpoint(sse_url: &reqwest::Url, target: &str) -> Result<reqwest::Url, McpError> {
    let resolved = sse_url
        .join(target)
        .map_err(|e| McpError::server(format!("SSE endpoint event {target:?} is not a URL: {e}")))?;
    if resolved.origin() != sse_url.origin() {
        return Err(McpError::server(format!("SSE endpoint {resolved} is not on the origin of {sse_url}")));
    }
    Ok(resolved)
}

impl Transport<RoleClient> for LegacySseTransport {
    type Error = SseTransportError;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let request = serde_json::to_vec(&item).map(|body| {
            self.http
                .post(self.post_url.clone())
                .headers(self.headers.clone())
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body)
        });
        async move {
            let request = request.map_err(|e| SseTransportError(format!("cannot encode message: {e}")))?;
            let response = request
                .send()
                .await
                .map_err(|e| SseTransportError(format!("cannot post message: {}", describe(&e))))?;
            let status = response.status();
            if !status.is_success() {
                return Err(SseTransportError(format!("server answered HTTP {status} to a posted message")));
            }
            Ok(())
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<RxJsonRpcMessage<RoleClient>>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.reader.abort();
        self.incoming.close();
        Ok(())
    }
}
