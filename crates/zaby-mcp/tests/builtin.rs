//! The built-in MCP server, used through the same client path as any server.

mod common;

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use zaby_mcp::builtin::{BUILTIN_PATH, BuiltinServer, KbSearchRequest, KnowledgeSearch, TokenValidator, ToolFailure};
use zaby_mcp::{CallOptions, McpAuth, McpError, McpTransport, ServerDefinition, SessionKey};

struct Tokens;

#[async_trait::async_trait]
impl TokenValidator for Tokens {
    async fn validate(&self, token: &str) -> Result<String, String> {
        match token {
            "token-a" => Ok("tenant-a".into()),
            "token-b" => Ok("tenant-b".into()),
            _ => Err("the built-in MCP token is invalid or expired".into()),
        }
    }
}

#[derive(Default)]
struct Search {
    calls: Mutex<Vec<(String, KbSearchRequest)>>,
}

#[async_trait::async_trait]
impl KnowledgeSearch for Search {
    async fn search(&self, tenant_id: &str, request: KbSearchRequest) -> Result<Value, ToolFailure> {
        self.calls.lock().unwrap().push((tenant_id.to_owned(), request.clone()));
        if request.knowledge_base_id == "kb-missing" {
            return Err(ToolFailure::new("NOT_FOUND", "knowledge base kb-missing not found"));
        }
        Ok(json!({
            "query": request.query,
            "knowledgeBaseId": request.knowledge_base_id,
            "items": [{"chunkId": "c1", "content": format!("owned by {tenant_id}"), "score": 0.9}],
            "total": 1
        }))
    }
}

async fn start() -> (String, Arc<Search>) {
    let search = Arc::new(Search::default());
    let router = BuiltinServer::new(Arc::new(Tokens), search.clone()).router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{BUILTIN_PATH}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (url, search)
}

fn def(url: &str) -> ServerDefinition {
    ServerDefinition::new(McpTransport::StreamableHttp { url: url.into() }, McpAuth::None)
}

fn as_tenant(token: &str) -> CallOptions {
    CallOptions { bearer_override: Some(token.into()), ..CallOptions::default() }
}

#[tokio::test]
async fn discovery_lists_the_four_tools_with_schemas() {
    let (url, _) = start().await;
    let tools = common::client().list_tools(&def(&url), &as_tenant("token-a")).await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["echo", "sum", "current_time", "kb_search"]);
    for tool in &tools {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        assert!(!tool.description.as_deref().unwrap_or_default().is_empty());
    }
    let sum = &tools[1].input_schema;
    assert_eq!(sum["required"], json!(["numbers"]));
    assert_eq!(sum["properties"]["numbers"]["items"]["type"], "number");
    let kb = &tools[3].input_schema;
    assert_eq!(kb["required"], json!(["knowledgeBaseId", "query"]));
    assert_eq!(kb["properties"]["topK"]["maximum"], 50);
}

#[tokio::test]
async fn tools_return_structured_content() {
    let (url, search) = start().await;
    let client = common::client();
    let def = def(&url);
    let options = CallOptions {
        session: Some(SessionKey::for_definition("zaby-builtin/tenant-a", &def, Some("token-a"))),
        ..as_tenant("token-a")
    };
    let call = |name: &'static str, args: Value| {
        let (client, def, options) = (client.clone(), def.clone(), options.clone());
        async move { client.call_tool(&def, name, args, &options).await.unwrap() }
    };

    let echoed = call("echo", json!({"a": [1, {"b": null}], "s": "x"})).await;
    assert!(!echoed.is_error);
    assert_eq!(echoed.result, json!({"a": [1, {"b": null}], "s": "x"}));

    assert_eq!(call("sum", json!({"numbers": [1, 2, 3]})).await.result, json!({"sum": 6}));
    assert_eq!(call("sum", json!({"numbers": [1, 2.5]})).await.result, json!({"sum": 3.5}));
    assert_eq!(call("sum", json!({"numbers": []})).await.result, json!({"sum": 0}));

    let bad = call("sum", json!({"numbers": [1, "two"]})).await;
    assert!(bad.is_error);
    assert_eq!(bad.result["code"], "INVALID_ARGUMENTS");
    assert_eq!(bad.result["errors"][0]["field"], "/numbers/1");

    let utc = call("current_time", json!({})).await;
    let time = utc.result["time"].as_str().unwrap();
    assert!(time.ends_with('Z'), "{time}");
    assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    let plus_two = call("current_time", json!({"timezone": "+02:00"})).await;
    let time = plus_two.result["time"].as_str().unwrap();
    assert!(time.ends_with("+02:00"), "{time}");
    let parsed = chrono::DateTime::parse_from_rfc3339(time).unwrap();
    let drift = (chrono::Utc::now() - parsed.with_timezone(&chrono::Utc)).num_seconds().abs();
    assert!(drift < 60, "{time} is not now");
    let unknown = call("current_time", json!({"timezone": "Mars/Olympus"})).await;
    assert!(unknown.is_error);
    assert!(unknown.result["message"].as_str().unwrap().contains("Mars/Olympus"));

    let found = call("kb_search", json!({"knowledgeBaseId": "kb-1", "query": "refunds"})).await;
    assert!(!found.is_error);
    assert_eq!(found.result["items"][0]["content"], "owned by tenant-a");
    assert_eq!(found.result["total"], 1);
    let missing = call("kb_search", json!({"knowledgeBaseId": "kb-missing", "query": "x", "topK": 2})).await;
    assert!(missing.is_error);
    assert_eq!(missing.result["code"], "NOT_FOUND");
    let calls = search.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].0, "tenant-a");
    assert_eq!(calls[0].1.top_k, 5, "topK defaults to 5");
    assert_eq!(calls[1].1.top_k, 2);

    let no_query = call("kb_search", json!({"knowledgeBaseId": "kb-1", "topK": 0})).await;
    assert!(no_query.is_error);
    let fields: Vec<&str> =
        no_query.result["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"") && fields.contains(&"/topK"), "{fields:?}");
    assert_eq!(search.calls.lock().unwrap().len(), 2, "invalid calls never reach the search");
    assert_eq!(client.cached_sessions(), 1);
}

#[tokio::test]
async fn kb_search_runs_as_the_token_tenant() {
    let (url, search) = start().await;
    let client = common::client();
    for (token, tenant) in [("token-b", "tenant-b"), ("token-a", "tenant-a")] {
        let result = client
            .call_tool(&def(&url), "kb_search", json!({"knowledgeBaseId": "kb", "query": "q"}), &as_tenant(token))
            .await
            .unwrap();
        assert_eq!(result.result["items"][0]["content"], format!("owned by {tenant}"));
    }
    let tenants: Vec<String> = search.calls.lock().unwrap().iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(tenants, ["tenant-b", "tenant-a"]);
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let (url, _) = start().await;
    let http = reqwest::Client::new();
    let init = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    });
    for authorization in [None, Some("Bearer wrong"), Some("Basic dXNlcjpwYXNz"), Some("Bearer ")] {
        let mut request = http
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(init.to_string());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(body["code"], "UNAUTHORIZED");
        assert!(!body["message"].as_str().unwrap().is_empty());
        if authorization == Some("Bearer wrong") {
            assert_eq!(body["message"], "the built-in MCP token is invalid or expired");
        }
    }

    // Through the client: no token, or a bad one, is an upstream failure.
    for options in [CallOptions::default(), as_tenant("wrong")] {
        let error = common::client().list_tools(&def(&url), &options).await.unwrap_err();
        assert!(matches!(error, McpError::Server { .. }), "{error:?}");
    }

    // With a valid token the same raw request succeeds.
    let response = http
        .post(&url)
        .header("authorization", "Bearer token-a")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_unknown_tool_is_a_json_rpc_error_that_keeps_the_session() {
    let (url, _) = start().await;
    let client = common::client();
    let def = def(&url);
    let options = CallOptions {
        session: Some(SessionKey::for_definition("builtin", &def, Some("token-a"))),
        ..as_tenant("token-a")
    };
    let error = client.call_tool(&def, "nope", json!({}), &options).await.unwrap_err();
    assert!(matches!(&error, McpError::Rpc { code: -32602, message, .. } if message.contains("nope")), "{error:?}");
    assert_eq!(error.code(), "MCP_SERVER_ERROR");
    assert_eq!(client.cached_sessions(), 1, "a JSON-RPC error does not drop the session");
    let result = client.call_tool(&def, "sum", json!({"numbers": [2, 2]}), &options).await.unwrap();
    assert_eq!(result.result, json!({"sum": 4}));
}
