//! `Webhooks.verify` and `verifySignature`: the core's check of a signed request (a
//! webhook delivery, an http function tool's call), translated.

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

/// The signed body as JSON text (an http function tool's call), or the error payload
/// (`ZabyWebhookVerificationError`).
#[uniffi::export]
pub fn verify_signature(
    payload: Vec<u8>,
    headers: HashMap<String, String>,
    secret: String,
    tolerance_s: f64,
) -> Result<String, FfiError> {
    let tolerance = zaby::webhooks::tolerance_from_secs(tolerance_s)?;
    let body = zaby::webhooks::verify_signature(&payload, headers, &secret, tolerance)?;
    Ok(body.to_string())
}
