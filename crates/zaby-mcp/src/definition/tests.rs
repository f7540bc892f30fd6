use serde_json::json;

use super::*;

#[test]
fn transports_from_parts() {
    assert_eq!(
        McpTransport::from_parts("STREAMABLE_HTTP", Some("http://localhost:1/mcp"), None).unwrap(),
        McpTransport::StreamableHttp { url: "http://localhost:1/mcp".into() }
    );
    assert!(matches!(
        McpTransport::from_parts("SSE", Some("https://example.com/sse"), None).unwrap(),
        McpTransport::Sse { .. }
    ));
    let argv = vec!["node".to_owned(), "server.js".to_owned()];
    assert_eq!(McpTransport::from_parts("STDIO", None, Some(&argv)).unwrap(), McpTransport::Stdio { command: argv });
}

#[test]
fn bad_transports_are_rejected_with_a_reason() {
    let message = |r: Result<McpTransport, McpError>| r.unwrap_err().to_string();
    assert!(message(McpTransport::from_parts("STREAMABLE_HTTP", None, None)).contains("endpointUrl is required"));
    assert!(message(McpTransport::from_parts("SSE", Some("ftp://x/y"), None)).contains("http:// or https://"));
    assert!(message(McpTransport::from_parts("STDIO", None, Some(&[]))).contains("non-empty argv"));
    assert!(message(McpTransport::from_parts("WEBSOCKET", Some("http://x"), None)).contains("unknown transport"));
}

#[test]
fn auth_modes_from_credentials() {
    assert_eq!(McpAuth::from_parts("NONE", None, None).unwrap(), McpAuth::None);
    assert_eq!(
        McpAuth::from_parts("API_KEY", Some(&json!({"apiKey": "k1"})), None).unwrap(),
        McpAuth::ApiKey { api_key: "k1".into(), header_name: "x-api-key".into() }
    );
    assert_eq!(
        McpAuth::from_parts("API_KEY", Some(&json!({"apiKey": "k1", "headerName": "X-Custom"})), None).unwrap(),
        McpAuth::ApiKey { api_key: "k1".into(), header_name: "x-custom".into() }
    );
    assert_eq!(
        McpAuth::from_parts("BEARER", Some(&json!({"token": "t"})), None).unwrap(),
        McpAuth::Bearer { token: "t".into() }
    );
    let oauth = McpAuth::from_parts(
        "OAUTH2",
        Some(&json!({"clientSecret": "s"})),
        Some(&json!({"tokenUrl": "https://auth.example/token", "clientId": "c", "scopes": ["read", "write"]})),
    )
    .unwrap();
    let McpAuth::OAuth2(grant) = oauth else { panic!("not oauth2") };
    assert_eq!(grant.client_id, "c");
    assert_eq!(grant.client_secret, "s");
    assert_eq!(grant.scopes, ["read", "write"]);
    assert_eq!(grant.client_auth, TokenEndpointAuth::Basic);
}

#[test]
fn wrong_credential_shapes_are_rejected() {
    let err = |mode: &str, creds: serde_json::Value| check_credentials(mode, &creds).unwrap_err().to_string();
    assert!(err("API_KEY", json!({"token": "x"})).contains("do not take \"token\""));
    assert!(err("API_KEY", json!({})).contains("\"apiKey\""));
    assert!(err("BEARER", json!({"token": ""})).contains("non-empty string \"token\""));
    assert!(err("OAUTH2", json!({"clientSecret": 5})).contains("\"clientSecret\""));
    assert!(err("API_KEY", json!({"apiKey": "a", "headerName": "bad header"})).contains("header name"));
    assert!(err("BEARER", json!({"token": "line\nbreak"})).contains("cannot be sent"));
    assert!(err("NONE", json!({"token": "x"})).contains("no fields"));
    assert!(err("MAGIC", json!({})).contains("unknown authMode"));
    assert!(McpAuth::from_parts("BEARER", None, None).unwrap_err().to_string().contains("credential binding"));
    assert!(
        McpAuth::from_parts("OAUTH2", Some(&json!({"clientSecret": "s"})), Some(&json!({"clientId": "c"})))
            .unwrap_err()
            .to_string()
            .contains("tokenUrl")
    );
}

#[test]
fn debug_output_hides_secrets() {
    let auth = McpAuth::Bearer { token: "very-secret".into() };
    assert!(!format!("{auth:?}").contains("very-secret"));
    let auth = McpAuth::ApiKey { api_key: "very-secret".into(), header_name: "x-api-key".into() };
    assert!(!format!("{auth:?}").contains("very-secret"));
}

#[test]
fn fingerprint_changes_with_anything_that_changes_the_connection() {
    let def = |url: &str, token: &str| {
        ServerDefinition::new(McpTransport::StreamableHttp { url: url.into() }, McpAuth::Bearer { token: token.into() })
    };
    let base = def("http://a/mcp", "t1").fingerprint(None);
    assert_eq!(base, def("http://a/mcp", "t1").fingerprint(None));
    assert_eq!(base.len(), 64);
    assert!(!base.contains("t1"));
    assert_ne!(base, def("http://b/mcp", "t1").fingerprint(None));
    assert_ne!(base, def("http://a/mcp", "t2").fingerprint(None));
    assert_ne!(base, def("http://a/mcp", "t1").fingerprint(Some("override")));
}
