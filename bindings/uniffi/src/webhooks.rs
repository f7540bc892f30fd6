//! `Webhooks.verify`: the core's check of a delivery's signature, translated.

use std::collections::HashMap;
use std::time::Duration;

use crate::errors::FfiError;

/// The delivery's event as JSON text, or the error payload (`ZabyWebhookVerificationError`).
#[uniffi::export]
pub fn verify_webhook(
    payload: Vec<u8>,
    headers: HashMap<String, String>,
    secret: String,
    tolerance_s: f64,
) -> Result<String, FfiError> {
    let tolerance = Duration::try_from_secs_f64(tolerance_s).map_err(|_| {
        zaby::ZabyError::invalid_argument(format!("toleranceS must be a finite number ≥ 0, not {tolerance_s}"))
    })?;
    let event = zaby::webhooks::verify(&payload, headers, &secret, tolerance)?;
    serde_json::to_string(&event).map_err(|e| zaby::ZabyError::invalid_argument(e.to_string()).into())
}
