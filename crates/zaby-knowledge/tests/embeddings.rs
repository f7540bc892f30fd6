//! The OpenAI-compatible embeddings client against a local stand-in provider.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use zaby_knowledge::{EmbeddingsClient, EmbeddingsConfig, EmbeddingsError};

/// One request as the provider saw it: its `authorization` header and its body.
type Request = (Option<String>, Value);

#[derive(Clone, Default)]
struct Seen {
    requests: Arc<Mutex<Vec<Request>>>,
}

/// Embeds each input as `[len, position]`, listing the items in reverse order (with
/// their `index`) to check that the client restores input order.
async fn embeddings(
    State(seen): State<Seen>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    seen.requests.lock().unwrap().push((auth.clone(), body.clone()));
    if auth.as_deref() == Some("Bearer wrong") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"message": "Incorrect API key", "type": "invalid_request_error"}})),
        );
    }
    let inputs = body["input"].as_array().unwrap();
    if inputs.iter().any(|i| i == "short") {
        return (StatusCode::OK, Json(json!({"data": []})));
    }
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .rev()
        .map(|(i, text)| {
            json!({
                "object": "embedding",
                "index": i,
                "embedding": [text.as_str().unwrap().chars().count() as f32, i as f32],
            })
        })
        .collect();
    (StatusCode::OK, Json(json!({"object": "list", "data": data, "model": body["model"]})))
}

async fn provider() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new().route("/v1/embeddings", post(embeddings)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1/"), seen)
}

#[tokio::test]
async fn embeds_in_input_order_with_model_and_key() {
    let (base, seen) = provider().await;
    let mut config = EmbeddingsConfig::new(base);
    config.api_key = Some("sk-test".into());
    config.model = "mini-embed".into();
    let client = EmbeddingsClient::new(config).unwrap();
    let vectors = client.embed(&["a", "bbb", "cc"]).await.unwrap();
    assert_eq!(vectors, [vec![1.0, 0.0], vec![3.0, 1.0], vec![2.0, 2.0]]);
    let requests = seen.requests.lock().unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].0.as_deref(), Some("Bearer sk-test"));
    assert_eq!(requests[0].1, json!({"model": "mini-embed", "input": ["a", "bbb", "cc"], "encoding_format": "float"}));
}

#[tokio::test]
async fn long_lists_are_sent_in_batches() {
    let (base, seen) = provider().await;
    let client = EmbeddingsClient::new(EmbeddingsConfig::new(base)).unwrap();
    let texts: Vec<String> = (0..130).map(|i| "x".repeat(i + 1)).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = client.embed(&refs).await.unwrap();
    assert_eq!(vectors.len(), 130);
    assert_eq!(vectors[129], vec![130.0, 1.0]);
    let requests = seen.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].1["input"].as_array().unwrap().len(), 128);
    // No key configured: no authorization header.
    assert_eq!(requests[0].0, None);
    assert_eq!(client.embed(&[]).await.unwrap(), Vec::<Vec<f32>>::new());
}

#[tokio::test]
async fn provider_errors_and_bad_responses_are_reported() {
    let (base, _) = provider().await;
    let mut config = EmbeddingsConfig::new(base.clone());
    config.api_key = Some("wrong".into());
    let err = EmbeddingsClient::new(config).unwrap().embed_one("hi").await.unwrap_err();
    match err {
        EmbeddingsError::Status { status, message } => {
            assert_eq!(status, 401);
            assert_eq!(message, "Incorrect API key");
        }
        other => panic!("unexpected {other:?}"),
    }
    let client = EmbeddingsClient::new(EmbeddingsConfig::new(base)).unwrap();
    let err = client.embed(&["short"]).await.unwrap_err();
    assert!(matches!(err, EmbeddingsError::InvalidResponse(_)), "{err:?}");
    assert!(err.to_string().contains("expected 1 embeddings, got 0"));
}

#[tokio::test]
async fn unreachable_provider_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = EmbeddingsClient::new(EmbeddingsConfig::new(format!("http://{addr}"))).unwrap();
    let err = client.embed_one("hi").await.unwrap_err();
    assert!(matches!(err, EmbeddingsError::Transport(_)), "{err:?}");
}

#[test]
fn configuration_from_variables() {
    let vars = HashMap::from([
        ("ZABY_EMBEDDINGS_BASE_URL", "https://example.test/v1"),
        ("ZABY_EMBEDDINGS_API_KEY", "sk-1"),
        ("ZABY_EMBEDDINGS_MODEL", ""),
    ]);
    let config = EmbeddingsConfig::from_lookup(|name| vars.get(name).map(|v| v.to_string())).unwrap();
    assert_eq!(config.base_url, "https://example.test/v1");
    assert_eq!(config.api_key.as_deref(), Some("sk-1"));
    // An empty model is unset: the default applies.
    assert_eq!(config.model, "text-embedding-3-small");
    assert_eq!(EmbeddingsConfig::from_lookup(|_| None), None);
    assert_eq!(EmbeddingsConfig::from_lookup(|n| (n == "ZABY_EMBEDDINGS_BASE_URL").then(|| " ".to_string())), None);
    let err = EmbeddingsClient::new(EmbeddingsConfig::new("ftp://x")).unwrap_err();
    assert!(matches!(err, EmbeddingsError::Config(_)));
    let err = EmbeddingsClient::new(EmbeddingsConfig::new("not a url")).unwrap_err();
    assert!(matches!(err, EmbeddingsError::Config(_)));
}
