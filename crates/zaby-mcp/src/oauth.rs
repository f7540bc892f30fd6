//! OAuth2 client-credentials grant (RFC 6749 §4.4) with a token cache. Tokens
//! are renewed shortly before they expire, so a request never leaves with a
//! token that dies in flight.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::McpError;
use crate::definition::{OAuth2ClientCredentials, TokenEndpointAuth};
use crate::error::describe;

/// Lifetime assumed when the token response has no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// Renew this long before the announced expiry (capped at a tenth of the lifetime).
const RENEW_MARGIN: Duration = Duration::from_secs(30);
/// Cached tokens kept at most; the oldest are dropped beyond it.
const MAX_CACHED: usize = 1024;

/// An access token and the instant after which it must not be used.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub value: String,
    pub renew_at: Instant,
}

#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<OAuth2ClientCredentials, AccessToken>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<f64>,
}

impl TokenCache {
    /// A valid token for `grant`, from the cache or a new grant.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        grant: &OAuth2ClientCredentials,
    ) -> Result<AccessToken, McpError> {
        if let Some(token) = self.cached(grant) {
            return Ok(token);
        }
        let token = request_token(http, grant).await?;
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        tokens.retain(|_, t| t.renew_at > now);
        if tokens.len() >= MAX_CACHED {
            tokens.clear();
        }
        tokens.insert(grant.clone(), token.clone());
        Ok(token)
    }

    fn cached(&self, grant: &OAuth2ClientCredentials) -> Option<AccessToken> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.get(grant).filter(|t| t.renew_at > Instant::now()).cloned()
    }

    /// Forgets the token of `grant` (after the MCP server refused it).
    pub fn forget(&self, grant: &OAuth2ClientCredentials) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.remove(grant);
    }
}

async fn request_token(http: &reqwest::Client, grant: &OAuth2ClientCredentials) -> Result<AccessToken, McpError> {
    let failed = |m: String| McpError::server(format!("OAuth2 token request to {} failed: {m}", grant.token_url));
    let scope = grant.scopes.join(" ");
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    if !scope.is_empty() {
        form.push(("scope", &scope));
    }
    let mut request = http.post(&grant.token_url).header(http::header::ACCEPT, "application/json");
    match grant.client_auth {
        TokenEndpointAuth::Basic => {
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
            request = request.basic_auth(form_encode(&grant.client_id), Some(form_encode(&grant.client_secret)));
        }
        TokenEndpointAuth::Post => {
            form.push(("client_id", &grant.client_id));
            form.push(("client_secret", &grant.client_secret));
        }
    }
    let started = Instant::now();
    let response = request.form(&form).send().await.map_err(|e| failed(describe(&e)))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| failed(describe(&e)))?;
    if !status.is_success() {
        let detail = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                let error = v.get("error")?.as_str()?.to_owned();
                Some(match v.get("error_description").and_then(|d| d.as_str()) {
                    Some(d) => format!("{error}: {d}"),
                    None => error,
                })
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
        return Err(failed(format!("HTTP {status}: {detail}")));
    }
    let parsed: TokenResponse =
        serde_json::from_slice(&body).map_err(|e| failed(format!("response is not a token response: {e}")))?;
    if let Some(kind) = &parsed.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(failed(format!("token_type {kind:?} is not Bearer")));
    }
    if parsed.access_token.is_empty() || http::HeaderValue::from_str(&parsed.access_token).is_err() {
        return Err(failed("access_token is empty or not header-safe".into()));
    }
    let lifetime = parsed
        .expires_in
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(1e9)))
        .unwrap_or(DEFAULT_LIFETIME);
    let margin = RENEW_MARGIN.min(lifetime / 10);
    Ok(AccessToken { value: parsed.access_token, renew_at: started + lifetime - margin })
}

fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(byte as char),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}
