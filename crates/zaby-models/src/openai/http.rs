//! Sending the request: a bounded wait for the response headers, and retries with
//! exponential backoff on 408/429/5xx and connection failures.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, RETRY_AFTER};
use serde_json::Value;

use super::OpenAiConfig;
use super::assemble::{error_text, excerpt};
use crate::error::ModelError;

/// The longest `retry-after` the provider can make us wait between attempts.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why an attempt failed, and whether another attempt may help.
struct Failure {
    message: String,
    retryable: bool,
    retry_after: Option<Duration>,
}

/// Sends `body` until a 2xx response arrives (returned with its body unread), or fails
/// with `MODEL_ERROR` after `retry.max_retries` retries or on a non-retryable answer.
pub(crate) async fn send_with_retries(
    client: &reqwest::Client,
    config: &OpenAiConfig,
    body: &Value,
) -> Result<reqwest::Response, ModelError> {
    let url = config.chat_completions_url();
    let attempts = config.retry.max_retries + 1;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let failure = match send_once(client, config, &url, body).await {
            Ok(response) => return Ok(response),
            Err(failure) => failure,
        };
        if !failure.retryable || attempt >= attempts {
            let tries = if attempt == 1 { "1 attempt".to_owned() } else { format!("{attempt} attempts") };
            return Err(ModelError::model(format!(
                "model `{}` at {url} failed ({tries}): {}",
                config.model, failure.message
            )));
        }
        let delay = config.retry.delay(attempt, failure.retry_after);
        tracing::warn!(
            model = %config.model,
            %url,
            attempt,
            delay_ms = delay.as_millis() as u64,
            error = %failure.message,
            "model request failed, retrying"
        );
        tokio::time::sleep(delay).await;
    }
}

async fn send_once(
    client: &reqwest::Client,
    config: &OpenAiConfig,
    url: &str,
    body: &Value,
) -> Result<reqwest::Response, Failure> {
    let accept = if body.get("stream") == Some(&Value::Bool(true)) { "text/event-stream" } else { "application/json" };
    let mut request = client.post(url).header(ACCEPT, accept).json(body);
    if let Some(key) = config.api_key.as_deref().filter(|k| !k.is_empty()) {
        request = request.header(AUTHORIZATION, format!("Bearer {key}"));
    }
    let response = match tokio::time::timeout(config.timeout, request.send()).await {
        Err(_) => {
            return Err(Failure {
                message: format!("no response within {} ms", config.timeout.as_millis()),
                retryable: true,
                retry_after: None,
            });
        }
        Ok(Err(error)) => {
            return Err(Failure {
                message: format!("request failed: {}", error_chain(&error)),
                // A request that could not even be built will not work next time.
                retryable: !error.is_builder(),
                retry_after: None,
            });
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let detail = match tokio::time::timeout(config.timeout, response.text()).await {
        Ok(Ok(text)) => describe_error_body(&text),
        _ => String::new(),
    };
    let mut message = format!("HTTP {}", status.as_u16());
    if let Some(reason) = status.canonical_reason() {
        message.push(' ');
        message.push_str(reason);
    }
    message.push_str(&detail);
    Err(Failure { message, retryable: is_retryable(status), retry_after })
}

fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds).min(MAX_RETRY_AFTER))
}

/// `: <provider message>` from an error body, empty when there is nothing useful.
fn describe_error_body(text: &str) -> String {
    let message = match serde_json::from_str::<Value>(text) {
        Ok(value) => match value.get("error") {
            Some(error) => error_text(error),
            None => excerpt(text),
        },
        Err(_) => excerpt(text),
    };
    if message.is_empty() { String::new() } else { format!(": {message}") }
}

/// An error with its causes ("connection refused" hides a few levels down in reqwest).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
