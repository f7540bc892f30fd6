//! `ZabyRequest`: a call that has not been sent yet, with its per-call options, and the
//! retry loop of `docs/configuration.md` that runs when it is awaited.

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::core::{Call, CoreRef, RequestOptions, is_success, response_json};
use futures::StreamExt;

use crate::error::{ApiError, Result, ZabyError, codes};
use crate::transport::{TransportResponse, UploadProgress};

/// Longest wait a `retry-after` header can impose between attempts.
const RETRY_AFTER_CAP_MS: u64 = 60_000;

/// A pending SDK call answering `T` (the row's response type from `zaby::types`). Await
/// it (`.await`) to send; configure it first with [`request_id`](Self::request_id),
/// [`timeout`](Self::timeout), [`cancel_on`](Self::cancel_on),
/// [`on_upload_progress`](Self::on_upload_progress); [`json`](Self::json) makes the same
/// call answer the raw `serde_json::Value`; [`send_with_meta`](Self::send_with_meta) sends
/// it and keeps the response's status and headers.
#[must_use = "a ZabyRequest does nothing until it is awaited"]
pub struct ZabyRequest<T = Value> {
    core: CoreRef,
    call: Result<Call>,
    options: RequestOptions,
    _out: PhantomData<fn() -> T>,
}

impl<T> ZabyRequest<T> {
    pub(crate) fn new(core: CoreRef, call: Result<Call>) -> Self {
        ZabyRequest { core, call, options: RequestOptions::default(), _out: PhantomData }
    }

    /// Sent as `x-request-id` (correlation only; not the idempotency key).
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.options.request_id = Some(id.into());
        self
    }

    /// Deadline of each attempt, overriding the configured `timeout_ms`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Aborts the call when `token` is cancelled; the call then fails with code `ABORTED`.
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.options.cancel = Some(token);
        self
    }

    /// Calls `report(sent, total)` while the request body goes out: 0 first, then after each
    /// 64 KiB piece, ending at the body's length in bytes; a retried attempt starts again
    /// at 0. Only the built-in HTTP transport reports (mock and custom transports send the
    /// body whole), and the language bindings do not offer it yet.
    pub fn on_upload_progress(mut self, report: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.options.upload_progress = Some(UploadProgress::new(report));
        self
    }

    /// Replaces all per-call options at once (used by the language bindings).
    pub fn options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// The same call, answering the JSON body as it arrived.
    pub fn json(self) -> ZabyRequest<Value> {
        self.typed()
    }

    /// The same call, deserializing the answer into `U` (a struct of your own).
    pub fn typed<U: DeserializeOwned>(self) -> ZabyRequest<U> {
        ZabyRequest { core: self.core, call: self.call, options: self.options, _out: PhantomData }
    }

    /// Sends the call and returns the parsed JSON body.
    pub async fn send_json(self) -> Result<Value> {
        let call = self.call?;
        with_cancel(self.options.cancel.clone(), execute(&self.core, &call, &self.options)).await
    }
}

impl<T: DeserializeOwned> ZabyRequest<T> {
    /// Sends the call and returns its answer together with the response's status and
    /// headers ([`ResponseMeta`]), like other SDKs' raw-response access.
    pub async fn send_with_meta(self) -> Result<(T, ResponseMeta)> {
        let call = self.call?;
        let exchange = execute_with_meta(&self.core, &call, &self.options);
        let (value, meta) = with_cancel(self.options.cancel.clone(), exchange).await?;
        Ok((decode(value)?, meta))
    }
}

/// What a successful response said besides its body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMeta {
    /// The 2xx status of the attempt that succeeded.
    pub status: u16,
    /// The response's `x-request-id`, else the one the call sent.
    pub request_id: Option<String>,
    /// Every response header, names in lower case (e.g. `x-zaby-tenant-id`, the tenant of
    /// the caller's credential on management calls; `docs/server.md`).
    pub headers: BTreeMap<String, String>,
}

impl ResponseMeta {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for ZabyRequest<T> {
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { decode(self.send_json().await?) })
    }
}

/// A JSON answer as the typed response `T`.
pub(crate) fn decode<T: DeserializeOwned>(value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| {
        ZabyError::client_with_source(
            "INVALID_RESPONSE",
            format!("the response does not have the expected shape: {e}"),
            std::sync::Arc::new(e),
        )
    })
}

/// Runs `fut`, or fails with `ABORTED` as soon as `cancel` fires.
pub(crate) async fn with_cancel<T>(
    cancel: Option<CancellationToken>,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    match cancel {
        None => fut.await,
        Some(token) => tokio::select! {
            biased;
            _ = token.cancelled() => Err(ZabyError::client(codes::ABORTED, "the request was aborted")),
            r = fut => r,
        },
    }
}

/// Whether a failed attempt may be retried under the client's policy.
fn retry_eligible(core: &CoreRef, call: &Call) -> bool {
    core.config.retries.retries_method(call.method()) || call.idempotency_keyed()
}

/// Delay before the next attempt, honouring `retry-after` on 429 and 503.
fn retry_delay(core: &CoreRef, attempt: u32, status: Option<u16>, retry_after: Option<u64>) -> Duration {
    let backoff = core.config.retries.backoff_ms(attempt);
    let ms = match (status, retry_after) {
        (Some(429 | 503), Some(secs)) => backoff.max(secs.saturating_mul(1000).min(RETRY_AFTER_CAP_MS)),
        _ => backoff,
    };
    Duration::from_millis(ms)
}

/// Sends a non-stream call with retries and returns its JSON body.
pub(crate) async fn execute(core: &CoreRef, call: &Call, options: &RequestOptions) -> Result<Value> {
    Ok(execute_with_meta(core, call, options).await?.0)
}

/// [`execute`], keeping the response's status and headers.
async fn execute_with_meta(core: &CoreRef, call: &Call, options: &RequestOptions) -> Result<(Value, ResponseMeta)> {
    let mut response = send_with_retries(core, call, options, false, &[]).await?;
    let body = response_json(&mut response);
    let headers = std::mem::take(&mut response.headers);
    let request_id = headers.get("x-request-id").cloned().or_else(|| options.request_id.clone());
    Ok((body, ResponseMeta { status: response.status, request_id, headers }))
}

/// The retry loop of `docs/configuration.md` around one call: returns the first 2xx response, or
/// the error of the last attempt. Streams use it to open their first connection.
pub(crate) async fn send_with_retries(
    core: &CoreRef,
    call: &Call,
    options: &RequestOptions,
    stream: bool,
    extra_headers: &[(&str, String)],
) -> Result<TransportResponse> {
    let policy = &core.config.retries;
    let eligible = retry_eligible(core, call);
    let mut attempt: u32 = 0;
    loop {
        let can_retry = eligible && attempt < policy.attempts;
        match core.send_once(call, options, stream, extra_headers).await {
            Ok(response) if is_success(response.status) => return Ok(response),
            Ok(response) => {
                let error = api_error_from(response, options.request_id.as_deref()).await;
                if can_retry && policy.retry_statuses.contains(&error.status) {
                    let delay = retry_delay(core, attempt, Some(error.status), error.retry_after);
                    tracing::info!(target: "zaby", status = error.status, attempt = attempt + 1, delay_ms = delay.as_millis() as u64, path = %call.path, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    continue;
                }
                return Err(error.into());
            }
            Err(e) if can_retry && e.is_transient() => {
                let delay = retry_delay(core, attempt, None, None);
                tracing::info!(target: "zaby", error = %e, attempt = attempt + 1, delay_ms = delay.as_millis() as u64, path = %call.path, "retrying");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Builds the error of a non-2xx response (`docs/errors.md`). A streamed body is read to
/// its end first.
pub(crate) async fn api_error_from(mut response: TransportResponse, sent_request_id: Option<&str>) -> ApiError {
    let body = match response.body_stream.take() {
        Some(mut stream) => {
            let mut bytes = Vec::new();
            while let Some(Ok(chunk)) = stream.next().await {
                bytes.extend_from_slice(&chunk);
            }
            serde_json::from_slice::<Value>(&bytes).ok()
        }
        None => Some(response_json(&mut response)).filter(|v| !v.is_null()),
    };
    ApiError::from_parts(response.status, std::mem::take(&mut response.headers), body, sent_request_id)
}
