//! The built-in MCP server (`docs/server.md`, `docs/authentication.md`): tools `echo`, `sum`,
//! `current_time` and `kb_search` over Streamable HTTP at `/mcp/builtin`,
//! behind a bearer token that the server's validator maps to a tenant.

mod time;
mod tools;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use time::{format_time, parse_timezone};
pub use tools::{KB_SEARCH_DEFAULT_TOP_K, KbSearchRequest, ToolFailure};

/// Where the server mounts the built-in MCP server.
pub const BUILTIN_PATH: &str = "/mcp/builtin";

/// The built-in tools as discovery would list them, without a round trip
/// (the server stores them when it creates a tenant's `zaby-builtin`
/// definition, before it listens).
pub fn tool_infos() -> Vec<crate::ToolInfo> {
    tools::TOOLS
        .iter()
        .map(|t| crate::ToolInfo {
            name: t.tool.name.to_string(),
            title: t.tool.title.clone(),
            description: t.tool.description.as_ref().map(|d| d.to_string()),
            input_schema: Value::Object((*t.tool.input_schema).clone()),
        })
        .collect()
}

/// Checks a built-in MCP token (`authorization: Bearer <token>`).
#[async_trait::async_trait]
pub trait TokenValidator: Send + Sync + 'static {
    /// The tenant id the token belongs to, or why it is refused (the reason
    /// becomes the `message` of the 401).
    async fn validate(&self, token: &str) -> Result<String, String>;
}

/// Runs `kb_search` for a tenant.
#[async_trait::async_trait]
pub trait KnowledgeSearch: Send + Sync + 'static {
    /// A `RetrievalResult` JSON (`docs/api/knowledge-bases.md`), or a failure the caller sees
    /// as a tool error (unknown knowledge base → `ToolFailure::new("NOT_FOUND", ..)`).
    async fn search(&self, tenant_id: &str, request: KbSearchRequest) -> Result<Value, ToolFailure>;
}

/// The tenant of an authenticated request, as put into the request
/// extensions by the token check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinTenant(pub String);

/// The built-in MCP server, ready to be mounted.
pub struct BuiltinServer {
    validator: Arc<dyn TokenValidator>,
    search: Arc<dyn KnowledgeSearch>,
    allowed_hosts: Option<Vec<String>>,
    cancellation: CancellationToken,
}

impl BuiltinServer {
    pub fn new(validator: Arc<dyn TokenValidator>, search: Arc<dyn KnowledgeSearch>) -> Self {
        Self { validator, search, allowed_hosts: None, cancellation: CancellationToken::new() }
    }

    /// Restricts the accepted `Host` headers (DNS-rebinding protection). By
    /// default every host is accepted: every request needs a valid token
    /// anyway, and the server runs behind whatever public origin it is given.
    pub fn allowed_hosts(mut self, hosts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.allowed_hosts = Some(hosts.into_iter().map(Into::into).collect());
        self
    }

    /// Cancelling this token ends open MCP streams (graceful shutdown).
    pub fn cancellation_token(mut self, token: CancellationToken) -> Self {
        self.cancellation = token;
        self
    }

    /// An axum router serving the MCP endpoint at [`BUILTIN_PATH`]; merge it
    /// into the server's router.
    pub fn router(self) -> Router {
        let handler = BuiltinHandler { search: self.search };
        // Stateless: every POST stands alone, so any replica can answer any
        // request and nothing is kept per client.
        let mut config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_sse_keep_alive(None)
            .with_cancellation_token(self.cancellation);
        config = match self.allowed_hosts {
            Some(hosts) => config.with_allowed_hosts(hosts),
            None => config.disable_allowed_hosts(),
        };
        let service =
            StreamableHttpService::new(move || Ok(handler.clone()), Arc::new(NeverSessionManager::default()), config);
        Router::new()
            .route_service(BUILTIN_PATH, service)
            .layer(middleware::from_fn_with_state(self.validator, authenticate))
    }
}

async fn authenticate(State(validator): State<Arc<dyn TokenValidator>>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(token) = token else {
        return unauthorized("a built-in MCP token is required (authorization: Bearer <token>)");
    };
    match validator.validate(&token).await {
        Ok(tenant) => {
            request.extensions_mut().insert(BuiltinTenant(tenant));
            next.run(request).await
        }
        Err(reason) => unauthorized(&reason),
    }
}

fn unauthorized(message: &str) -> Response {
    let message = if message.is_empty() { "invalid built-in MCP token" } else { message };
    let body = json!({ "code": "UNAUTHORIZED", "message": message }).to_string();
    (
        http::StatusCode::UNAUTHORIZED,
        [
            (http::header::CONTENT_TYPE, "application/json"),
            (http::header::WWW_AUTHENTICATE, "Bearer realm=\"zaby-builtin\""),
        ],
        Body::from(body),
    )
        .into_response()
}

#[derive(Clone)]
struct BuiltinHandler {
    search: Arc<dyn KnowledgeSearch>,
}

impl BuiltinHandler {
    fn tenant(context: &RequestContext<RoleServer>) -> Option<String> {
        let parts = context.extensions.get::<http::request::Parts>()?;
        parts.extensions.get::<BuiltinTenant>().map(|BuiltinTenant(t)| t.clone())
    }
}

impl ServerHandler for BuiltinHandler {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("zaby-builtin", env!("CARGO_PKG_VERSION")))
            .with_instructions("Zaby's built-in tools: echo, sum, current_time and kb_search.")
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::TOOLS.iter().map(|t| t.tool.clone()).collect()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::find(name).map(|t| t.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(tool) = tools::find(&request.name) else {
            return Err(ErrorData::invalid_params(format!("unknown tool {:?}", request.name), None));
        };
        let Some(tenant) = Self::tenant(&context) else {
            // Only reachable when the handler is mounted without the token check.
            return Err(ErrorData::internal_error("request is not authenticated", None));
        };
        let arguments = request.arguments.unwrap_or_default();
        let errors = tool.validator.validate(&Value::Object(arguments.clone()));
        if !errors.is_empty() {
            let summary = errors
                .iter()
                .map(|e| format!("{}: {}", if e.field.is_empty() { "(root)" } else { &e.field }, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            return Ok(tools::failure(
                "INVALID_ARGUMENTS",
                format!("invalid arguments for {}: {summary}", tool.tool.name),
                Some(("errors", serde_json::to_value(errors).unwrap_or_default())),
            )
            .into());
        }
        Ok(tools::run(tool, arguments, &tenant, self.search.as_ref()).await.into())
    }
}
