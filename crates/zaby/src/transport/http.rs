//! The built-in transport: reqwest over rustls, one connection pool per transport.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};

use super::{Transport, TransportRequest, TransportResponse, UploadProgress};
use crate::error::{Cause, Result, ZabyError};

/// Bumped in a forked child: pooled connections belong to the parent's reactor.
static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

/// Tells every [`HttpTransport`] of this process to drop its connection pool and build a
/// fresh one on its next request. Bindings call it in the child after `fork()`, once the
/// async runtime the pool was registered with is gone.
pub fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The default [`Transport`]. The reqwest client (and its pool) is built on first use,
/// so constructing an SDK client does no I/O and stays cheap.
#[derive(Default)]
pub struct HttpTransport {
    /// The client and the fork generation it was built in.
    client: Mutex<Option<(u64, reqwest::Client)>>,
}

impl HttpTransport {
    pub fn new() -> Self {
        Self::default()
    }

    fn client(&self) -> Result<reqwest::Client> {
        let mut slot = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let generation = FORK_GENERATION.load(Ordering::SeqCst);
        if let Some((built_in, c)) = slot.as_ref() {
            if *built_in == generation {
                return Ok(c.clone());
            }
            // A pool inherited through fork(): its sockets are registered with the
            // parent's (now thread-less) runtime, so it is leaked rather than dropped.
            if let Some((_, stale)) = slot.take() {
                std::mem::forget(stale);
            }
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ZabyError::connection(format!("could not build the HTTP client: {e}"), Some(Arc::new(e))))?;
        *slot = Some((generation, client.clone()));
        Ok(client)
    }

    /// Drops the pool; the next request builds a fresh one (used after `fork()` and on close).
    pub fn reset(&self) {
        self.client.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

fn map_reqwest(e: reqwest::Error, timeout_ms: u64) -> ZabyError {
    if e.is_timeout() {
        return ZabyError::timeout(timeout_ms);
    }
    let message = format!("Zaby API connection failed: {}", error_chain(&e));
    ZabyError::connection(message, Some(Arc::new(e) as Cause))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn header_map(headers: &BTreeMap<String, String>) -> Result<HeaderMap> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ZabyError::invalid_argument(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| ZabyError::invalid_argument(format!("invalid value for header {name}")))?;
        map.insert(name, value);
    }
    Ok(map)
}

impl HttpTransport {
    /// One exchange; with `progress`, the body goes out in chunks that report as they are sent.
    async fn exchange(&self, request: TransportRequest, progress: Option<UploadProgress>) -> Result<TransportResponse> {
        let client = self.client()?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| ZabyError::invalid_argument(format!("invalid method {}", request.method)))?;
        let timeout_ms = request.timeout.as_millis() as u64;
        let mut builder = client.request(method, &request.url).headers(header_map(&request.headers)?);
        if let Some(body) = &request.json_body {
            let bytes =
                serde_json::to_vec(body).map_err(|e| ZabyError::invalid_argument(format!("body is not JSON: {e}")))?;
            builder = match progress {
                None => builder.body(bytes),
                Some(progress) => {
                    // A streamed body has no length of its own: say it, so the server
                    // sees an ordinary sized body rather than a chunked one.
                    let length = bytes.len();
                    let chunks = progress.chunked(Bytes::from(bytes)).map(Ok::<_, std::convert::Infallible>);
                    builder.header(CONTENT_LENGTH, length).body(reqwest::Body::wrap_stream(chunks))
                }
            };
        }
        // The deadline covers the whole exchange for ordinary requests; streams are bounded
        // by the core (headers deadline, then idle timeout).
        if !request.stream {
            builder = builder.timeout(request.timeout);
        }
        let response = builder.send().await.map_err(|e| map_reqwest(e, timeout_ms))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        if request.stream {
            let stream = response.bytes_stream().map(move |r| r.map_err(|e| map_reqwest(e, timeout_ms)));
            return Ok(TransportResponse { status, headers, body_stream: Some(stream.boxed()), ..Default::default() });
        }
        let bytes = response.bytes().await.map_err(|e| map_reqwest(e, timeout_ms))?;
        Ok(TransportResponse {
            status,
            headers,
            body: Some(String::from_utf8_lossy(&bytes).into_owned()),
            ..Default::default()
        })
    }
}

#[async_trait]
impl Transport for HttpTransport {
    async fn send(&self, request: TransportRequest) -> Result<TransportResponse> {
        self.exchange(request, None).await
    }

    async fn send_with_upload_progress(
        &self,
        request: TransportRequest,
        progress: UploadProgress,
    ) -> Result<TransportResponse> {
        self.exchange(request, Some(progress)).await
    }

    async fn close(&self) {
        self.reset();
    }
}
