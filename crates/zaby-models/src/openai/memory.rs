//! Memory candidates from a real model (`docs/server.md`: "the model extracts them when
//! a real model is configured").

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use super::{OpenAiConfig, http};
use crate::error::ModelError;
use crate::memory::{MemoryCandidate, MemoryKind, extract_memory_candidates};

const PROMPT: &str = "You extract long-term memory about the user from one conversation turn. \
List only durable facts the user states about themselves, things they explicitly ask you to \
remember, and their stated preferences. Ignore questions, requests and anything about other \
people's data. Answer with a JSON array and nothing else: \
[{\"content\": \"<the fact in the user's words>\", \"kind\": \"FACT\" | \"PREFERENCE\"}]. \
Answer [] when there is nothing to remember.";

/// Asks the model for candidates; when the request fails or the answer is not the
/// requested JSON, falls back to the development rules (README, section 6) so a completed run still proposes the
/// obvious ones (the failure is logged, never surfaced to the run).
pub(crate) async fn extract(
    client: &reqwest::Client,
    config: &OpenAiConfig,
    message: &str,
    final_output: &str,
) -> Vec<MemoryCandidate> {
    match ask(client, config, message, final_output).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(
                model = %config.model,
                error = %error,
                "memory extraction by the model failed; using the rules"
            );
            extract_memory_candidates(message)
        }
    }
}

async fn ask(
    client: &reqwest::Client,
    config: &OpenAiConfig,
    message: &str,
    final_output: &str,
) -> Result<Vec<MemoryCandidate>, ModelError> {
    let body = json!({
        "model": config.model,
        "stream": false,
        "temperature": 0,
        "messages": [
            { "role": "system", "content": PROMPT },
            { "role": "user", "content": format!("User: {message}\nAssistant: {final_output}") },
        ],
    });
    let response = http::send_with_retries(client, config, &body).await?;
    let completion: Value = tokio::time::timeout(config.timeout, response.json())
        .await
        .map_err(|_| ModelError::model("the model provider did not finish its answer in time"))?
        .map_err(|error| ModelError::model(format!("the model provider answered invalid JSON: {error}")))?;
    let text = completion
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| ModelError::model("the completion has no message content"))?;
    parse_candidates(text)
}

static JSON_ARRAY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\[.*\]").expect("valid pattern"));

/// Reads the model's answer: a JSON array (possibly inside a code fence or prose) of
/// `{content, kind}` objects or plain strings. Empty contents are dropped, contents are
/// trimmed, unknown kinds become `FACT`, repeats are removed.
pub(crate) fn parse_candidates(text: &str) -> Result<Vec<MemoryCandidate>, ModelError> {
    let array = JSON_ARRAY.find(text).map(|m| m.as_str()).unwrap_or(text);
    let items: Vec<Value> = serde_json::from_str(array)
        .map_err(|_| ModelError::model("the model did not answer with a JSON array of memories"))?;
    let mut found: Vec<MemoryCandidate> = Vec::new();
    for item in items {
        let (content, kind) = match &item {
            Value::String(content) => (content.as_str(), None),
            Value::Object(map) => (
                map.get("content").and_then(Value::as_str).unwrap_or_default(),
                map.get("kind").and_then(Value::as_str),
            ),
            _ => continue,
        };
        let content = content.trim();
        if content.is_empty() || found.iter().any(|c| c.content == content) {
            continue;
        }
        let kind = match kind.map(str::to_ascii_uppercase).as_deref() {
            Some("PREFERENCE") => MemoryKind::Preference,
            Some("SUMMARY") => MemoryKind::Summary,
            Some("OTHER") => MemoryKind::Other,
            _ => MemoryKind::Fact,
        };
        found.push(MemoryCandidate { content: content.to_owned(), kind });
    }
    Ok(found)
}
