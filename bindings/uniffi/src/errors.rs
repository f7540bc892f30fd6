//! Core errors as data for the Kotlin facade, which turns a payload into the
//! `ZabyException` subclass it names (`docs/errors.md`). An exception thrown by Kotlin code
//! the core called (a credential provider, a custom transport) travels as its id in the
//! facade's registry (`zaby::error::HostError`), so the caller gets the very same object
//! back. The payload is the core's `ZabyError::payload`, as for the Node binding.

use std::fmt;

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
        FfiError::Zaby { payload: e.payload().to_string() }
    }
}
