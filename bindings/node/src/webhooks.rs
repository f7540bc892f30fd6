//! `webhooks.verify` and `verifySignature`: the core's check of a signed request (a
//! webhook delivery, an http function tool's call), translated.

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

/// The signed body parsed from JSON (an http function tool's call), or a thrown
/// `ZabyWebhookVerificationError` payload.
#[napi]
pub fn verify_signature(
    payload: Buffer,
    headers: HashMap<String, String>,
    secret: String,
    tolerance_s: f64,
) -> Result<Value> {
    let tolerance = zaby::webhooks::tolerance_from_secs(tolerance_s).map_err(throw)?;
    zaby::webhooks::verify_signature(&payload, headers, &secret, tolerance).map_err(throw)
}
