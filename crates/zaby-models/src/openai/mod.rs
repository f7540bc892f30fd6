//! The `openai` provider: any OpenAI-compatible `/chat/completions` endpoint, streamed.

mod assemble;
mod http;
mod memory;
mod request;
mod tool_names;

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use futures::{Stream, StreamExt};
use serde_json::Value;
use zaby::sse::SseParser;

use self::assemble::Assembler;
use self::tool_names::ToolNames;
use crate::error::ModelError;
use crate::memory::MemoryCandidate;
use crate::provider::{ModelProvider, ModelStream, ProviderKind};
use crate::types::{ModelEvent, StepRequest};

/// Default wait for the response headers, and for each piece of the streamed body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// Retries of a request that failed with 408, 429, 5xx, a connection error or a
/// timeout before the response started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Retries after the first attempt (default 3, so at most 4 attempts).
    pub max_retries: u32,
    /// Wait before the first retry (default 500 ms); doubled for each further one.
    pub initial_backoff: Duration,
    /// Cap of the doubled wait (default 8 s). A `retry-after` header (up to 30 s) is
    /// honoured when it asks for longer.
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig { max_retries: 3, initial_backoff: Duration::from_millis(500), max_backoff: Duration::from_secs(8) }
    }
}

impl RetryConfig {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let doubled = self.initial_backoff.saturating_mul(1u32 << (attempt.saturating_sub(1)).min(20));
        let backoff = doubled.min(self.max_backoff);
        retry_after.map_or(backoff, |hint| hint.max(backoff))
    }
}

/// Where and how to reach an OpenAI-compatible endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenAiConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`;
    /// requests go to `{base_url}/chat/completions`.
    pub base_url: String,
    /// Sent as `authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    /// The provider's model name (`model` in the request body).
    pub model: String,
    /// Longest wait for the response headers, and between two pieces of the streamed
    /// body (a total limit would cut off long answers).
    pub timeout: Duration,
    pub retry: RetryConfig,
}

impl OpenAiConfig {
    pub fn new(base_url: impl Into<String>, api_key: Option<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            api_key,
            model: model.into(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryConfig::default(),
        }
    }

    pub fn chat_completions_url(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }
}

// The API key never appears in logs or debug output.
impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// The `openai` provider.
#[derive(Clone, Debug)]
pub struct OpenAiProvider {
    client: reqwest::Client,
    config: OpenAiConfig,
}

impl OpenAiProvider {
    /// A provider with its own HTTP client.
    pub fn new(config: OpenAiConfig) -> Result<Self, ModelError> {
        Ok(Self::with_client(default_client()?, config))
    }

    /// A provider sharing `client` (and its connection pool) with others.
    pub fn with_client(client: reqwest::Client, config: OpenAiConfig) -> Self {
        OpenAiProvider { client, config }
    }

    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }
}

/// The HTTP client the registry shares between providers (rustls, 10 s connect limit).
pub fn default_client() -> Result<reqwest::Client, ModelError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("zaby-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ModelError::model(format!("cannot build the HTTP client: {error}")))
}

#[async_trait]
impl ModelProvider for OpenAiProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::OpenAi
    }

    fn step(&self, request: StepRequest) -> ModelStream {
        let names = ToolNames::new(&request.tools);
        let body = request::chat_body(&self.config.model, &request, &names);
        let id_prefix = format!("call_{}_", request.tool_rounds.len() + 1);
        let state = StepState {
            client: self.client.clone(),
            config: self.config.clone(),
            body: Some(body),
            response: None,
            parser: SseParser::new(),
            assembler: Some(Assembler::new(names, id_prefix)),
            pending: VecDeque::new(),
            finished: false,
        };
        Box::pin(futures::stream::unfold(state, StepState::next))
    }

    async fn memory_candidates(
        &self,
        _input: &Value,
        message: &str,
        final_output: &str,
    ) -> Result<Vec<MemoryCandidate>, ModelError> {
        Ok(memory::extract(&self.client, &self.config, message, final_output).await)
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;
type WholeBody = Pin<Box<dyn std::future::Future<Output = reqwest::Result<bytes::Bytes>> + Send>>;

/// The body of a successful response: streamed SSE, or a whole JSON completion from a
/// server that ignored `stream: true`.
enum Body {
    Sse(ByteStream),
    Json(WholeBody),
}

struct StepState {
    client: reqwest::Client,
    config: OpenAiConfig,
    /// The request body until the request is sent.
    body: Option<Value>,
    response: Option<Body>,
    parser: SseParser,
    assembler: Option<Assembler>,
    pending: VecDeque<Result<ModelEvent, ModelError>>,
    finished: bool,
}

impl StepState {
    async fn next(mut self) -> Option<(Result<ModelEvent, ModelError>, StepState)> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                if item.is_err() {
                    // Nothing follows a failure; dropping the body closes the connection.
                    self.pending.clear();
                    self.finish();
                }
                return Some((item, self));
            }
            if self.finished {
                return None;
            }
            if let Err(error) = self.advance().await {
                self.pending.push_back(Err(error));
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.response = None;
        self.assembler = None;
    }

    /// Does one piece of work: sends the request, or reads one piece of the body.
    async fn advance(&mut self) -> Result<(), ModelError> {
        if let Some(body) = self.body.take() {
            let response = http::send_with_retries(&self.client, &self.config, &body).await?;
            let is_json = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim_start().starts_with("application/json"));
            self.response = Some(if is_json {
                Body::Json(Box::pin(response.bytes()))
            } else {
                Body::Sse(Box::pin(response.bytes_stream()))
            });
            return Ok(());
        }
        let timeout = self.config.timeout;
        let stalled = || ModelError::model(format!("the model provider sent nothing for {} ms", timeout.as_millis()));
        let lost =
            |error: reqwest::Error| ModelError::model(format!("the model provider's response broke off: {error}"));
        match self.response.as_mut() {
            Some(Body::Sse(stream)) => match tokio::time::timeout(timeout, stream.next()).await {
                Err(_) => Err(stalled()),
                Ok(Some(Err(error))) => Err(lost(error)),
                Ok(Some(Ok(bytes))) => {
                    for event in self.parser.feed(&bytes) {
                        self.accept(&event.data)?;
                        if self.assembler.as_ref().is_some_and(Assembler::is_done) {
                            return self.complete();
                        }
                    }
                    Ok(())
                }
                Ok(None) => self.complete(),
            },
            Some(Body::Json(body)) => {
                let bytes = match tokio::time::timeout(timeout, body.as_mut()).await {
                    Err(_) => return Err(stalled()),
                    Ok(Err(error)) => return Err(lost(error)),
                    Ok(Ok(bytes)) => bytes,
                };
                let completion: Value = serde_json::from_slice(&bytes)
                    .map_err(|error| ModelError::model(format!("the model provider answered invalid JSON: {error}")))?;
                self.accept(&completion)?;
                self.complete()
            }
            None => {
                self.finished = true;
                Ok(())
            }
        }
    }

    fn accept(&mut self, data: &Value) -> Result<(), ModelError> {
        if let Some(assembler) = self.assembler.as_mut() {
            self.pending.extend(assembler.accept(data)?.into_iter().map(Ok));
        }
        Ok(())
    }

    fn complete(&mut self) -> Result<(), ModelError> {
        let assembler = self.assembler.take();
        self.finish();
        if let Some(assembler) = assembler {
            self.pending.extend(assembler.finish()?.into_iter().map(Ok));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let retry = RetryConfig::default();
        let ms = |attempt, hint: Option<u64>| retry.delay(attempt, hint.map(Duration::from_millis)).as_millis();
        assert_eq!([ms(1, None), ms(2, None), ms(3, None), ms(4, None), ms(9, None)], [500, 1000, 2000, 4000, 8000]);
        assert_eq!(ms(1, Some(3000)), 3000);
        assert_eq!(ms(3, Some(100)), 2000);
        assert_eq!(ms(u32::MAX, None), 8000);
    }
}
