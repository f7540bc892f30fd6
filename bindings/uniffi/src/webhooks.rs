//! `Webhooks.verify`: the core's check of a delivery's signature, translated.

use std::collections::HashMap;

use crate::errors::FfiError;

/// The delivery's event as JSON text, or the error payload (`ZabyWebhookVerificationError`).
#[uniffi::export]
pub fn verify_webhook(
    payload: Vec<u8>,
    headers: HashMap<String, String>,
    secret: String,
    tolerance_s: f64,
) -> Result<String, FfiError> {
    let tolerance = zaby::webhooks::tolerance_from_secs(tolerance_s)?;
    let event = zaby::webhooks::verify(&payload, headers, &secret, tolerance)?;
    serde_json::to_string(&event).map_err(|e| zaby::ZabyError::invalid_argument(e.to_string()).into())
}
