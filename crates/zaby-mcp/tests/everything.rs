//! The client against a real third-party MCP server,
//! `@modelcontextprotocol/server-everything`, over all three transports.

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use zaby_mcp::{
    CallOptions, McpAuth, McpClient, McpClientConfig, McpError, McpTransport, ServerDefinition, SessionKey,
    validate_arguments,
};

use common::{Everything, client};

fn text_of(result: &Value) -> String {
    result
        .as_array()
        .and_then(|items| items.first())
        .and_then(|item| item.get("text"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn streamable_http_discovery_validation_and_calls() {
    let server = Everything::start("streamableHttp").await;
    let client = client();
    let def = server.streamable_http();
    let once = CallOptions::default();

    let tools = client.list_tools(&def, &once).await.expect("discovery");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    for expected in ["echo", "get-sum", "get-structured-content", "get-env"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let sum = tools.iter().find(|t| t.name == "get-sum").unwrap();
    assert!(sum.description.as_deref().unwrap_or_default().contains("sum"));
    assert_eq!(sum.input_schema["type"], "object");
    assert!(sum.input_schema["properties"]["a"].is_object());

    // Validation against the discovered schema names the failing values.
    let errors = validate_arguments(&sum.input_schema, &json!({"a": "one"})).unwrap();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"/a"), "{errors:?}");
    assert!(fields.contains(&""), "missing b is reported at the root: {errors:?}");
    assert!(validate_arguments(&sum.input_schema, &json!({"a": 1, "b": 2})).unwrap().is_empty());
    let errors = validate_arguments(&sum.input_schema, &json!([1, 2])).unwrap();
    assert_eq!(errors[0].field, "");

    // A content-only result comes back as the content array.
    let result = client.call_tool(&def, "get-sum", json!({"a": 2, "b": 3}), &once).await.expect("call get-sum");
    assert!(!result.is_error);
    assert_eq!(result.result[0]["type"], "text");
    assert!(text_of(&result.result).contains('5'), "{}", result.result);

    // A result with structuredContent comes back as that object.
    let result = client
        .call_tool(&def, "get-structured-content", json!({"location": "Chicago"}), &once)
        .await
        .expect("call get-structured-content");
    assert!(!result.is_error);
    assert_eq!(result.result["temperature"], 36);
    assert_eq!(result.result["conditions"], "Light rain / drizzle");

    // A tool error is a result with isError, not a failure of the call.
    let result =
        client.call_tool(&def, "echo", json!({"message": 42}), &once).await.expect("a tool error is still an answer");
    assert!(result.is_error, "{result:?}");
    assert!(text_of(&result.result).to_lowercase().contains("message"), "{}", result.result);

    // Non-object arguments are refused before anything is sent.
    let error = client.call_tool(&def, "echo", json!([1]), &once).await.unwrap_err();
    assert!(matches!(error, McpError::InvalidArguments(_)), "{error:?}");
    assert_eq!(error.code(), "VALIDATION_ERROR");
}

#[tokio::test]
async fn cached_sessions_are_reused_and_invalidated() {
    let server = Everything::start("streamableHttp").await;
    let client = client();
    let def = server.streamable_http();
    let key = SessionKey::for_definition("installation-1", &def, None);
    let options = CallOptions { session: Some(key.clone()), ..CallOptions::default() };

    let first = client.call_tool(&def, "echo", json!({"message": "one"}), &options).await.unwrap();
    assert_eq!(text_of(&first.result), "Echo: one");
    assert_eq!(client.cached_sessions(), 1);
    // Concurrent calls share the session.
    let (a, b) = tokio::join!(
        client.call_tool(&def, "echo", json!({"message": "two"}), &options),
        client.call_tool(&def, "get-sum", json!({"a": 1, "b": 1}), &options),
    );
    assert_eq!(text_of(&a.unwrap().result), "Echo: two");
    assert!(text_of(&b.unwrap().result).contains('2'));
    assert_eq!(client.cached_sessions(), 1);

    client.invalidate_scope("installation-1");
    assert_eq!(client.cached_sessions(), 0);
    client.list_tools(&def, &options).await.unwrap();
    assert_eq!(client.cached_sessions(), 1);
    client.invalidate(&key);
    assert_eq!(client.cached_sessions(), 0);

    // A session whose server went away is dropped after the error, and the
    // next call connects again.
    client.list_tools(&def, &options).await.unwrap();
    let port = server.port;
    drop(server);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let error = client.list_tools(&def, &options).await.unwrap_err();
    assert_eq!(error.code(), "MCP_SERVER_ERROR", "{error:?}");
    assert_eq!(client.cached_sessions(), 0);
    let _ = port;
}

#[tokio::test]
async fn slow_tool_times_out() {
    let server = Everything::start("streamableHttp").await;
    let client = client();
    let def = server.streamable_http();
    let options = CallOptions { timeout: Some(Duration::from_millis(1500)), ..CallOptions::default() };
    let started = std::time::Instant::now();
    let error = client
        .call_tool(&def, "trigger-long-running-operation", json!({"duration": 10, "steps": 2}), &options)
        .await
        .unwrap_err();
    assert!(matches!(error, McpError::Timeout { .. }), "{error:?}");
    assert_eq!(error.code(), "MCP_TIMEOUT");
    assert_eq!(error.http_status(), 504);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn legacy_sse_transport() {
    let server = Everything::start("sse").await;
    let client = client();
    let def = server.sse();
    let tools = client.list_tools(&def, &CallOptions::default()).await.expect("discovery over SSE");
    assert!(tools.iter().any(|t| t.name == "echo"));

    let key = SessionKey::for_definition("sse-installation", &def, None);
    let options = CallOptions { session: Some(key), ..CallOptions::default() };
    for word in ["first", "second"] {
        let result = client.call_tool(&def, "echo", json!({"message": word}), &options).await.expect("call over SSE");
        assert!(!result.is_error);
        assert_eq!(text_of(&result.result), format!("Echo: {word}"));
    }
    let result =
        client.call_tool(&def, "get-structured-content", json!({"location": "New York"}), &options).await.unwrap();
    assert_eq!(result.result["temperature"], 33);
}

fn env_of(result: &Value) -> Value {
    serde_json::from_str(&text_of(result)).expect("get-env returns the environment as JSON")
}

#[tokio::test]
async fn stdio_transport_passes_the_secret_and_nothing_else() {
    let client = client();
    let def = ServerDefinition::new(
        McpTransport::Stdio { command: common::everything_stdio_command() },
        McpAuth::Bearer { token: "stdio-secret-1".into() },
    );
    let key = SessionKey::for_definition("stdio-installation", &def, None);
    let options = CallOptions { session: Some(key.clone()), ..CallOptions::default() };
    let tools = client.list_tools(&def, &options).await.expect("discovery over stdio");
    assert!(tools.iter().any(|t| t.name == "get-env"));

    let result = client.call_tool(&def, "get-env", json!({}), &options).await.unwrap();
    let env = env_of(&result.result);
    assert_eq!(env["ZABY_MCP_SECRET"], "stdio-secret-1");
    assert!(env.get("PATH").is_some(), "PATH is passed through");
    // Cargo sets this for the test process; the child must not inherit it.
    assert!(env.get("CARGO_MANIFEST_DIR").is_none(), "the server's environment leaked: {env}");

    // An API key is passed the same way.
    let api_key_def = ServerDefinition::new(
        def.transport.clone(),
        McpAuth::ApiKey { api_key: "stdio-key".into(), header_name: "x-api-key".into() },
    );
    let result = client.call_tool(&api_key_def, "get-env", json!({}), &CallOptions::default()).await.unwrap();
    assert_eq!(env_of(&result.result)["ZABY_MCP_SECRET"], "stdio-key");

    // The child lives as long as its cached session, and dies with it.
    let entry = common::everything_entry().display().to_string();
    assert!(!common::pids_with_cmdline(&entry).is_empty());
    client.invalidate(&key);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !common::pids_with_cmdline(&entry).is_empty() {
        assert!(std::time::Instant::now() < deadline, "stdio server still running after invalidation");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn stdio_is_refused_unless_allowed() {
    let client = McpClient::new(McpClientConfig::default());
    assert!(!client.config().allow_stdio);
    let def =
        ServerDefinition::new(McpTransport::Stdio { command: vec!["definitely-not-started".into()] }, McpAuth::None);
    let error = client.list_tools(&def, &CallOptions::default()).await.unwrap_err();
    assert!(matches!(error, McpError::StdioNotAllowed), "{error:?}");
    assert_eq!(error.http_status(), 422);
}

#[tokio::test]
async fn stdio_command_that_does_not_exist() {
    let def = ServerDefinition::new(
        McpTransport::Stdio { command: vec!["/nonexistent/zaby-mcp-server".into()] },
        McpAuth::None,
    );
    let error = client().list_tools(&def, &CallOptions::default()).await.unwrap_err();
    assert_eq!(error.code(), "MCP_SERVER_ERROR", "{error:?}");
    assert!(error.to_string().contains("cannot start"), "{error}");
}
