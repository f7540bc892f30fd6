//! The MCP client facade the server calls: list tools and call a tool on a
//! server definition, with a timeout and a cache of live sessions.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::RoleClient;
use rmcp::ServiceError;
use rmcp::model::CallToolRequestParams;
use rmcp::service::Peer;
use serde::Serialize;
use serde_json::Value;

use crate::connect::{self, Opened};
use crate::definition::{McpAuth, ServerDefinition};
use crate::error::{McpError, describe};
use crate::oauth::TokenCache;

/// Default of `ZABY_MCP_TIMEOUT_MS`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(30_000);

/// Environment variables a stdio server inherits by default. Nothing else of
/// the server's environment reaches the child.
pub const DEFAULT_STDIO_ENV: &[&str] =
    &["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT"];

/// Settings of an [`McpClient`].
#[derive(Debug, Clone)]
pub struct McpClientConfig {
    /// Longest time one operation (connect if needed, plus the request) may take.
    pub timeout: Duration,
    /// Whether `STDIO` definitions may be started (`ZABY_ALLOW_STDIO_MCP=1`).
    pub allow_stdio: bool,
    /// Live sessions kept at most; the least recently used is closed beyond it.
    pub max_sessions: usize,
    /// A cached session unused for this long is closed.
    pub idle_ttl: Duration,
    /// Sent as `clientInfo` in the MCP handshake.
    pub client_name: String,
    pub client_version: String,
    /// Environment variables a stdio server inherits (see [`DEFAULT_STDIO_ENV`]).
    pub stdio_env_passthrough: Vec<String>,
}

impl Default for McpClientConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            allow_stdio: false,
            max_sessions: 256,
            idle_ttl: Duration::from_secs(300),
            client_name: "zaby-server".into(),
            client_version: env!("CARGO_PKG_VERSION").into(),
            stdio_env_passthrough: DEFAULT_STDIO_ENV.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl McpClientConfig {
    /// Defaults, with `ZABY_MCP_TIMEOUT_MS` and `ZABY_ALLOW_STDIO_MCP` read from
    /// the process environment. The server, which also reads CLI flags and a
    /// config file, sets the fields itself instead.
    pub fn from_env() -> Self {
        let mut config = Self::default();
        if let Some(ms) =
            std::env::var("ZABY_MCP_TIMEOUT_MS").ok().and_then(|v| v.trim().parse::<u64>().ok()).filter(|ms| *ms > 0)
        {
            config.timeout = Duration::from_millis(ms);
        }
        config.allow_stdio = std::env::var("ZABY_ALLOW_STDIO_MCP").is_ok_and(|v| v.trim() == "1");
        config
    }
}

/// Identifies a reusable session: who uses it (`scope`, e.g. the installation
/// id) and how it connects (`fingerprint`, see [`ServerDefinition::fingerprint`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    pub scope: String,
    pub fingerprint: String,
}

impl SessionKey {
    pub fn new(scope: impl Into<String>, fingerprint: impl Into<String>) -> Self {
        Self { scope: scope.into(), fingerprint: fingerprint.into() }
    }

    /// The key for `scope` connecting to `definition` (with the same override
    /// that will be passed in [`CallOptions`]).
    pub fn for_definition(
        scope: impl Into<String>,
        definition: &ServerDefinition,
        bearer_override: Option<&str>,
    ) -> Self {
        Self::new(scope, definition.fingerprint(bearer_override))
    }
}

/// Per-operation options.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Reuse (or create) the cached session under this key; `None` opens a
    /// session for this operation only and closes it afterwards.
    pub session: Option<SessionKey>,
    /// A bearer token used instead of the definition's bearer or OAuth2 token
    /// (for stdio: as `ZABY_MCP_SECRET`). Include it in the session key's
    /// fingerprint.
    pub bearer_override: Option<String>,
    /// Overrides the configured timeout for this operation.
    pub timeout: Option<Duration>,
}

/// A tool as discovered on a server.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolInfo {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The tool's JSON Schema for its arguments.
    pub input_schema: Value,
}

/// The outcome of a tool call (`docs/api/mcp.md`): `result` is the MCP result's
/// `structuredContent` when present, else its `content` array.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallResult {
    pub is_error: bool,
    pub result: Value,
}

/// What the connection module needs from the client.
pub(crate) struct ClientShared {
    pub config: McpClientConfig,
    pub http: reqwest::Client,
    pub tokens: TokenCache,
}

struct Session {
    service: connect::Service,
    renew_at: Option<Instant>,
    last_used: Mutex<Instant>,
}

impl Session {
    fn usable(&self, now: Instant, idle_ttl: Duration) -> bool {
        let idle = now.duration_since(*self.last_used.lock().unwrap_or_else(|p| p.into_inner()));
        idle < idle_ttl && self.renew_at.is_none_or(|at| at > now) && !self.service.is_transport_closed()
    }
}

/// The MCP client. Cheap to clone; clones share sessions and tokens.
#[derive(Clone)]
pub struct McpClient {
    shared: Arc<ClientShared>,
    sessions: Arc<Mutex<HashMap<SessionKey, Arc<Session>>>>,
}

impl McpClient {
    pub fn new(config: McpClientConfig) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .unwrap_or_default();
        Self::with_http_client(config, http)
    }

    /// Uses `http` for every HTTP request (MCP and OAuth2 token requests).
    pub fn with_http_client(config: McpClientConfig, http: reqwest::Client) -> Self {
        Self {
            shared: Arc::new(ClientShared { config, http, tokens: TokenCache::default() }),
            sessions: Arc::default(),
        }
    }

    pub fn config(&self) -> &McpClientConfig {
        &self.shared.config
    }

    /// Lists every tool of the server (following pagination).
    pub async fn list_tools(
        &self,
        definition: &ServerDefinition,
        options: &CallOptions,
    ) -> Result<Vec<ToolInfo>, McpError> {
        self.run(definition, options, |peer| async move {
            // A server without the tools capability has no tools; asking would
            // only earn a "method not found".
            if peer.peer_info().is_some_and(|info| info.capabilities.tools.is_none()) {
                return Ok(Vec::new());
            }
            let tools = peer.list_all_tools().await.map_err(service_error)?;
            Ok(tools
                .into_iter()
                .map(|tool| ToolInfo {
                    name: tool.name.into_owned(),
                    title: tool.title,
                    description: tool.description.map(|d| d.into_owned()),
                    input_schema: Value::Object((*tool.input_schema).clone()),
                })
                .collect())
        })
        .await
    }

    /// Calls tool `name` with `arguments` (a JSON object; `null` sends none).
    pub async fn call_tool(
        &self,
        definition: &ServerDefinition,
        name: &str,
        arguments: Value,
        options: &CallOptions,
    ) -> Result<ToolCallResult, McpError> {
        let mut params = CallToolRequestParams::new(name.to_owned());
        match arguments {
            Value::Null => {}
            Value::Object(map) => params = params.with_arguments(map),
            other => {
                return Err(McpError::InvalidArguments(format!(
                    "arguments must be a JSON object, not {}",
                    crate::validate::json_type(&other)
                )));
            }
        }
        self.run(definition, options, |peer| async move {
            let result = peer.call_tool(params).await.map_err(service_error)?;
            let result_value = match result.structured_content {
                Some(structured) => structured,
                None => serde_json::to_value(&result.content)
                    .map_err(|e| McpError::server(format!("tool result content cannot be encoded: {e}")))?,
            };
            Ok(ToolCallResult { is_error: result.is_error.unwrap_or(false), result: result_value })
        })
        .await
    }

    /// Closes the cached session under `key`, if any.
    pub fn invalidate(&self, key: &SessionKey) {
        let removed = self.lock_sessions().remove(key);
        drop(removed);
    }

    /// Closes every cached session of `scope` (an installation that was
    /// revoked, or whose credentials or definition changed).
    pub fn invalidate_scope(&self, scope: &str) {
        let mut sessions = self.lock_sessions();
        sessions.retain(|key, _| key.scope != scope);
    }

    /// Number of cached sessions (for metrics and tests).
    pub fn cached_sessions(&self) -> usize {
        self.lock_sessions().len()
    }

    fn lock_sessions(&self) -> std::sync::MutexGuard<'_, HashMap<SessionKey, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run<T, F, Fut>(
        &self,
        definition: &ServerDefinition,
        options: &CallOptions,
        operation: F,
    ) -> Result<T, McpError>
    where
        F: FnOnce(Peer<RoleClient>) -> Fut,
        Fut: Future<Output = Result<T, McpError>>,
    {
        let timeout = options.timeout.unwrap_or(self.shared.config.timeout);
        let override_token = options.bearer_override.as_deref();
        let work = async {
            match &options.session {
                None => {
                    let opened = connect::open(&self.shared, definition, override_token).await?;
                    let result = operation(opened.service.peer().clone()).await;
                    // Closing waits for a stdio child to exit; nobody needs to wait for that.
                    tokio::spawn(async move {
                        let _ = opened.service.cancel().await;
                    });
                    result
                }
                Some(key) => {
                    let session = self.session(key, definition, override_token).await?;
                    let result = operation(session.service.peer().clone()).await;
                    if let Err(error) = &result
                        && error.poisons_session()
                    {
                        self.remove_if_same(key, &session);
                    }
                    result
                }
            }
        };
        let result = match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => {
                if let Some(key) = &options.session {
                    self.invalidate(key);
                }
                Err(McpError::Timeout { timeout })
            }
        };
        if let (Err(McpError::Server { .. }), McpAuth::OAuth2(grant)) = (&result, &definition.auth) {
            // The token may be what the server refused; fetch a new one next time.
            self.shared.tokens.forget(grant);
        }
        result
    }

    async fn session(
        &self,
        key: &SessionKey,
        definition: &ServerDefinition,
        bearer_override: Option<&str>,
    ) -> Result<Arc<Session>, McpError> {
        let now = Instant::now();
        {
            let mut sessions = self.lock_sessions();
            let idle_ttl = self.shared.config.idle_ttl;
            sessions.retain(|_, s| s.usable(now, idle_ttl));
            if let Some(session) = sessions.get(key) {
                *session.last_used.lock().unwrap_or_else(|p| p.into_inner()) = now;
                return Ok(session.clone());
            }
        }
        let Opened { service, renew_at } = connect::open(&self.shared, definition, bearer_override).await?;
        let session = Arc::new(Session { service, renew_at, last_used: Mutex::new(Instant::now()) });
        let mut sessions = self.lock_sessions();
        // Another task may have connected meanwhile; keep one session per key.
        if let Some(existing) = sessions.get(key) {
            return Ok(existing.clone());
        }
        let max = self.shared.config.max_sessions.max(1);
        while sessions.len() >= max {
            let oldest = sessions
                .iter()
                .min_by_key(|(_, s)| *s.last_used.lock().unwrap_or_else(|p| p.into_inner()))
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => sessions.remove(&k),
                None => break,
            };
        }
        sessions.insert(key.clone(), session.clone());
        Ok(session)
    }

    fn remove_if_same(&self, key: &SessionKey, session: &Arc<Session>) {
        let mut sessions = self.lock_sessions();
        if sessions.get(key).is_some_and(|s| Arc::ptr_eq(s, session)) {
            sessions.remove(key);
        }
    }
}

fn service_error(error: ServiceError) -> McpError {
    if error.auth_challenge().is_some() {
        return McpError::server(connect::REFUSED_CREDENTIALS);
    }
    match error {
        ServiceError::McpError(data) => {
            McpError::Rpc { code: data.code.0, message: data.message.into_owned(), data: data.data }
        }
        ServiceError::Timeout { timeout } => McpError::Timeout { timeout },
        ServiceError::UnexpectedResponse => McpError::server("the MCP server answered with an unexpected response"),
        ServiceError::TransportSend(error) => {
            McpError::server(format!("request failed: {}", describe(error.error.as_ref())))
        }
        ServiceError::TransportClosed => McpError::server("the MCP server closed the connection"),
        other => McpError::server(describe(&other)),
    }
}
