//! Credentials reach the MCP server the way `docs/api/mcp.md` says, checked by an
//! rmcp server that records the headers of every request, and an OAuth2
//! token endpoint that records the grants.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::HeaderMap;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::json;
use zaby_mcp::{
    CallOptions, McpAuth, McpError, McpTransport, OAuth2ClientCredentials, ServerDefinition, SessionKey,
    TokenEndpointAuth,
};

#[derive(Clone)]
struct Whoami;

impl ServerHandler for Whoami {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _: Option<PaginatedRequestParams>,
        _: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = json!({"type": "object"}).as_object().unwrap().clone();
        Ok(ListToolsResult::with_all_items(vec![Tool::new("whoami", "Says hello", Arc::new(schema))]))
    }

    async fn call_tool(
        &self,
        _: CallToolRequestParams,
        _: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        Ok(CallToolResult::structured(json!({"ok": true})).into())
    }
}

/// A server that offers no tools at all.
#[derive(Clone)]
struct NoTools;

impl ServerHandler for NoTools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::default())
    }
}

#[derive(Default)]
struct Recorder {
    mcp_headers: Mutex<Vec<HeaderMap>>,
    grants: Mutex<Vec<(HeaderMap, String)>>,
    token_status: Mutex<u16>,
    expires_in: Mutex<u64>,
}

impl Recorder {
    fn last_mcp_header(&self, name: &str) -> Option<String> {
        let headers = self.mcp_headers.lock().unwrap();
        headers.last()?.get(name).map(|v| v.to_str().unwrap().to_owned())
    }

    fn mcp_header_values(&self, name: &str) -> Vec<String> {
        let headers = self.mcp_headers.lock().unwrap();
        let mut values: Vec<String> =
            headers.iter().filter_map(|h| h.get(name).map(|v| v.to_str().unwrap().to_owned())).collect();
        values.dedup();
        values
    }
}

async fn record(State(recorder): State<Arc<Recorder>>, request: Request, next: Next) -> Response {
    // Only POSTs: a one-shot session's DELETE and GET stream may arrive after
    // the operation returned, and would blur which call sent which header.
    if request.method() == http::Method::POST {
        recorder.mcp_headers.lock().unwrap().push(request.headers().clone());
    }
    next.run(request).await
}

async fn token_endpoint(State(recorder): State<Arc<Recorder>>, headers: HeaderMap, body: String) -> Response {
    let count = {
        let mut grants = recorder.grants.lock().unwrap();
        grants.push((headers, body));
        grants.len()
    };
    let status = *recorder.token_status.lock().unwrap();
    if status != 200 {
        let code = http::StatusCode::from_u16(status).unwrap();
        return (code, axum::Json(json!({"error": "invalid_client", "error_description": "unknown client"})))
            .into_response();
    }
    let expires_in = *recorder.expires_in.lock().unwrap();
    axum::Json(json!({"access_token": format!("tok-{count}"), "token_type": "bearer", "expires_in": expires_in}))
        .into_response()
}

async fn start() -> (String, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    *recorder.token_status.lock().unwrap() = 200;
    *recorder.expires_in.lock().unwrap() = 3600;
    let service = StreamableHttpService::new(
        || Ok(Whoami),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let empty = StreamableHttpService::new(
        || Ok(NoTools),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let mcp = Router::new()
        .route_service("/mcp", service)
        .route_service("/empty", empty)
        .layer(middleware::from_fn_with_state(recorder.clone(), record));
    let app = Router::new().route("/token", post(token_endpoint)).with_state(recorder.clone()).merge(mcp);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, recorder)
}

fn def(base: &str, auth: McpAuth) -> ServerDefinition {
    ServerDefinition::new(McpTransport::StreamableHttp { url: format!("{base}/mcp") }, auth)
}

#[tokio::test]
async fn api_key_and_bearer_headers_reach_the_server() {
    let (base, recorder) = start().await;
    let client = common::client();
    let once = CallOptions::default();

    let api_key = McpAuth::from_parts("API_KEY", Some(&json!({"apiKey": "key-1"})), None).unwrap();
    let result = client.call_tool(&def(&base, api_key), "whoami", json!({}), &once).await.unwrap();
    assert_eq!(result.result, json!({"ok": true}));
    assert_eq!(recorder.mcp_header_values("x-api-key"), ["key-1"]);
    assert!(recorder.last_mcp_header("authorization").is_none());

    recorder.mcp_headers.lock().unwrap().clear();
    let custom =
        McpAuth::from_parts("API_KEY", Some(&json!({"apiKey": "key-2", "headerName": "X-Service-Key"})), None).unwrap();
    client.list_tools(&def(&base, custom), &once).await.unwrap();
    assert_eq!(recorder.mcp_header_values("x-service-key"), ["key-2"]);
    assert!(recorder.mcp_header_values("x-api-key").is_empty());

    recorder.mcp_headers.lock().unwrap().clear();
    let bearer = McpAuth::from_parts("BEARER", Some(&json!({"token": "bearer-1"})), None).unwrap();
    client.list_tools(&def(&base, bearer.clone()), &once).await.unwrap();
    assert_eq!(recorder.mcp_header_values("authorization"), ["Bearer bearer-1"]);

    // A per-run override replaces the definition's bearer.
    recorder.mcp_headers.lock().unwrap().clear();
    let overridden = CallOptions { bearer_override: Some("run-token".into()), ..CallOptions::default() };
    client.list_tools(&def(&base, bearer), &overridden).await.unwrap();
    assert_eq!(recorder.mcp_header_values("authorization"), ["Bearer run-token"]);

    recorder.mcp_headers.lock().unwrap().clear();
    client.list_tools(&def(&base, McpAuth::None), &once).await.unwrap();
    assert!(recorder.mcp_header_values("authorization").is_empty());
    assert!(recorder.mcp_header_values("x-api-key").is_empty());
}

fn oauth(base: &str, client_auth: TokenEndpointAuth) -> McpAuth {
    McpAuth::OAuth2(OAuth2ClientCredentials {
        token_url: format!("{base}/token"),
        client_id: "client-1".into(),
        client_secret: "s>cret".into(),
        scopes: vec!["read".into(), "write".into()],
        client_auth,
    })
}

#[tokio::test]
async fn oauth2_tokens_are_fetched_cached_and_renewed() {
    let (base, recorder) = start().await;
    let client = common::client();
    let def = def(&base, oauth(&base, TokenEndpointAuth::Basic));
    let once = CallOptions::default();

    client.list_tools(&def, &once).await.unwrap();
    client.call_tool(&def, "whoami", json!({}), &once).await.unwrap();
    {
        let grants = recorder.grants.lock().unwrap();
        assert_eq!(grants.len(), 1, "the token is cached between calls");
        let (headers, body) = &grants[0];
        // base64("client-1:s%3Ecret"): id and secret are form-encoded first (RFC 6749 §2.3.1).
        assert_eq!(headers["authorization"], "Basic Y2xpZW50LTE6cyUzRWNyZXQ=");
        assert!(body.contains("grant_type=client_credentials"), "{body}");
        assert!(body.contains("scope=read+write"), "{body}");
        assert!(!body.contains("client_secret"), "{body}");
    }
    assert_eq!(recorder.mcp_header_values("authorization"), ["Bearer tok-1"]);

    // A short-lived token is renewed once it expires, for cached sessions too.
    *recorder.expires_in.lock().unwrap() = 1;
    let fresh = oauth(&base, TokenEndpointAuth::Post);
    let def = ServerDefinition::new(def.transport.clone(), fresh);
    let key = SessionKey::for_definition("oauth-installation", &def, None);
    let cached = CallOptions { session: Some(key), ..CallOptions::default() };
    recorder.mcp_headers.lock().unwrap().clear();
    client.list_tools(&def, &cached).await.unwrap();
    assert_eq!(recorder.last_mcp_header("authorization").as_deref(), Some("Bearer tok-2"));
    {
        let grants = recorder.grants.lock().unwrap();
        let (headers, body) = &grants[1];
        assert!(headers.get("authorization").is_none(), "client_secret_post sends no Basic header");
        assert!(body.contains("client_id=client-1") && body.contains("client_secret=s%3Ecret"), "{body}");
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.list_tools(&def, &cached).await.unwrap();
    assert_eq!(recorder.grants.lock().unwrap().len(), 3, "an expired token is renewed");
    assert_eq!(recorder.last_mcp_header("authorization").as_deref(), Some("Bearer tok-3"));
    assert_eq!(client.cached_sessions(), 1, "the renewed session replaced the old one");
}

#[tokio::test]
async fn a_refused_grant_is_a_server_error() {
    let (base, recorder) = start().await;
    *recorder.token_status.lock().unwrap() = 401;
    let error = common::client()
        .list_tools(&def(&base, oauth(&base, TokenEndpointAuth::Basic)), &CallOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, McpError::Server { .. }), "{error:?}");
    assert!(error.to_string().contains("invalid_client: unknown client"), "{error}");
    assert!(recorder.mcp_headers.lock().unwrap().is_empty(), "the MCP server is not contacted");
}

/// A legacy SSE endpoint that announces `endpoint` and records the headers of
/// the stream request and of every posted message; it never answers them.
async fn start_sse(endpoint: &'static str) -> (String, Arc<Recorder>) {
    use axum::body::{Body, Bytes};
    use axum::routing::get;
    use futures::StreamExt;

    async fn stream(State((recorder, endpoint)): State<(Arc<Recorder>, &'static str)>, headers: HeaderMap) -> Response {
        recorder.mcp_headers.lock().unwrap().push(headers);
        let first = futures::stream::once(async move {
            Ok::<_, std::convert::Infallible>(Bytes::from(format!("event: endpoint\ndata: {endpoint}\n\n")))
        });
        let body = Body::from_stream(first.chain(futures::stream::pending()));
        ([(http::header::CONTENT_TYPE, "text/event-stream")], body).into_response()
    }
    async fn message(
        State((recorder, _)): State<(Arc<Recorder>, &'static str)>,
        headers: HeaderMap,
    ) -> http::StatusCode {
        recorder.mcp_headers.lock().unwrap().push(headers);
        http::StatusCode::ACCEPTED
    }

    let recorder = Arc::new(Recorder::default());
    let app = Router::new()
        .route("/sse", get(stream))
        .route("/message", post(message))
        .with_state((recorder.clone(), endpoint));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://127.0.0.1:{}/sse", listener.local_addr().unwrap().port());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, recorder)
}

#[tokio::test]
async fn sse_transport_sends_the_credentials_on_stream_and_posts() {
    let short = CallOptions { timeout: Some(Duration::from_millis(700)), ..CallOptions::default() };
    for (auth, header, value) in [
        (McpAuth::from_parts("API_KEY", Some(&json!({"apiKey": "sse-key"})), None).unwrap(), "x-api-key", "sse-key"),
        (
            McpAuth::from_parts("BEARER", Some(&json!({"token": "sse-token"})), None).unwrap(),
            "authorization",
            "Bearer sse-token",
        ),
    ] {
        let (url, recorder) = start_sse("/message?sessionId=abc").await;
        let def = ServerDefinition::new(McpTransport::Sse { url }, auth);
        let error = common::client().list_tools(&def, &short).await.unwrap_err();
        assert!(matches!(error, McpError::Timeout { .. }), "the fake never answers: {error:?}");
        let headers = recorder.mcp_headers.lock().unwrap();
        assert!(headers.len() >= 2, "stream and initialize POST: {}", headers.len());
        for request in headers.iter() {
            assert_eq!(request[header], value);
        }
    }
}

#[tokio::test]
async fn sse_endpoint_on_another_origin_is_refused() {
    let (url, recorder) = start_sse("http://127.0.0.2:9/message").await;
    let def = ServerDefinition::new(McpTransport::Sse { url }, McpAuth::Bearer { token: "do-not-leak".into() });
    let error = common::client().list_tools(&def, &CallOptions::default()).await.unwrap_err();
    assert!(matches!(error, McpError::Server { .. }), "{error:?}");
    assert!(error.to_string().contains("not on the origin"), "{error}");
    assert_eq!(recorder.mcp_headers.lock().unwrap().len(), 1, "only the stream was requested");
}

#[tokio::test]
async fn a_server_without_tools_has_an_empty_tool_list() {
    let (base, _) = start().await;
    let def = ServerDefinition::new(McpTransport::StreamableHttp { url: format!("{base}/empty") }, McpAuth::None);
    let tools = common::client().list_tools(&def, &CallOptions::default()).await.unwrap();
    assert!(tools.is_empty());
}
