//! Upstream failures map to MCP_SERVER_ERROR (unreachable, broken protocol)
//! and MCP_TIMEOUT (no answer in time).

mod common;

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use zaby_mcp::{CallOptions, McpAuth, McpError, McpTransport, ServerDefinition, SessionKey};

fn http_def(url: String) -> ServerDefinition {
    ServerDefinition::new(McpTransport::StreamableHttp { url }, McpAuth::None)
}

#[tokio::test]
async fn unreachable_server_is_a_server_error() {
    let port = common::free_port(); // nothing listens there any more
    for def in [
        http_def(format!("http://127.0.0.1:{port}/mcp")),
        ServerDefinition::new(McpTransport::Sse { url: format!("http://127.0.0.1:{port}/sse") }, McpAuth::None),
    ] {
        let error = common::client().list_tools(&def, &CallOptions::default()).await.unwrap_err();
        assert!(matches!(error, McpError::Server { .. }), "{error:?}");
        assert_eq!(error.code(), "MCP_SERVER_ERROR");
        assert_eq!(error.http_status(), 502);
    }
}

/// Accepts connections, reads the request and never answers.
async fn silent_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            open.push(socket);
        }
    });
    (port, task)
}

#[tokio::test]
async fn silent_server_times_out() {
    let (port, task) = silent_server().await;
    let client = common::client();
    let def = http_def(format!("http://127.0.0.1:{port}/mcp"));
    let key = SessionKey::for_definition("silent", &def, None);
    let options =
        CallOptions { session: Some(key), timeout: Some(Duration::from_millis(300)), ..CallOptions::default() };
    let started = Instant::now();
    let error = client.call_tool(&def, "anything", json!({}), &options).await.unwrap_err();
    assert!(matches!(error, McpError::Timeout { timeout } if timeout == Duration::from_millis(300)), "{error:?}");
    assert_eq!(error.code(), "MCP_TIMEOUT");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(client.cached_sessions(), 0, "a timed-out session is not kept");

    // The configured timeout applies when the call gives none.
    let client = zaby_mcp::McpClient::new(zaby_mcp::McpClientConfig {
        timeout: Duration::from_millis(200),
        ..Default::default()
    });
    let error = client.list_tools(&def, &CallOptions::default()).await.unwrap_err();
    assert!(matches!(error, McpError::Timeout { .. }), "{error:?}");
    task.abort();
}

/// Answers every request with a fixed HTTP response.
async fn fixed_server(response: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 8192];
                let _ = socket.read(&mut buffer).await;
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn protocol_breakage_is_a_server_error() {
    let garbage = fixed_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\nconnection: close\r\n\r\nnot json!!!!",
    )
    .await;
    let failing = fixed_server(
        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: 4\r\nconnection: close\r\n\r\nboom",
    )
    .await;
    for port in [garbage, failing] {
        let def = http_def(format!("http://127.0.0.1:{port}/mcp"));
        let error = common::client().list_tools(&def, &CallOptions::default()).await.unwrap_err();
        assert_eq!(error.code(), "MCP_SERVER_ERROR", "port {port}: {error:?}");
    }
}

#[tokio::test]
async fn sse_stream_without_endpoint_is_a_server_error() {
    let port = fixed_server(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n: just a comment\n\n",
    )
    .await;
    let def = ServerDefinition::new(McpTransport::Sse { url: format!("http://127.0.0.1:{port}/sse") }, McpAuth::None);
    let error = common::client().list_tools(&def, &CallOptions::default()).await.unwrap_err();
    assert_eq!(error.code(), "MCP_SERVER_ERROR");
    assert!(error.to_string().contains("endpoint"), "{error}");
}
