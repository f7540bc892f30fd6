//! Checking that a webhook delivery comes from the Zaby server (docs/webhooks.md).
//!
//! Deliveries are signed with the Standard Webhooks scheme: `webhook-signature` holds
//! one or more space-separated `v1,<base64 HMAC-SHA256>` entries over
//! `"<webhook-id>.<webhook-timestamp>.<body>"`, keyed with the base64 part of the
//! endpoint's `whsec_…` secret. After a rotation the server signs with the old and
//! the new secret for 24 hours, so a receiver holding either one accepts the delivery.
//! The function tools the server calls over HTTP are signed the same way with the
//! agent's function-tool secret (docs/function-tools.md); [`verify_signature`] checks
//! those, returning the body as JSON of any shape instead of a webhook event.
//! This is the only implementation: the Python, TypeScript and Kotlin `verify` and
//! `verify_signature` call it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::Sha256;

use crate::error::{Result, ZabyError, codes};
use crate::types::WebhookEvent;

/// How far `webhook-timestamp` may be from now, either way, unless the caller says
/// otherwise: wide enough for clock skew and a slow queue, narrow enough that a
/// captured delivery cannot be replayed much later.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

const SECRET_PREFIX: &str = "whsec_";

/// Checks a delivery's signature and timestamp, then returns its body as an event.
///
/// `payload` is the request body exactly as received (before any JSON parsing);
/// `headers` are the request headers, names in any case. A wrong or missing
/// signature fails with `WEBHOOK_SIGNATURE_INVALID`, a timestamp further than
/// `tolerance` from now with `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`, a secret that is
/// not `whsec_` + base64 with `INVALID_ARGUMENT`.
///
/// ```
/// let headers = [("webhook-id", "evt_1"), ("webhook-timestamp", "0"), ("webhook-signature", "v1,AAAA")];
/// let err = zaby::webhooks::verify(b"{}", headers, "whsec_AAAA", zaby::webhooks::DEFAULT_TOLERANCE).unwrap_err();
/// assert_eq!(err.code(), Some("WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE"));
/// ```
pub fn verify<K, V>(
    payload: &[u8],
    headers: impl IntoIterator<Item = (K, V)>,
    secret: &str,
    tolerance: Duration,
) -> Result<WebhookEvent>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    verify_at(payload, headers, secret, tolerance, SystemTime::now(), EVENT_SHAPE)
}

/// Checks a signed request's signature and timestamp as [`verify`] does, then returns
/// its body as JSON of any shape: for an http function tool's call
/// (`{toolCallId, runId, agentId, name, arguments}`, signed with the agent's
/// function-tool secret) or any other body signed with the Standard Webhooks scheme.
///
/// Fails as [`verify`] does (`WEBHOOK_SIGNATURE_INVALID`,
/// `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`, `INVALID_ARGUMENT` for a malformed secret), and
/// with `INVALID_ARGUMENT` when the signed body is not JSON.
///
/// ```
/// let secret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// let body = br#"{"toolCallId":"call_1","name":"get_weather","arguments":{"city":"Oslo"}}"#;
/// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
/// let signature = zaby::webhooks::sign(secret, "call_1", now, body)?;
/// let timestamp = now.to_string();
/// let headers = [("webhook-id", "call_1"), ("webhook-timestamp", timestamp.as_str()), ("webhook-signature", signature.as_str())];
/// let call = zaby::webhooks::verify_signature(body, headers, secret, zaby::webhooks::DEFAULT_TOLERANCE)?;
/// assert_eq!(call["arguments"]["city"], "Oslo");
/// # Ok::<(), zaby::ZabyError>(())
/// ```
pub fn verify_signature<K, V>(
    payload: &[u8],
    headers: impl IntoIterator<Item = (K, V)>,
    secret: &str,
    tolerance: Duration,
) -> Result<Value>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    verify_at(payload, headers, secret, tolerance, SystemTime::now(), "JSON")
}

/// The tolerance the bindings take in seconds (Python `tolerance_s`, TypeScript and
/// Kotlin `toleranceS`); a negative, infinite or NaN number is `INVALID_ARGUMENT`.
pub fn tolerance_from_secs(secs: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(secs).map_err(|_| {
        ZabyError::invalid_argument(format!("the tolerance must be a finite number of seconds, 0 or more, not {secs}"))
    })
}

/// The `webhook-signature` entry for `payload` under `secret`: `v1,` and the base64
/// HMAC-SHA256 of `"<id>.<timestamp>.<payload>"`. The server signs every delivery with
/// it (once per secret during a rotation's overlap); a receiver's own tests can sign
/// their fixtures with it.
pub fn sign(secret: &str, id: &str, timestamp: i64, payload: &[u8]) -> Result<String> {
    let mac = signed_content(&decode_secret(secret)?, id, &timestamp.to_string(), payload)?;
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// The MAC state over `"<id>.<timestamp>.<payload>"`, the content both sides sign.
fn signed_content(key: &[u8], id: &str, timestamp: &str, payload: &[u8]) -> Result<Hmac> {
    let mut mac = Hmac::new_from_slice(key).map_err(|_| ZabyError::invalid_argument("the webhook secret is empty"))?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(payload);
    Ok(mac)
}

/// What [`verify`] reads the body as, named in its error.
const EVENT_SHAPE: &str = "a webhook event (id, type, createdAt, tenantId, data)";

/// [`verify`] and [`verify_signature`] with the current time given, so tests can check
/// fixed vectors: the signature check, then the body read as `T` (`shape` names it when
/// it is not).
pub(crate) fn verify_at<T, K, V>(
    payload: &[u8],
    headers: impl IntoIterator<Item = (K, V)>,
    secret: &str,
    tolerance: Duration,
    now: SystemTime,
    shape: &str,
) -> Result<T>
where
    T: DeserializeOwned,
    K: AsRef<str>,
    V: AsRef<str>,
{
    check_signature(payload, headers, secret, tolerance, now)?;
    serde_json::from_slice(payload)
        .map_err(|e| ZabyError::invalid_argument(format!("the signed payload is not {shape}: {e}")))
}

/// The check both [`verify`] and [`verify_signature`] make: the secret, the three
/// headers, the timestamp within `tolerance` of `now`, and one signature matching.
fn check_signature<K, V>(
    payload: &[u8],
    headers: impl IntoIterator<Item = (K, V)>,
    secret: &str,
    tolerance: Duration,
    now: SystemTime,
) -> Result<()>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    let key = decode_secret(secret)?;
    let signed = SignedHeaders::find(headers)?;
    check_timestamp(&signed.timestamp, tolerance, now)?;

    let mac = signed_content(&key, &signed.id, &signed.timestamp, payload)?;
    // `verify_slice` compares in constant time; every entry is tried so that the
    // time taken does not tell which one matched.
    let matched = signed
        .signatures
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .fold(false, |found, sig| mac.clone().verify_slice(&sig).is_ok() | found);
    if matched {
        Ok(())
    } else {
        Err(signature_invalid("no signature in webhook-signature matches the payload and the secret"))
    }
}

type Hmac = hmac::Hmac<Sha256>;

/// The three headers the scheme signs with.
struct SignedHeaders {
    id: String,
    timestamp: String,
    signatures: String,
}

impl SignedHeaders {
    fn find<K: AsRef<str>, V: AsRef<str>>(headers: impl IntoIterator<Item = (K, V)>) -> Result<Self> {
        let (mut id, mut timestamp, mut signatures) = (None, None, None);
        for (name, value) in headers {
            let slot = match name.as_ref().to_ascii_lowercase().as_str() {
                "webhook-id" => &mut id,
                "webhook-timestamp" => &mut timestamp,
                "webhook-signature" => &mut signatures,
                _ => continue,
            };
            *slot = Some(value.as_ref().trim().to_owned());
        }
        let present = |value: Option<String>, name: &str| {
            value.filter(|v| !v.is_empty()).ok_or_else(|| signature_invalid(format!("the {name} header is missing")))
        };
        Ok(SignedHeaders {
            id: present(id, "webhook-id")?,
            timestamp: present(timestamp, "webhook-timestamp")?,
            signatures: present(signatures, "webhook-signature")?,
        })
    }
}

fn decode_secret(secret: &str) -> Result<Vec<u8>> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    match STANDARD.decode(b64) {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(ZabyError::invalid_argument(
            "the webhook secret must be `whsec_` followed by base64, as the server showed it",
        )),
    }
}

fn check_timestamp(header: &str, tolerance: Duration, now: SystemTime) -> Result<()> {
    let sent: i64 = header
        .parse()
        .map_err(|_| signature_invalid(format!("webhook-timestamp {header:?} is not a unix time in seconds")))?;
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    };
    let skew = now.abs_diff(sent);
    if skew > tolerance.as_secs() {
        let when = if sent < now { "old" } else { "ahead of this clock" };
        return Err(ZabyError::client(
            codes::WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE,
            format!("webhook-timestamp is {skew} s {when}; at most {} s is accepted", tolerance.as_secs()),
        ));
    }
    Ok(())
}

fn signature_invalid(message: impl Into<String>) -> ZabyError {
    ZabyError::client(codes::WEBHOOK_SIGNATURE_INVALID, message)
}

#[cfg(test)]
mod tests;
