//! The error hierarchy of `docs/errors.md`, as one Rust type the bindings map to host classes.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

mod payload;
pub use payload::HostError;

/// Any underlying error kept as the `cause` of a [`ZabyError`].
pub type Cause = Arc<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`ZabyError`].
pub type Result<T, E = ZabyError> = std::result::Result<T, E>;

/// SDK-side error codes (`docs/errors.md`, `docs/streaming.md`).
pub mod codes {
    pub const CONNECTION_ERROR: &str = "CONNECTION_ERROR";
    pub const TIMEOUT: &str = "TIMEOUT";
    pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";
    pub const INVALID_CONFIG: &str = "INVALID_CONFIG";
    pub const CREDENTIAL_PROVIDER_FAILED: &str = "CREDENTIAL_PROVIDER_FAILED";
    pub const CLIENT_CLOSED: &str = "CLIENT_CLOSED";
    pub const PAGINATION_CURSOR_REPEATED: &str = "PAGINATION_CURSOR_REPEATED";
    pub const MOCK_TRANSPORT: &str = "MOCK_TRANSPORT";
    pub const ABORTED: &str = "ABORTED";
    pub const STREAM_DISCONNECTED: &str = "STREAM_DISCONNECTED";
    pub const STREAM_TIMEOUT: &str = "STREAM_TIMEOUT";
    pub const STREAM_ERROR: &str = "STREAM_ERROR";
    /// `webhooks::verify`: no signature matches, or a signed header is missing (docs/webhooks.md).
    pub const WEBHOOK_SIGNATURE_INVALID: &str = "WEBHOOK_SIGNATURE_INVALID";
    /// `webhooks::verify`: `webhook-timestamp` is further from now than the tolerance.
    pub const WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE: &str = "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE";
}

/// Everything the SDK can fail with.
#[derive(Clone)]
#[non_exhaustive]
pub enum ZabyError {
    /// The server answered with a non-2xx status, or a stream failed (`ZabyApiError` and subclasses).
    Api(Box<ApiError>),
    /// No HTTP response: DNS, refused or reset connection, TLS, interrupted body.
    Connection { message: String, source: Option<Cause> },
    /// An attempt exceeded its deadline.
    Timeout { message: String, timeout_ms: u64 },
    /// An error raised by the SDK itself (`INVALID_ARGUMENT`, `CLIENT_CLOSED`, `MOCK_TRANSPORT`, …).
    Client { code: String, message: String, source: Option<Cause> },
    /// An error raised by host-language code (a custom transport, a provider) that must
    /// reach the caller unchanged. Bindings put the host exception in `source` and
    /// re-raise it as it was.
    External(Cause),
}

/// The class an [`ApiError`] maps to (`docs/errors.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiErrorKind {
    Generic,
    Auth,
    RuntimeTokenExpired,
    Permission,
    RuntimeTokenExhausted,
    NotFound,
    Conflict,
    Validation,
    RateLimit,
    Stream,
}

impl ApiErrorKind {
    /// The mapping table of `docs/errors.md`: the first matching row wins.
    pub fn classify(status: u16, code: Option<&str>) -> Self {
        match (code, status) {
            (Some("MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED"), _) => Self::RuntimeTokenExpired,
            (Some("MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED"), _) => Self::RuntimeTokenExhausted,
            (_, 429) => Self::RateLimit,
            (_, 401) => Self::Auth,
            (_, 403) => Self::Permission,
            (_, 404) => Self::NotFound,
            (_, 409) => Self::Conflict,
            (_, 400 | 422) => Self::Validation,
            _ => Self::Generic,
        }
    }

    pub fn class_name(self) -> &'static str {
        match self {
            Self::Generic => "ZabyApiError",
            Self::Auth => "ZabyAuthError",
            Self::RuntimeTokenExpired => "ZabyRuntimeTokenExpiredError",
            Self::Permission => "ZabyPermissionError",
            Self::RuntimeTokenExhausted => "ZabyRuntimeTokenExhaustedError",
            Self::NotFound => "ZabyNotFoundError",
            Self::Conflict => "ZabyConflictError",
            Self::Validation => "ZabyValidationError",
            Self::RateLimit => "ZabyRateLimitError",
            Self::Stream => "ZabyStreamError",
        }
    }

    fn parent(self) -> Option<Self> {
        match self {
            Self::RuntimeTokenExpired => Some(Self::Auth),
            Self::RuntimeTokenExhausted => Some(Self::Permission),
            Self::Generic => None,
            _ => Some(Self::Generic),
        }
    }
}

/// Every class of the hierarchy with its parent, root first (`docs/errors.md`).
pub const ERROR_CLASSES: &[(&str, Option<&str>)] = &[
    ("ZabyError", None),
    ("ZabyApiError", Some("ZabyError")),
    ("ZabyAuthError", Some("ZabyApiError")),
    ("ZabyRuntimeTokenExpiredError", Some("ZabyAuthError")),
    ("ZabyPermissionError", Some("ZabyApiError")),
    ("ZabyRuntimeTokenExhaustedError", Some("ZabyPermissionError")),
    ("ZabyNotFoundError", Some("ZabyApiError")),
    ("ZabyConflictError", Some("ZabyApiError")),
    ("ZabyValidationError", Some("ZabyApiError")),
    ("ZabyRateLimitError", Some("ZabyApiError")),
    ("ZabyStreamError", Some("ZabyApiError")),
    ("ZabyConnectionError", Some("ZabyError")),
    ("ZabyTimeoutError", Some("ZabyError")),
    ("MockTransportError", Some("ZabyError")),
    ("ZabyWebhookVerificationError", Some("ZabyError")),
];

/// A failed HTTP exchange (or stream), with everything the server said.
#[derive(Clone)]
pub struct ApiError {
    pub kind: ApiErrorKind,
    pub status: u16,
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub retry_after: Option<u64>,
    /// The whole parsed response body (`docs/errors.md` `details`).
    pub details: Option<Value>,
    pub headers: BTreeMap<String, String>,
    /// Stream errors only: the run being streamed.
    pub run_id: Option<String>,
    /// Stream errors only: the last event delivered before the failure.
    pub last_event_id: Option<String>,
    pub source: Option<Box<ZabyError>>,
}

impl ApiError {
    /// Builds the error for a non-2xx response (`docs/errors.md`).
    /// `sent_request_id` is the `x-request-id` the SDK sent, used when the response has none.
    pub fn from_parts(
        status: u16,
        headers: BTreeMap<String, String>,
        body: Option<Value>,
        sent_request_id: Option<&str>,
    ) -> Self {
        let object = body.as_ref().and_then(Value::as_object);
        let message = object
            .and_then(|o| o.get("message"))
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("Zaby API request failed with status {status}."));
        let code = object.and_then(|o| {
            o.get("code")
                .and_then(Value::as_str)
                .or_else(|| o.get("errorCode").and_then(Value::as_str))
                .map(str::to_owned)
        });
        let request_id = headers.get("x-request-id").cloned().or_else(|| sent_request_id.map(str::to_owned));
        let retry_after = headers.get("retry-after").and_then(|v| parse_retry_after(v, SystemTime::now()));
        ApiError {
            kind: ApiErrorKind::classify(status, code.as_deref()),
            status,
            code,
            message,
            request_id,
            retry_after,
            details: body,
            headers,
            run_id: None,
            last_event_id: None,
            source: None,
        }
    }

    /// Alias of `details` (`docs/errors.md`).
    pub fn body(&self) -> Option<&Value> {
        self.details.as_ref()
    }
}

/// `retry-after` as whole seconds: an integer, or an HTTP-date counted from `now` (never negative).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO).as_secs())
}

impl ZabyError {
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        ZabyError::Client { code: code.to_owned(), message: message.into(), source: None }
    }

    pub fn client_with_source(code: &str, message: impl Into<String>, source: Cause) -> Self {
        ZabyError::Client { code: code.to_owned(), message: message.into(), source: Some(source) }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::client(codes::INVALID_ARGUMENT, message)
    }

    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::client(codes::INVALID_CONFIG, message)
    }

    pub fn connection(message: impl Into<String>, source: Option<Cause>) -> Self {
        ZabyError::Connection { message: message.into(), source }
    }

    pub fn timeout(timeout_ms: u64) -> Self {
        ZabyError::Timeout { message: format!("Zaby API request timed out after {timeout_ms} ms."), timeout_ms }
    }

    pub fn mock(message: impl Into<String>) -> Self {
        Self::client(codes::MOCK_TRANSPORT, message)
    }

    /// The class of the hierarchy the bindings raise (`docs/errors.md`).
    pub fn class_name(&self) -> &'static str {
        match self {
            ZabyError::Api(api) => api.kind.class_name(),
            ZabyError::Connection { .. } => "ZabyConnectionError",
            ZabyError::Timeout { .. } => "ZabyTimeoutError",
            ZabyError::Client { code, .. } if code == codes::MOCK_TRANSPORT => "MockTransportError",
            ZabyError::Client { code, .. }
                if code == codes::WEBHOOK_SIGNATURE_INVALID || code == codes::WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE =>
            {
                "ZabyWebhookVerificationError"
            }
            ZabyError::Client { .. } | ZabyError::External(_) => "ZabyError",
        }
    }

    /// Whether this error is an instance of `class_name` (subclasses included).
    pub fn is(&self, class_name: &str) -> bool {
        if class_name == "ZabyError" {
            return true;
        }
        match self {
            ZabyError::Api(api) => {
                let mut kind = Some(api.kind);
                while let Some(k) = kind {
                    if k.class_name() == class_name {
                        return true;
                    }
                    kind = k.parent();
                }
                false
            }
            _ => self.class_name() == class_name,
        }
    }

    pub fn message(&self) -> String {
        match self {
            ZabyError::Api(api) => api.message.clone(),
            ZabyError::Connection { message, .. }
            | ZabyError::Timeout { message, .. }
            | ZabyError::Client { message, .. } => message.clone(),
            ZabyError::External(e) => e.to_string(),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            ZabyError::Api(api) => api.code.as_deref(),
            ZabyError::Connection { .. } => Some(codes::CONNECTION_ERROR),
            ZabyError::Timeout { .. } => Some(codes::TIMEOUT),
            ZabyError::Client { code, .. } => Some(code),
            ZabyError::External(_) => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        self.api().map(|a| a.status)
    }

    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ZabyError::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The underlying error, as a `ZabyError` when it is one (the mapped HTTP error behind
    /// a stream failure) — see also [`StdError::source`].
    pub fn cause(&self) -> Option<&ZabyError> {
        match self {
            ZabyError::Api(api) => api.source.as_deref(),
            _ => None,
        }
    }

    /// Connection errors and timeouts: the failures that retries and reconnects absorb.
    pub fn is_transient(&self) -> bool {
        matches!(self, ZabyError::Connection { .. } | ZabyError::Timeout { .. })
    }
}

impl From<ApiError> for ZabyError {
    fn from(api: ApiError) -> Self {
        ZabyError::Api(Box::new(api))
    }
}

impl fmt::Display for ZabyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Debug for ZabyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZabyError::Api(api) => write!(
                f,
                "{}(status={}, code={:?}, message={:?}, request_id={:?})",
                api.kind.class_name(),
                api.status,
                api.code,
                api.message,
                api.request_id
            ),
            other => write!(f, "{}(code={:?}, message={:?})", other.class_name(), other.code(), other.message()),
        }
    }
}

impl StdError for ZabyError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            ZabyError::Api(api) => api.source.as_deref().map(|e| e as &(dyn StdError + 'static)),
            ZabyError::Connection { source, .. } | ZabyError::Client { source, .. } => {
                source.as_deref().map(|e| e as &(dyn StdError + 'static))
            }
            ZabyError::External(e) => Some(e.as_ref()),
            ZabyError::Timeout { .. } => None,
        }
    }
}

/// A plain message as an error cause (for provider failures described in text).
#[derive(Debug)]
pub struct Message(pub String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Message {}

#[cfg(test)]
mod tests;
