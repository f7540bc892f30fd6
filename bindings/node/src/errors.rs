//! Core errors as plain data. The facade turns a payload into the class named by
//! `className` (API.md §3.1) and fills every field; a host exception (thrown by a
//! custom transport or a credential provider) travels as its registry id, so the
//! facade can hand the very same JS value back.

use std::error::Error as StdError;
use std::fmt;

use serde_json::{Value, json};
use zaby::ZabyError;

/// Prefix of the message of a synchronously thrown native error whose rest is a payload.
pub const PAYLOAD_PREFIX: &str = "\u{1}zaby-error:";

/// A JS exception kept in the facade's registry under `id`.
#[derive(Debug, Clone)]
pub struct HostError {
    pub id: u32,
    pub message: String,
    /// The host threw a Zaby error that the core recreated (a `ZabyConnectionError`
    /// from a custom transport): the caller gets the original object back.
    pub passthrough: bool,
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

/// The host exception an error *is* (not merely caused by), if any.
fn identity(e: &ZabyError) -> Option<&HostError> {
    match e {
        ZabyError::External(cause) => host_of(cause.as_ref()),
        ZabyError::Connection { source: Some(src), .. } => host_of(src.as_ref()).filter(|h| h.passthrough),
        _ => None,
    }
}

/// The payload of one error, its causes nested under `cause`.
pub fn payload(e: &ZabyError) -> Value {
    if let Some(h) = identity(e) {
        return json!({ "host": h.id, "message": h.message });
    }
    let mut p = json!({
        "className": e.class_name(),
        "message": e.message(),
        "code": e.code(),
        "status": null,
        "requestId": null,
        "retryAfter": null,
        "details": null,
        "headers": null,
        "timeoutMs": null,
        "runId": null,
        "lastEventId": null,
        "cause": null,
    });
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
    // A Rust error (reqwest, serde, …): the facade makes it a plain `Error`.
    let mut p = json!({ "className": "Error", "message": cause.to_string(), "cause": null });
    if let Some(inner) = cause.source() {
        p["cause"] = cause_payload(inner);
    }
    p
}

/// A napi error whose message carries the payload (for synchronous throws).
pub fn to_napi(e: &ZabyError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{PAYLOAD_PREFIX}{}", payload(e)))
}
