//! One call end to end: constructors, credential providers, timeouts, cancellation,
//! close, response parsing and the mapping of failed responses to errors.

mod common;

use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use futures::StreamExt;
use serde_json::json;
use tokio::time::Instant;
use zaby::testing::{MockResponse, MockTransport};
use zaby::transport::TransportResponse;
use zaby::{CancellationToken, Credential, CredentialProvider, Zaby, ZabyError, ZabyGlobalConfig, ZabyRuntime};

const AGENTS: &str = "/api/v1/provisioning/agentic-os/agents";

#[test]
fn constructors_reject_missing_or_empty_credentials() {
    // Each message names the argument as a Rust caller writes it.
    let cases: Vec<(&str, zaby::Result<()>)> = vec![
        ("api_key is required (or access_token)", Zaby::builder().build().map(drop)),
        ("api_key must not be an empty string", Zaby::new("").map(drop)),
        ("api_key must not be an empty string", Zaby::builder().api_key("").access_token("t").build().map(drop)),
        ("access_token must not be an empty string", Zaby::builder().api_key("k").access_token("").build().map(drop)),
        ("access_token must not be an empty string", Zaby::builder().access_token(String::new()).build().map(drop)),
        ("token is required", ZabyRuntime::builder().build().map(drop)),
        ("token must not be an empty string", ZabyRuntime::new("").map(drop)),
    ];
    for (message, result) in cases {
        let err = result.expect_err(message);
        assert_error(&err, "ZabyError", Some("INVALID_ARGUMENT"));
        assert_eq!(err.message(), message);
    }
    // A tenant id alone is not a credential.
    assert!(Zaby::builder().tenant_id("t").build().is_err());
    // Either credential alone is enough; providers are not called at construction.
    assert!(Zaby::builder().access_token("t").build().is_ok());
    let never = Credential::from_fn(|| -> String { panic!("called at construction") });
    assert!(Zaby::builder().api_key(never).build().is_ok());
}

#[test]
fn constructors_reject_invalid_configuration() {
    for config in [
        ZabyGlobalConfig { api_origin: Some("localhost:9080".into()), ..Default::default() },
        ZabyGlobalConfig { api_origin: Some("".into()), ..Default::default() },
        ZabyGlobalConfig { timeout_ms: Some(0), ..Default::default() },
    ] {
        let err = Zaby::builder().api_key("k").config(config.clone()).build().map(drop).unwrap_err();
        assert_error(&err, "ZabyError", Some("INVALID_CONFIG"));
        let err = ZabyRuntime::builder().token("t").config(config).build().map(drop).unwrap_err();
        assert_error(&err, "ZabyError", Some("INVALID_CONFIG"));
    }
}

#[tokio::test]
async fn the_origin_prefixes_every_url() {
    let t = mock();
    let zaby = Zaby::builder()
        .api_key("k")
        .config(ZabyGlobalConfig { api_origin: Some("http://h:1/base/".into()), ..Default::default() })
        .transport(t.clone())
        .build()
        .unwrap();
    assert_eq!(zaby.config().api_origin, "http://h:1/base");
    t.set_response("GET", "/health", 200, json!({}));
    zaby.health().check().json().await.unwrap();
    assert_eq!(t.requests()[0].url, "http://h:1/base/health");
}

// ---------------------------------------------------------------- credential providers

struct Counting(AtomicUsize);

#[async_trait]
impl CredentialProvider for Counting {
    async fn credential(&self) -> zaby::Result<String> {
        tokio::task::yield_now().await;
        Ok(format!("tok-{}", self.0.fetch_add(1, Ordering::SeqCst)))
    }
}

#[tokio::test]
async fn providers_are_resolved_on_every_request() {
    let t = mock();
    let sync_calls = Arc::new(AtomicUsize::new(0));
    let s = sync_calls.clone();
    let zaby = Zaby::builder()
        .api_key(Credential::from_fn(move || format!("key-{}", s.fetch_add(1, Ordering::SeqCst))))
        .access_token(Credential::from_async_fn(|| async { Ok::<_, std::io::Error>("jwt".to_owned()) }))
        .config(config())
        .transport(t.clone())
        .build()
        .unwrap();
    let runtime = ZabyRuntime::builder()
        .token(Arc::new(Counting(AtomicUsize::new(0))))
        .config(config())
        .transport(t.clone())
        .build()
        .unwrap();
    for _ in 0..2 {
        t.set_response("GET", "/health", 200, json!({}));
        zaby.health().check().json().await.unwrap();
        t.set_response("POST", "/api/v1/agent-runtime/runs", 201, json!({}));
        runtime.runs().start(json!({})).json().await.unwrap();
    }
    let r = t.requests();
    assert_eq!(r[0].headers["x-zaby-api-key"], "key-0");
    assert_eq!(r[2].headers["x-zaby-api-key"], "key-1");
    assert_eq!(r[0].headers["authorization"], "Bearer jwt");
    assert_eq!(r[1].headers["authorization"], "Bearer tok-0");
    assert_eq!(r[3].headers["authorization"], "Bearer tok-1");
    assert_eq!(sync_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn failing_or_empty_providers_send_nothing() {
    #[derive(Debug)]
    struct Vault;
    impl std::fmt::Display for Vault {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("vault sealed")
        }
    }
    impl std::error::Error for Vault {}

    struct Failing;
    #[async_trait]
    impl CredentialProvider for Failing {
        async fn credential(&self) -> zaby::Result<String> {
            Err(ZabyError::invalid_argument("no token in the keychain"))
        }
    }

    let providers: Vec<(&str, Credential, &str)> = vec![
        ("sync Err", Credential::from_fn(|| Err::<String, _>(Vault)), "vault sealed"),
        ("async Err", Credential::from_async_fn(|| async { Err::<String, _>(Vault) }), "vault sealed"),
        ("sync empty", Credential::from_fn(String::new), "empty"),
        ("async empty", Credential::from_async_fn(|| async { "" }), "empty"),
        ("trait Err", Credential::from(Arc::new(Failing)), "no token in the keychain"),
    ];
    for (what, credential, cause_text) in providers {
        let t = mock();
        t.set_response("GET", "/health", 200, json!({}));
        let zaby = Zaby::builder()
            .api_key(credential.clone())
            .config(ZabyGlobalConfig { retries: Some(3u32.into()), ..config() })
            .transport(t.clone())
            .build()
            .unwrap();
        let err = zaby.health().check().await.unwrap_err();
        assert_error(&err, "ZabyError", Some("CREDENTIAL_PROVIDER_FAILED"));
        let source = err.source().unwrap_or_else(|| panic!("{what}: no source"));
        assert!(source.to_string().contains(cause_text), "{what}: {source}");
        assert!(t.requests().is_empty(), "{what}: a request was sent");
        assert_eq!(t.pending(), 1);

        // The same for the runtime token and the stream.
        let runtime = ZabyRuntime::builder().token(credential).config(config()).transport(t.clone()).build().unwrap();
        let err = runtime.runs().stream("r", None).next().await.unwrap().unwrap_err();
        assert_error(&err, "ZabyError", Some("CREDENTIAL_PROVIDER_FAILED"));
        assert!(t.requests().is_empty());
    }
    // The original error is reachable as the cause.
    let zaby =
        Zaby::builder().api_key(Credential::from_fn(|| Err::<String, _>(Vault))).transport(mock()).build().unwrap();
    let err = zaby.health().check().await.unwrap_err();
    assert!(err.source().unwrap().downcast_ref::<Vault>().is_some());
}

// ---------------------------------------------------------------- timeouts and cancellation

fn hanging() -> Arc<FnTransport> {
    FnTransport::new(|_, _| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok(json_response(200, json!({})))
    })
}

#[tokio::test(start_paused = true)]
async fn the_configured_timeout_bounds_each_attempt() {
    let t = hanging();
    let zaby = Zaby::builder()
        .api_key("k")
        .config(ZabyGlobalConfig { timeout_ms: Some(1500), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    let err = zaby.agents().get("a").await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
    assert_error(&err, "ZabyTimeoutError", Some("TIMEOUT"));
    assert!(matches!(err, ZabyError::Timeout { timeout_ms: 1500, .. }));
    assert_eq!(t.requests()[0].timeout, Duration::from_millis(1500), "the transport is told the deadline");

    // Per-call override.
    let start = Instant::now();
    let err = zaby.agents().get("a").timeout(Duration::from_millis(200)).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    assert!(matches!(err, ZabyError::Timeout { timeout_ms: 200, .. }));
    assert_eq!(t.requests()[1].timeout, Duration::from_millis(200));

    // Default: 30 s.
    let zaby = Zaby::builder().api_key("k").config(config()).transport(hanging()).build().unwrap();
    let start = Instant::now();
    assert!(matches!(zaby.health().check().await.unwrap_err(), ZabyError::Timeout { timeout_ms: 30_000, .. }));
    assert_eq!(start.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
async fn cancel_on_aborts_and_is_never_retried() {
    let t = hanging();
    let zaby = Zaby::builder()
        .api_key("k")
        .config(ZabyGlobalConfig { retries: Some(5u32.into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        cancel.cancel();
    });
    let start = Instant::now();
    let err = zaby.agents().get("a").cancel_on(token.clone()).await.unwrap_err();
    assert_error(&err, "ZabyError", Some("ABORTED"));
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    assert_eq!(t.count(), 1);

    // Already cancelled: nothing is sent.
    let err = zaby.agents().get("a").cancel_on(token.clone()).await.unwrap_err();
    assert_error(&err, "ZabyError", Some("ABORTED"));
    assert_eq!(t.count(), 1);
    // Iterators and streams too.
    let err = zaby.agents().iter(None).cancel_on(token.clone()).next().await.unwrap().unwrap_err();
    assert_error(&err, "ZabyError", Some("ABORTED"));
    let runtime = ZabyRuntime::builder().token("t").config(config()).transport(t.clone()).build().unwrap();
    let err = runtime.runs().stream("r", None).cancel_on(token).next().await.unwrap().unwrap_err();
    assert_error(&err, "ZabyError", Some("ABORTED"));
    assert_eq!(t.count(), 1);
}

// ---------------------------------------------------------------- close

#[tokio::test]
async fn calls_after_close_fail_with_client_closed() {
    let t = FnTransport::new(|_, _| async { Ok(json_response(200, json!({"items": []}))) });
    let zaby = zaby(t.clone());
    let clone = zaby.clone();
    let pending_request = zaby.agents().get("a");
    zaby.close().await;
    zaby.close().await; // idempotent
    assert!(zaby.is_closed() && clone.is_closed());
    for err in [
        clone.health().check().await.unwrap_err(),
        pending_request.await.unwrap_err(),
        zaby.agents().iter(None).next().await.unwrap().unwrap_err(),
        zaby.call("agents", "get", vec!["a".into()], None).send_json().await.unwrap_err(),
    ] {
        assert_error(&err, "ZabyError", Some("CLIENT_CLOSED"));
    }
    assert_eq!(t.count(), 0);
    assert!(!t.closed.load(Ordering::SeqCst), "a custom transport is not closed by the SDK");

    let runtime = runtime(t.clone());
    runtime.close().await;
    let err = runtime.runs().start(json!({})).await.unwrap_err();
    assert_error(&err, "ZabyError", Some("CLIENT_CLOSED"));
    let err = runtime.runs().stream("r", None).next().await.unwrap().unwrap_err();
    assert_error(&err, "ZabyError", Some("CLIENT_CLOSED"));
    assert_eq!(t.count(), 0);
}

// ---------------------------------------------------------------- responses and errors

#[tokio::test]
async fn success_bodies() {
    let t = Arc::new(MockTransport::new(vec![
        MockResponse::json("GET", "/health", 200, json!({"status": "ok"})),
        MockResponse::text("GET", "/health", 204, ""),
        MockResponse::text("GET", "/health", 200, "not json"),
        MockResponse::text("GET", "/health", 201, " {\"a\": [1]} "),
    ]));
    let zaby = zaby(t.clone());
    assert_eq!(zaby.health().check().json().await.unwrap(), json!({"status": "ok"}));
    assert_eq!(zaby.health().check().json().await.unwrap(), serde_json::Value::Null);
    assert_eq!(zaby.health().check().json().await.unwrap(), serde_json::Value::Null);
    assert_eq!(zaby.health().check().json().await.unwrap(), json!({"a": [1]}));
    // A transport that answers with `body` only is parsed too.
    let t = FnTransport::new(|_, _| async {
        Ok(TransportResponse { status: 200, body: Some("{\"x\":1}".into()), ..Default::default() })
    });
    assert_eq!(
        zaby::Zaby::builder().api_key("k").transport(t).build().unwrap().health().check().json().await.unwrap(),
        json!({"x": 1})
    );
}

#[tokio::test]
async fn failed_responses_map_to_classes_and_fields() {
    let cases = [
        (
            404,
            json!({"code": "NOT_FOUND", "message": "agent a not found"}),
            "ZabyNotFoundError",
            Some("NOT_FOUND"),
            "agent a not found",
        ),
        (
            401,
            json!({"code": "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", "message": "expired"}),
            "ZabyRuntimeTokenExpiredError",
            Some("MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED"),
            "expired",
        ),
        (
            403,
            json!({"errorCode": "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED"}),
            "ZabyRuntimeTokenExhaustedError",
            Some("MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED"),
            "Zaby API request failed with status 403.",
        ),
        (
            422,
            json!({"code": "VALIDATION_ERROR", "message": "", "details": {"errors": []}}),
            "ZabyValidationError",
            Some("VALIDATION_ERROR"),
            "Zaby API request failed with status 422.",
        ),
        (
            429,
            json!({"code": "RATE_LIMITED", "message": "slow down"}),
            "ZabyRateLimitError",
            Some("RATE_LIMITED"),
            "slow down",
        ),
        (409, json!({"code": 5, "message": "dup"}), "ZabyConflictError", None, "dup"),
        (500, json!(["not", "an", "object"]), "ZabyApiError", None, "Zaby API request failed with status 500."),
        (302, json!({}), "ZabyApiError", None, "Zaby API request failed with status 302."),
    ];
    for (status, body, class, code, message) in cases {
        let t = mock();
        t.push(
            MockResponse::json("GET", &format!("{AGENTS}/a"), status, body.clone())
                .with_header("X-Request-Id", "req_srv")
                .with_header("Retry-After", "7"),
        );
        let err = zaby(t).agents().get("a").request_id("mine").await.unwrap_err();
        assert_error(&err, class, code);
        assert!(err.is("ZabyApiError"));
        let api = err.api().unwrap();
        assert_eq!(api.status, status);
        assert_eq!(api.message, message);
        assert_eq!(api.request_id.as_deref(), Some("req_srv"));
        assert_eq!(api.retry_after, Some(7));
        assert_eq!(api.details, Some(body.clone()));
        assert_eq!(api.body(), Some(&body));
        assert_eq!(api.headers.get("retry-after").map(String::as_str), Some("7"));
    }
}

#[tokio::test]
async fn error_fields_without_headers_or_json() {
    // No `x-request-id` in the response: the one sent; none sent: null.
    let t = mock();
    t.set_response("GET", &format!("{AGENTS}/a"), 503, json!("<html>down</html>"));
    t.set_response("GET", &format!("{AGENTS}/a"), 500, serde_json::Value::Null);
    let zaby = zaby(t);
    let err = zaby.agents().get("a").request_id("mine").await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!((api.status, api.request_id.as_deref(), api.details.as_ref()), (503, Some("mine"), None));
    assert_eq!(api.message, "Zaby API request failed with status 503.");
    assert_eq!(api.retry_after, None);
    let err = zaby.agents().get("a").await.unwrap_err();
    assert_eq!((err.api().unwrap().request_id.as_ref(), err.api().unwrap().details.as_ref()), (None, None));

    // Header names from a custom transport are lower-cased before use.
    let t = FnTransport::new(|_, _| async {
        Ok(with_headers(json_response(429, json!({})), &[("X-Request-ID", "up"), ("RETRY-AFTER", "2")]))
    });
    let err = Zaby::builder().api_key("k").transport(t).build().unwrap().health().check().await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!((api.request_id.as_deref(), api.retry_after), (Some("up"), Some(2)));
    assert!(api.headers.contains_key("x-request-id"));
}
