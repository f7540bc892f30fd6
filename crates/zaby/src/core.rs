//! The shared state behind a client handle and the steps every call goes through:
//! resolve the endpoint, build path/query/body, resolve credentials, send one attempt.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::config::ResolvedConfig;
use crate::credential::Credential;
use crate::endpoints::{self, Endpoint, HttpMethod, Input, Owner};
use crate::error::{Result, ZabyError, codes};
use crate::transport::{Transport, TransportRequest, TransportResponse, UploadProgress};
use crate::wire;

/// Credentials and identity headers of one client.
#[derive(Clone, Debug, Default)]
pub(crate) struct Identity {
    pub api_key: Option<Credential>,
    pub access_token: Option<Credential>,
    pub runtime_token: Option<Credential>,
    pub tenant_id: Option<String>,
}

pub(crate) struct Core {
    pub config: ResolvedConfig,
    pub owner: Owner,
    identity: Identity,
    transport: Arc<dyn Transport>,
    /// Only the built-in transport is closed with the client.
    owns_transport: bool,
    user_agent: String,
    closed: AtomicBool,
    /// Cancelled on close so that open streams end.
    pub closing: CancellationToken,
}

/// A call with its endpoint resolved and its request parts built.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub endpoint: &'static Endpoint,
    /// Path with parameters filled in, without query.
    pub path: String,
    pub query: Option<Value>,
    pub body: Option<Value>,
}

impl Call {
    pub fn method(&self) -> &'static str {
        self.endpoint.method.as_str()
    }

    pub fn path_and_query(&self) -> Result<String> {
        Ok(wire::path_with_query(&self.path, &wire::build_query(self.query.as_ref())?))
    }

    /// A POST to an idempotency endpoint that carries a non-empty `requestId` may be retried.
    pub fn idempotency_keyed(&self) -> bool {
        self.endpoint.method == HttpMethod::Post
            && self.endpoint.idempotent
            && self
                .body
                .as_ref()
                .and_then(|b| b.get("requestId"))
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
    }
}

/// Per-call options (`docs/configuration.md`).
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    /// Sent as `x-request-id` on every attempt.
    pub request_id: Option<String>,
    /// Overrides the configured timeout for each attempt.
    pub timeout: Option<Duration>,
    /// Aborts the call or stream when cancelled (`ABORTED`).
    pub cancel: Option<CancellationToken>,
    /// Told the bytes of the request body sent so far (built-in transport only).
    pub upload_progress: Option<UploadProgress>,
}

impl Core {
    pub fn new(
        config: ResolvedConfig,
        owner: Owner,
        identity: Identity,
        transport: Option<Arc<dyn Transport>>,
        default_user_agent: String,
    ) -> Self {
        let owns_transport = transport.is_none();
        let transport = transport.unwrap_or_else(|| Arc::new(crate::transport::HttpTransport::new()));
        let user_agent = config.user_agent.clone().unwrap_or(default_user_agent);
        Core {
            config,
            owner,
            identity,
            transport,
            owns_transport,
            user_agent,
            closed: AtomicBool::new(false),
            closing: CancellationToken::new(),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub fn ensure_open(&self) -> Result<()> {
        if self.is_closed() {
            return Err(ZabyError::client(codes::CLIENT_CLOSED, "the client has been closed"));
        }
        Ok(())
    }

    pub async fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.closing.cancel();
        if self.owns_transport {
            self.transport.close().await;
        }
    }

    /// Resolves `client.method` and builds its request parts from the caller's input.
    pub fn prepare(&self, client: &str, method: &str, params: Vec<String>, input: Option<Value>) -> Result<Call> {
        let input = input.filter(|v| !v.is_null());
        let (endpoint, binding) = endpoints::resolve(client, method, input.is_some())
            .filter(|(_, b)| endpoints::ClientInfo::by_id(b.client).is_some_and(|c| c.owner == self.owner))
            .ok_or_else(|| ZabyError::invalid_argument(format!("unknown SDK method {client}.{method}")))?;
        self.prepare_for(endpoint, binding.params, binding.input, params, input, method)
    }

    /// Resolves an `iter…` method to its list endpoint.
    pub fn prepare_iter(&self, client: &str, iter: &str, params: Vec<String>, query: Option<Value>) -> Result<Call> {
        let (endpoint, binding) = endpoints::resolve_iter(client, iter)
            .ok_or_else(|| ZabyError::invalid_argument(format!("unknown SDK iterator {client}.{iter}")))?;
        self.prepare_for(endpoint, binding.params, binding.input, params, query.filter(|v| !v.is_null()), iter)
    }

    fn prepare_for(
        &self,
        endpoint: &'static Endpoint,
        names: &[&str],
        input_rule: Input,
        mut params: Vec<String>,
        input: Option<Value>,
        method: &str,
    ) -> Result<Call> {
        if params.len() != names.len() {
            return Err(ZabyError::invalid_argument(format!(
                "{method} takes {} path parameter(s) ({}), got {}",
                names.len(),
                names.join(", "),
                params.len()
            )));
        }
        let mut query = None;
        let mut body = None;
        let mut path_names: Vec<&str> = names.to_vec();
        match input_rule {
            Input::None | Input::WhenOmitted => {}
            Input::Query | Input::Stream => query = input,
            Input::Body => body = Some(require_object(input, method)?),
            Input::WhenGiven | Input::OptionalBody => {
                body = input.map(|v| require_object(Some(v), method)).transpose()?
            }
            Input::BodyOrEmpty => {
                body = Some(match input {
                    Some(v) => require_object(Some(v), method)?,
                    None => Value::Object(Default::default()),
                })
            }
            Input::BodyMovingToPath { field, param } => {
                let mut object = require_object(input, method)?;
                let moved = object
                    .as_object_mut()
                    .and_then(|o| o.remove(field))
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        ZabyError::invalid_argument(format!("input.{field} is required (a non-empty string)"))
                    })?;
                // The moved member fills the path parameter at its position.
                let position =
                    endpoint.path_params().iter().position(|p| endpoints::camel_case(param) == *p).unwrap_or(0);
                params.insert(position.min(params.len()), moved);
                path_names.insert(position.min(path_names.len()), param);
                body = Some(object);
            }
        }
        let path = wire::fill_path(endpoint.path, &path_names, &params)?;
        // Reject an unrepresentable query before any I/O.
        wire::build_query(query.as_ref())?;
        Ok(Call { endpoint, path, query, body })
    }

    /// Headers for one attempt; credentials are resolved anew every time.
    async fn headers(&self, call: &Call, options: &RequestOptions, stream: bool) -> Result<BTreeMap<String, String>> {
        let mut h = BTreeMap::new();
        h.insert("accept".into(), if stream { "text/event-stream" } else { "application/json" }.into());
        h.insert("user-agent".into(), self.user_agent.clone());
        match self.owner {
            Owner::Zaby => {
                if let Some(key) = &self.identity.api_key {
                    h.insert("x-zaby-api-key".into(), key.resolve().await?);
                }
                if let Some(token) = &self.identity.access_token {
                    h.insert("authorization".into(), format!("Bearer {}", token.resolve().await?));
                }
                if let Some(tenant) = &self.identity.tenant_id {
                    h.insert("x-tenant-id".into(), tenant.clone());
                }
            }
            Owner::Runtime => {
                if let Some(token) = &self.identity.runtime_token {
                    h.insert("authorization".into(), format!("Bearer {}", token.resolve().await?));
                }
            }
        }
        if call.body.is_some() {
            h.insert("content-type".into(), "application/json".into());
        }
        if let Some(id) = &options.request_id {
            h.insert("x-request-id".into(), id.clone());
        }
        Ok(h)
    }

    pub fn attempt_timeout(&self, options: &RequestOptions) -> Duration {
        options.timeout.unwrap_or(Duration::from_millis(self.config.timeout_ms))
    }

    /// Sends one attempt. For streams the deadline covers the response headers only.
    pub async fn send_once(
        &self,
        call: &Call,
        options: &RequestOptions,
        stream: bool,
        extra_headers: &[(&str, String)],
    ) -> Result<TransportResponse> {
        self.ensure_open()?;
        let path = call.path_and_query()?;
        let mut headers = self.headers(call, options, stream).await?;
        for (k, v) in extra_headers {
            headers.insert((*k).to_owned(), v.clone());
        }
        let timeout = self.attempt_timeout(options);
        let request = TransportRequest {
            method: call.method().to_owned(),
            url: format!("{}{}", self.config.api_origin, path),
            path,
            headers,
            json_body: call.body.clone(),
            stream,
            timeout,
        };
        let started = Instant::now();
        let (method, logged_path) = (request.method.clone(), request.path.clone());
        let exchange = match &options.upload_progress {
            None => self.transport.send(request),
            Some(progress) => self.transport.send_with_upload_progress(request, progress.clone()),
        };
        let result = match tokio::time::timeout(timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(ZabyError::timeout(timeout.as_millis() as u64)),
        };
        let mut response = result.inspect_err(|e| {
            tracing::debug!(target: "zaby", method = %method, path = %logged_path, error = %e, "request failed");
        })?;
        response.headers = response.headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        tracing::debug!(
            target: "zaby",
            method = %method,
            path = %logged_path,
            status = response.status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        );
        Ok(response)
    }
}

fn require_object(input: Option<Value>, method: &str) -> Result<Value> {
    match input {
        Some(v @ Value::Object(_)) => Ok(v),
        Some(other) => Err(ZabyError::invalid_argument(format!(
            "{method}: input must be an object (a mapping of field names to values), got {}",
            match other {
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            }
        ))),
        None => Err(ZabyError::invalid_argument(format!("{method}: input is required"))),
    }
}

/// Parses a non-stream body: `json_body` if given, else `body` as JSON; empty or invalid → `Null`.
pub(crate) fn response_json(response: &mut TransportResponse) -> Value {
    if let Some(v) = response.json_body.take() {
        return v;
    }
    match response.body.as_deref().map(str::trim) {
        None | Some("") => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|e| {
            tracing::warn!(target: "zaby", error = %e, "response body is not valid JSON; returning no value");
            Value::Null
        }),
    }
}

/// Whether `status` is a success (only 2xx is).
pub(crate) fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Shared handle used by client handles and request builders.
pub(crate) type CoreRef = Arc<Core>;
