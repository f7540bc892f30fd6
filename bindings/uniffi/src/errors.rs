//! Core errors as data for the Kotlin facade, which turns a payload into the
//! `ZabyException` subclass it names (API.md §3.1). An exception thrown by Kotlin code
//! the core called (a credential provider, a custom transport) travels as its id in the
//! facade's registry, so the caller gets the very same object back.

use std::error::Error as StdError;
use std::fmt;

use serde_json::{Value, json};
use zaby::ZabyError;

/// What a failed call returns to Kotlin: the error as JSON text
/// (`{ className, message, code, status, requestId, retryAfter, details, headers,
/// timeoutMs, runId, lastEventId, cause }`, or `{ host, message }` for a Kotlin exception).
#[derive(Debug, uniffi::Error)]
pub enum FfiError {
    Zaby { payload: String },
}

impl fmt::Display for FfiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let FfiError::Zaby { payload } = self;
        f.write_str(payload)
    }
}

impl From<ZabyError> for FfiError {
    fn from(e: ZabyError) -> Self {
        FfiError::Zaby { payload: payload(&e).to_string() }
    }
}

/// A Kotlin exception, kept in the facade's registry under `id`.
#[derive(Debug, Clone)]
pub(crate) struct HostError {
    pub(crate) id: u32,
    pub(crate) message: String,
    /// Kotlin threw a `ZabyConnectionException` the core recreated (so it is retried):
    /// the caller still gets the original object.
    pub(crate) passthrough: bool,
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for HostError {}

fn host_of<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a HostError> {
    e.downcast_ref::<HostError>()
}

/// The Kotlin exception an error *is* (not merely caused by), if any.
fn identity(e: &ZabyError) -> Option<&HostError> {
    match e {
        ZabyError::External(cause) => host_of(cause.as_ref()),
        ZabyError::Connection { source: Some(src), .. } => host_of(src.as_ref()).filter(|h| h.passthrough),
        _ => None,
    }
}

fn payload(e: &ZabyError) -> Value {
    if let Some(h) = identity(e) {
        return json!({ "host": h.id, "message": h.message });
    }
    let mut p = json!({ "className": e.class_name(), "message": e.message(), "code": e.code() });
    match e {
        ZabyError::Api(api) => {
            p["status"] = json!(api.status);
            p["requestId"] = json!(api.request_id);
            p["retryAfter"] = json!(api.retry_after);
            p["details"] = api.details.clone().unwrap_or(Value::Null);
            p["headers"] = json!(api.headers);
            p["runId"] = json!(api.run_id);
            p["lastEventId"] = json!(api.last_event_id);
        }
        ZabyError::Timeout { timeout_ms, .. } => p["timeoutMs"] = json!(timeout_ms),
        _ => {}
    }
    if let Some(cause) = e.source() {
        p["cause"] = cause_payload(cause);
    }
    p
}

fn cause_payload(cause: &(dyn StdError + 'static)) -> Value {
    if let Some(z) = cause.downcast_ref::<ZabyError>() {
        return payload(z);
    }
    if let Some(h) = host_of(cause) {
        return json!({ "host": h.id, "message": h.message });
    }
    // A Rust error (reqwest, serde, …): the facade makes it a plain exception.
    let mut p = json!({ "className": "Error", "message": cause.to_string() });
    if let Some(inner) = cause.source() {
        p["cause"] = cause_payload(inner);
    }
    p
}
