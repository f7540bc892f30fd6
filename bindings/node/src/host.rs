//! Host callables the core calls (`docs/architecture.md` rule 5): credential providers and a
//! custom transport, each through a weak threadsafe function so that a pending call
//! never keeps the Node process alive.
//!
//! The facade wraps every user function so that it never throws: it answers
//! `{ ok: true, … }` or `{ ok: false, errorId, message, zaby? }`, where `errorId` names
//! the original exception in the facade's registry (the caller gets it back unchanged).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use serde_json::{Value, json};
use zaby::error::codes;
use zaby::transport::{Transport, TransportRequest, TransportResponse};
use zaby::{CredentialProvider, ZabyError};

use crate::done::WeakFn;
use zaby::error::HostError;

fn closing() -> ZabyError {
    ZabyError::client(codes::CLIENT_CLOSED, "the Node environment is shutting down")
}

/// Reads the `{ ok: false, errorId, message, zaby? }` answer of a wrapped host function.
fn host_failure(answer: &Value) -> (HostError, Option<&Value>) {
    let id = answer.get("errorId").and_then(Value::as_u64).unwrap_or(0) as u32;
    let message = answer.get("message").and_then(Value::as_str).unwrap_or("host function failed").to_owned();
    (HostError { id, message, passthrough: false }, answer.get("zaby").filter(|z| !z.is_null()))
}

/// A JS credential function (sync or async; the facade awaits either).
pub struct JsCredential(WeakFn<(), Promise<Value>>);

impl JsCredential {
    pub fn new(f: Function<'_, (), Promise<Value>>) -> Result<JsCredential> {
        Ok(JsCredential(f.build_threadsafe_function::<()>().weak::<true>().build()?))
    }
}

fn provider_failed(message: String, cause: Arc<dyn std::error::Error + Send + Sync>) -> ZabyError {
    ZabyError::client_with_source(codes::CREDENTIAL_PROVIDER_FAILED, message, cause)
}

#[async_trait]
impl CredentialProvider for JsCredential {
    async fn credential(&self) -> zaby::Result<String> {
        let promise = self.0.call_async(()).await.map_err(|_| closing())?;
        let answer = promise.await.map_err(|_| closing())?;
        if answer.get("ok").and_then(Value::as_bool) != Some(true) {
            let (host, _) = host_failure(&answer);
            return Err(provider_failed(format!("credential provider failed: {}", host.message), Arc::new(host)));
        }
        match answer.get("value") {
            Some(Value::String(s)) => Ok(s.clone()),
            other => {
                let got = match other {
                    None | Some(Value::Null) => "nothing".to_owned(),
                    Some(v) => format!("{v}"),
                };
                Err(provider_failed(
                    format!("credential provider must return a non-empty string, returned {got}"),
                    Arc::new(zaby::error::Message(format!("credential provider returned {got}"))),
                ))
            }
        }
    }
}

/// A chunk of a response body pulled from a host transport.
#[napi(object)]
pub struct PullAnswer {
    pub ok: bool,
    pub done: Option<bool>,
    pub chunk: Option<Uint8Array>,
    pub error_id: Option<u32>,
    pub message: Option<String>,
    pub connection_error: Option<bool>,
}

/// The functions of a wrapped custom transport (`docs/testing.md`).
pub struct JsTransport {
    send: WeakFn<Value, Promise<Value>>,
    pull: Arc<WeakFn<u32, Promise<PullAnswer>>>,
    /// Aborts an in-flight send or releases a body stream the core dropped.
    cancel: Arc<WeakFn<u32, ()>>,
    next_id: AtomicU32,
}

impl JsTransport {
    pub fn new(
        send: Function<'_, Value, Promise<Value>>,
        pull: Function<'_, u32, Promise<PullAnswer>>,
        cancel: Function<'_, u32, ()>,
    ) -> Result<JsTransport> {
        Ok(JsTransport {
            send: send.build_threadsafe_function::<Value>().weak::<true>().build()?,
            pull: Arc::new(pull.build_threadsafe_function::<u32>().weak::<true>().build()?),
            cancel: Arc::new(cancel.build_threadsafe_function::<u32>().weak::<true>().build()?),
            next_id: AtomicU32::new(1),
        })
    }
}

/// Tells the host to abort its work for `id` unless disarmed first: dropping the core's
/// future (timeout, abort, close) or body stream reaches the JS transport this way.
struct CancelOnDrop {
    cancel: Arc<WeakFn<u32, ()>>,
    id: u32,
    armed: bool,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.cancel.call(self.id, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}

/// A host transport error as the core sees it. A thrown `ZabyConnectionError` or
/// `ZabyTimeoutError` stays one (so retries and reconnects treat it as transient);
/// anything else propagates unchanged (`External`).
fn transport_error(answer: &Value) -> ZabyError {
    let (mut host, zaby_info) = host_failure(answer);
    match zaby_info.and_then(|z| z.get("className")).and_then(Value::as_str) {
        Some("ZabyConnectionError") => {
            host.passthrough = true;
            let message = host.message.clone();
            ZabyError::connection(message, Some(Arc::new(host)))
        }
        Some("ZabyTimeoutError") => {
            let ms = zaby_info.and_then(|z| z.get("timeoutMs")).and_then(Value::as_u64).unwrap_or(0);
            ZabyError::Timeout { message: host.message, timeout_ms: ms }
        }
        _ => ZabyError::External(Arc::new(host)),
    }
}

fn headers_of(v: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(Value::Object(map)) = v {
        for (k, v) in map {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            out.insert(k.to_ascii_lowercase(), text);
        }
    }
    out
}

#[async_trait]
impl Transport for JsTransport {
    async fn send(&self, request: TransportRequest) -> zaby::Result<TransportResponse> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut guard = CancelOnDrop { cancel: self.cancel.clone(), id, armed: true };
        let js_request = json!({
            "id": id,
            "method": request.method,
            "url": request.url,
            "path": request.path,
            "headers": request.headers,
            "json": request.json_body,
            "stream": request.stream,
            "timeoutMs": request.timeout.as_millis() as u64,
        });
        let promise = self.send.call_async(js_request).await.map_err(|_| closing())?;
        let answer = promise.await.map_err(|_| closing())?;
        guard.armed = false;
        if answer.get("ok").and_then(Value::as_bool) != Some(true) {
            return Err(transport_error(&answer));
        }
        let status =
            answer.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()).ok_or_else(|| {
                ZabyError::connection(format!("the custom transport answered without a valid status: {answer}"), None)
            })?;
        let mut response = TransportResponse {
            status,
            headers: headers_of(answer.get("headers")),
            json_body: answer.get("json").filter(|v| !v.is_null()).cloned(),
            body: answer.get("body").and_then(Value::as_str).map(str::to_owned),
            body_stream: None,
        };
        if let Some(stream_id) = answer.get("streamId").and_then(Value::as_u64) {
            response.body_stream = Some(self.body_stream(stream_id as u32));
        }
        Ok(response)
    }
}

impl JsTransport {
    /// The host's `bodyStream` as bytes, pulled one chunk at a time.
    fn body_stream(&self, id: u32) -> futures::stream::BoxStream<'static, zaby::Result<Bytes>> {
        let pull = self.pull.clone();
        let guard = CancelOnDrop { cancel: self.cancel.clone(), id, armed: true };
        futures::stream::unfold(Some((pull, guard)), move |state| async move {
            let (pull, mut guard) = state?;
            let answer = match pull.call_async(id).await {
                Ok(promise) => promise.await,
                Err(e) => Err(e),
            };
            let answer = match answer {
                Ok(a) => a,
                Err(_) => return Some((Err(closing()), None)),
            };
            if !answer.ok {
                guard.armed = false;
                let host = HostError {
                    id: answer.error_id.unwrap_or(0),
                    message: answer.message.unwrap_or_else(|| "reading the response body failed".into()),
                    passthrough: answer.connection_error == Some(true),
                };
                let error = if answer.connection_error == Some(true) {
                    ZabyError::connection(host.message.clone(), Some(Arc::new(host)))
                } else {
                    ZabyError::External(Arc::new(host))
                };
                return Some((Err(error), None));
            }
            if answer.done == Some(true) {
                guard.armed = false;
                return None;
            }
            let chunk = answer.chunk.map(|c: Uint8Array| Bytes::copy_from_slice(&c[..])).unwrap_or_default();
            Some((Ok(chunk), Some((pull, guard))))
        })
        .boxed()
    }
}
