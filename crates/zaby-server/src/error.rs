//! The error every layer returns: an HTTP status, a stable code (`docs/errors.md`), a
//! message, optional details and extra headers. The HTTP layer renders it as
//! `{code, message, details?}`.

use http::StatusCode;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Boxed to keep `Result<_, ApiError>` small.
    pub details: Option<Box<Value>>,
    pub retry_after: Option<u64>,
    /// The underlying error (storage, …) for logs only; never rendered.
    pub cause: Option<String>,
    /// Storage refused a write for lack of room or permission (`/health` reports it).
    pub storage_fault: bool,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
            cause: None,
            storage_fault: false,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", format!("{what} not found"))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 409 `SLUG_ALREADY_EXISTS` naming the `slug` field (agents, external apps, MCP
    /// servers).
    pub fn slug_taken(slug: &str) -> Self {
        Self::conflict("SLUG_ALREADY_EXISTS", format!("slug '{slug}' is already in use"))
            .with_details(json!({"errors": [{"field": "slug", "message": "is already in use"}]}))
    }

    /// 422 `VALIDATION_ERROR` for one field.
    pub fn invalid(field: &str, message: &str) -> Self {
        Self::validation(vec![(field.to_string(), message.to_string())])
    }

    /// 422 with a code other than `VALIDATION_ERROR` (e.g. `QUOTA_POLICY_MISMATCH`),
    /// still naming the field.
    pub fn unprocessable(code: &'static str, field: &str, message: &str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, format!("{field} {message}"))
            .with_details(json!({"errors": [{"field": field, "message": message}]}))
    }

    /// 422 `VALIDATION_ERROR` listing every failing field.
    pub fn validation(errors: Vec<(String, String)>) -> Self {
        let message = errors.iter().map(|(f, m)| format!("{f} {m}")).collect::<Vec<_>>().join("; ");
        let list: Vec<Value> = errors.iter().map(|(f, m)| json!({"field": f, "message": m})).collect();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR", message).with_details(json!({ "errors": list }))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message).with_retry_after(1)
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// A failure that may pass by itself (storage unavailable, a serialization
    /// failure, a deadlock, a lost connection, a busy database, shutting down): the
    /// same operation can be tried again.
    pub fn is_transient(&self) -> bool {
        self.status == StatusCode::SERVICE_UNAVAILABLE
    }

    /// The JSON body of `docs/errors.md`.
    pub fn body(&self) -> Value {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(d) = &self.details {
            body["details"] = (**d).clone();
        }
        body
    }
}

/// Whether a storage error may pass by itself: pool timeouts, I/O and protocol
/// failures, and database errors of the classes PostgreSQL documents as retryable
/// (40001 serialization failure, 40P01 deadlock, 08xxx connection exceptions, 53xxx
/// insufficient resources such as too many connections, 55P03 lock not available,
/// 57P0x shutdown), and SQLite's BUSY / LOCKED.
pub fn transient_storage_error(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            matches!(code.as_str(), "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03")
                || code.starts_with("08")
                || code.starts_with("53")
                // SQLite (numeric codes, shorter than PostgreSQL's five characters):
                // BUSY (5), LOCKED (6) and their extended codes.
                || (code.len() < 5 && code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6)))
        }
        _ => false,
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if crate::storage::health::capacity_fault(&err) {
            tracing::warn!(error = %err, "storage refuses writes (full or read-only)");
            let mut e = ApiError::unavailable("storage cannot accept writes now (full or read-only)")
                .with_cause(err.to_string());
            e.storage_fault = true;
            e
        } else if transient_storage_error(&err) {
            tracing::warn!(error = %err, "storage unavailable");
            ApiError::unavailable("storage is unavailable").with_cause(err.to_string())
        } else {
            tracing::error!(error = %err, "storage error");
            ApiError::internal("unexpected storage error").with_cause(err.to_string())
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        tracing::error!(error = %err, "internal error");
        ApiError::internal("unexpected server error").with_cause(format!("{err:#}"))
    }
}
