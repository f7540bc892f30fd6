//! `webhooks.verify`: the core's check of a delivery's signature, translated.

use std::collections::HashMap;

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
    let tolerance = zaby::webhooks::tolerance_from_secs(tolerance_s).map_err(throw)?;
    let event = zaby::webhooks::verify(&payload, headers, &secret, tolerance).map_err(throw)?;
    serde_json::to_value(event).map_err(|e| throw(zaby::ZabyError::invalid_argument(e.to_string())))
}
