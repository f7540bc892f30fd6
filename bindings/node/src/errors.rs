//! Core errors as plain data (`ZabyError::payload`). The facade turns a payload into
//! the class named by `className` (`docs/errors.md`) and fills every field; a host exception
//! (thrown by a custom transport or a credential provider) travels as its registry id
//! (`zaby::error::HostError`), so the facade can hand the very same JS value back.

use zaby::ZabyError;

/// Prefix of the message of a synchronously thrown native error whose rest is a payload.
pub const PAYLOAD_PREFIX: &str = "\u{1}zaby-error:";

/// A napi error whose message carries the payload (for synchronous throws).
pub fn to_napi(e: &ZabyError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{PAYLOAD_PREFIX}{}", e.payload()))
}
