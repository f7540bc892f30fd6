//! Errors as JSON for the bindings whose facades build their own exception classes
//! (Node, Kotlin): one object per error, its causes nested, turned into the class it
//! names on the other side (`docs/errors.md`). An exception thrown by host-language code the
//! core called (a custom transport, a credential provider) stays in the facade's
//! registry; the core carries it as a [`HostError`] naming its registry id, so the facade
//! hands the caller the very same object back.

use std::error::Error as StdError;
use std::fmt;

use serde_json::{Value, json};

use super::ZabyError;

/// A host-language exception kept in a binding facade's registry under `id`.
#[derive(Debug, Clone)]
pub struct HostError {
    pub id: u32,
    pub message: String,
    /// The host threw a Zaby error the core recreated (a connection error from a custom
    /// transport, so that it is retried): the caller still gets the original object.
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

fn host_payload(h: &HostError) -> Value {
    json!({ "host": h.id, "message": h.message })
}

impl ZabyError {
    /// The host exception this error *is* (not merely caused by), if any.
    fn host_identity(&self) -> Option<&HostError> {
        match self {
            ZabyError::External(cause) => host_of(cause.as_ref()),
            ZabyError::Connection { source: Some(src), .. } => host_of(src.as_ref()).filter(|h| h.passthrough),
            _ => None,
        }
    }

    /// The error as a binding's facade receives it: `{ className, message, code, status,
    /// requestId, retryAfter, details, headers, timeoutMs, runId, lastEventId, cause }`
    /// (`null` where a field does not apply), or `{ host, message }` for a [`HostError`]
    /// to hand back. A cause that is neither a Zaby nor a host error (I/O, TLS, …) is
    /// `{ className: "Error", message, cause }`.
    pub fn payload(&self) -> Value {
        if let Some(h) = self.host_identity() {
            return host_payload(h);
        }
        let mut p = json!({
            "className": self.class_name(),
            "message": self.message(),
            "code": self.code(),
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
        match self {
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
        if let Some(cause) = self.source() {
            p["cause"] = cause_payload(cause);
        }
        p
    }
}

fn cause_payload(cause: &(dyn StdError + 'static)) -> Value {
    if let Some(z) = cause.downcast_ref::<ZabyError>() {
        return z.payload();
    }
    if let Some(h) = host_of(cause) {
        return host_payload(h);
    }
    let mut p = json!({ "className": "Error", "message": cause.to_string(), "cause": null });
    if let Some(inner) = cause.source() {
        p["cause"] = cause_payload(inner);
    }
    p
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn host(id: u32, passthrough: bool) -> HostError {
        HostError { id, message: format!("host {id}"), passthrough }
    }

    #[test]
    fn a_timeout_names_its_class_and_deadline_with_every_other_field_null() {
        let p = ZabyError::timeout(250).payload();
        assert_eq!(p["className"], "ZabyTimeoutError");
        assert_eq!(p["code"], "TIMEOUT");
        assert_eq!(p["timeoutMs"], 250);
        assert!(p["status"].is_null() && p["cause"].is_null() && p["details"].is_null());
    }

    #[test]
    fn a_host_error_is_handed_back_as_its_registry_id() {
        assert_eq!(ZabyError::External(Arc::new(host(7, false))).payload(), json!({ "host": 7, "message": "host 7" }));
        let passthrough = ZabyError::connection("reset", Some(Arc::new(host(8, true))));
        assert_eq!(passthrough.payload(), json!({ "host": 8, "message": "host 8" }));
    }

    #[test]
    fn a_host_error_that_only_caused_the_failure_is_nested_as_its_cause() {
        let p = ZabyError::connection("reset", Some(Arc::new(host(9, false)))).payload();
        assert_eq!(p["className"], "ZabyConnectionError");
        assert_eq!(p["cause"], json!({ "host": 9, "message": "host 9" }));
    }

    #[test]
    fn a_plain_rust_cause_becomes_an_error_with_its_message() {
        let io = std::io::Error::other("disk on fire");
        let p = ZabyError::connection("failed", Some(Arc::new(io))).payload();
        assert_eq!(p["cause"]["className"], "Error");
        assert_eq!(p["cause"]["message"], "disk on fire");
    }
}
