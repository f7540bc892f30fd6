//! A client for an OpenAI-compatible `POST {base_url}/embeddings` endpoint (`docs/operations.md`
//! settings: `ZABY_EMBEDDINGS_BASE_URL`, `ZABY_EMBEDDINGS_API_KEY`,
//! `ZABY_EMBEDDINGS_MODEL`).

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

pub const ENV_BASE_URL: &str = "ZABY_EMBEDDINGS_BASE_URL";
pub const ENV_API_KEY: &str = "ZABY_EMBEDDINGS_API_KEY";
pub const ENV_MODEL: &str = "ZABY_EMBEDDINGS_MODEL";

/// Model requested when `ZABY_EMBEDDINGS_MODEL` is not set.
pub const DEFAULT_MODEL: &str = "text-embedding-3-small";
/// Inputs sent per request; longer lists are split into several requests.
pub const BATCH_SIZE: usize = 128;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingsConfig {
    /// E.g. `https://api.openai.com/v1`; `/embeddings` is appended.
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub timeout: Duration,
}

impl EmbeddingsConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        EmbeddingsConfig {
            base_url: base_url.into(),
            api_key: None,
            model: DEFAULT_MODEL.to_string(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// From the process environment; `None` when no base URL is set (no provider:
    /// every retrieval mode scores lexically).
    pub fn from_env() -> Option<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// From any variable lookup (the server merges CLI, environment and config file
    /// first). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let base_url = get(ENV_BASE_URL)?;
        let mut config = EmbeddingsConfig::new(base_url.trim());
        config.api_key = get(ENV_API_KEY);
        if let Some(model) = get(ENV_MODEL) {
            config.model = model;
        }
        Some(config)
    }

    fn endpoint(&self) -> String {
        format!("{}/embeddings", self.base_url.trim_end_matches('/'))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmbeddingsError {
    #[error("invalid embeddings configuration: {0}")]
    Config(String),
    #[error("embeddings request failed: {0}")]
    Transport(String),
    #[error("embeddings provider answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("invalid embeddings response: {0}")]
    InvalidResponse(String),
}

#[derive(Debug, Clone)]
pub struct EmbeddingsClient {
    http: reqwest::Client,
    endpoint: String,
    config: EmbeddingsConfig,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: Option<usize>,
    embedding: Vec<f32>,
}

impl EmbeddingsClient {
    pub fn new(config: EmbeddingsConfig) -> Result<Self, EmbeddingsError> {
        let endpoint = config.endpoint();
        let parsed = reqwest::Url::parse(&endpoint)
            .map_err(|e| EmbeddingsError::Config(format!("base URL {:?}: {e}", config.base_url)))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(EmbeddingsError::Config(format!("base URL {:?} must use http or https", config.base_url)));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| EmbeddingsError::Config(e.to_string()))?;
        Ok(EmbeddingsClient { http, endpoint, config })
    }

    pub fn config(&self) -> &EmbeddingsConfig {
        &self.config
    }

    /// Embeds each input; the result has one vector per input, in input order.
    pub async fn embed(&self, inputs: &[&str]) -> Result<Vec<Vec<f32>>, EmbeddingsError> {
        let mut out = Vec::with_capacity(inputs.len());
        for batch in inputs.chunks(BATCH_SIZE) {
            out.extend(self.embed_batch(batch).await?);
        }
        Ok(out)
    }

    /// Embeds one input.
    pub async fn embed_one(&self, input: &str) -> Result<Vec<f32>, EmbeddingsError> {
        self.embed(&[input])
            .await?
            .pop()
            .ok_or_else(|| EmbeddingsError::InvalidResponse("no embedding returned".into()))
    }

    async fn embed_batch(&self, batch: &[&str]) -> Result<Vec<Vec<f32>>, EmbeddingsError> {
        let body = json!({
            "model": self.config.model,
            "input": batch,
            "encoding_format": "float",
        });
        let mut request = self
            .http
            .post(&self.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        if let Some(key) = &self.config.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| EmbeddingsError::Transport(e.to_string()))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| EmbeddingsError::Transport(e.to_string()))?;
        if !status.is_success() {
            return Err(EmbeddingsError::Status { status: status.as_u16(), message: error_message(&bytes) });
        }
        let parsed: Response =
            serde_json::from_slice(&bytes).map_err(|e| EmbeddingsError::InvalidResponse(e.to_string()))?;
        order(parsed.data, batch.len())
    }
}

/// Puts the items in input order (providers may answer out of order; `index` says
/// where each belongs) and checks there is exactly one per input.
fn order(items: Vec<Item>, expected: usize) -> Result<Vec<Vec<f32>>, EmbeddingsError> {
    if items.len() != expected {
        return Err(EmbeddingsError::InvalidResponse(format!("expected {expected} embeddings, got {}", items.len())));
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
    for (position, item) in items.into_iter().enumerate() {
        let index = item.index.unwrap_or(position);
        let slot = slots
            .get_mut(index)
            .ok_or_else(|| EmbeddingsError::InvalidResponse(format!("embedding index {index} out of range")))?;
        if slot.replace(item.embedding).is_some() {
            return Err(EmbeddingsError::InvalidResponse(format!("embedding index {index} repeated")));
        }
    }
    Ok(slots.into_iter().map(|s| s.unwrap_or_default()).collect())
}

/// The provider's `error.message` when the body has one, else the body's start.
fn error_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body)
        && let Some(message) = value.pointer("/error/message").or_else(|| value.get("message")).and_then(|m| m.as_str())
    {
        return message.to_string();
    }
    let text = String::from_utf8_lossy(body);
    crate::text::first_chars(text.trim(), 200).to_string()
}
