//! `webhooks.verify`: the core's check of a delivery's signature, translated.

use std::collections::HashMap;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::throw;

/// The delivery's event, or a thrown `ZabyWebhookVerificationError` payload.
#[napi]
pub fn verify_webhook(
    payload: Buffer,
    headers: HashMap<String, String>,
    secret: String,
    tolerance_s: f64,
) -> Result<Value> {
    let tolerance = Duration::try_from_secs_f64(tolerance_s).map_err(|_| {
        throw(zaby::ZabyError::invalid_argument(format!("toleranceS must be a finite number ≥ 0, not {tolerance_s}")))
    })?;
    let event = zaby::webhooks::verify(&payload, headers, &secret, tolerance).map_err(throw)?;
    serde_json::to_value(event).map_err(|e| throw(zaby::ZabyError::invalid_argument(e.to_string())))
}
