//! The signed POST that webhook deliveries and function tools run over HTTP both send
//! (docs/webhooks.md#signatures, docs/function-tools.md): `whsec_` secrets, the
//! Standard Webhooks headers — two signatures during a rotation's overlap — and one
//! request to the checked addresses of the URL.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::Rng;

use super::target;
use crate::util::clock::now_ms;
use crate::util::crypto::SecretBox;

/// How long the secret before a rotation keeps signing (two signatures per request).
pub(crate) const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;

/// `whsec_` + base64 of 32 random bytes.
pub(crate) fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    format!("whsec_{}", B64.encode(key))
}

/// A signer's secrets as stored: sealed with the secrets key, the previous one with
/// the end of its overlap.
pub(crate) struct SealedSecrets<'a> {
    pub(crate) current: &'a str,
    pub(crate) previous: Option<&'a str>,
    pub(crate) previous_expires_at: Option<i64>,
}

/// The `webhook-timestamp` and `webhook-signature` of a request: one signature with
/// the current secret, and one with the previous secret during a rotation's overlap.
pub(crate) fn signature(box_: &SecretBox, s: &SealedSecrets, id: &str, body: &str) -> Result<(i64, String), String> {
    let timestamp = now_ms() / 1000;
    let mut sealed = vec![s.current];
    if let (Some(previous), Some(until)) = (s.previous, s.previous_expires_at)
        && until > now_ms()
    {
        sealed.push(previous);
    }
    let mut out = Vec::with_capacity(sealed.len());
    for s in sealed {
        let secret = box_.open(s).map_err(|e| format!("the signing secret cannot be read: {e}"))?;
        let secret = String::from_utf8(secret).map_err(|_| "the signing secret is not text".to_string())?;
        out.push(zaby::webhooks::sign(&secret, id, timestamp, body.as_bytes()).map_err(|e| e.to_string())?);
    }
    Ok((timestamp, out.join(" ")))
}

/// One signed request: where it goes and what it carries.
pub(crate) struct SignedRequest<'a> {
    pub(crate) url: &'a str,
    pub(crate) user_agent: &'a str,
    /// `webhook-id`: the event id, or a tool call's id (receivers de-duplicate on it).
    pub(crate) id: &'a str,
    pub(crate) timestamp: i64,
    pub(crate) signature: &'a str,
    pub(crate) body: String,
    pub(crate) timeout: Duration,
    /// How much of the answer's body is kept.
    pub(crate) keep_bytes: usize,
}

/// What the receiver did with one request.
pub(crate) enum Answer {
    /// The status and the first `keep_bytes` of the body (as much as could be read).
    Status(u16, Vec<u8>),
    /// The target was refused before anything was sent (`target::Refusal`).
    Refused(String),
    /// No answer: connection error or timeout.
    None(String),
}

/// POSTs to the checked addresses of the URL; no redirects are followed.
pub(crate) async fn post(r: SignedRequest<'_>) -> Answer {
    let target = match target::resolve(r.url).await {
        Ok(t) => t,
        Err(target::Refusal::Forbidden(why)) => return Answer::Refused(why),
        Err(target::Refusal::Unreachable(why)) => return Answer::None(why),
    };
    let client = match reqwest::Client::builder()
        .timeout(r.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .resolve_to_addrs(&target.host, &target.addrs)
        .build()
    {
        Ok(c) => c,
        Err(e) => return Answer::None(format!("no HTTP client: {e}")),
    };
    let sent = client
        .post(target.url)
        .header("content-type", "application/json")
        .header("user-agent", r.user_agent)
        .header("webhook-id", r.id)
        .header("webhook-timestamp", r.timestamp.to_string())
        .header("webhook-signature", r.signature)
        .body(r.body)
        .send()
        .await;
    let mut resp = match sent {
        Ok(resp) => resp,
        Err(e) if e.is_timeout() => return Answer::None(no_answer_within(r.timeout)),
        Err(e) => return Answer::None(format!("the request failed: {e}")),
    };
    let status = resp.status().as_u16();
    let mut kept = Vec::new();
    while kept.len() < r.keep_bytes {
        match resp.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(r.keep_bytes);
    Answer::Status(status, kept)
}

fn no_answer_within(timeout: Duration) -> String {
    format!("no answer within {} ms", timeout.as_millis())
}
