//! The retry algorithm of `docs/configuration.md`: which requests, which statuses and errors, how
//! many attempts, how long between them. Time is paused, so delays are exact.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio::time::Instant;
use zaby::testing::{MockResponse, MockTransport};
use zaby::transport::{Transport, TransportResponse};
use zaby::{Retries, RetryPolicy, Zaby, ZabyError, ZabyGlobalConfig};

fn client(transport: Arc<dyn Transport>, retries: impl Into<Retries>) -> Zaby {
    Zaby::builder()
        .api_key(API_KEY)
        .config(ZabyGlobalConfig { retries: Some(retries.into()), ..config() })
        .transport(transport)
        .build()
        .unwrap()
}

/// Answers `statuses[n]` on attempt `n` (200 after the list), recording when each attempt started.
fn statuses(
    list: &'static [u16],
    headers: &'static [(&'static str, &'static str)],
) -> (Arc<FnTransport>, Arc<Mutex<Vec<Instant>>>) {
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = times.clone();
    let transport = FnTransport::new(move |n, _| {
        t.lock().unwrap().push(Instant::now());
        let status = list.get(n).copied().unwrap_or(200);
        async move { Ok(with_headers(json_response(status, json!({"attempt": n})), headers)) }
    });
    (transport, times)
}

fn gaps(times: &Mutex<Vec<Instant>>) -> Vec<u64> {
    let t = times.lock().unwrap();
    t.windows(2).map(|w| (w[1] - w[0]).as_millis() as u64).collect()
}

const AGENTS: &str = "/api/v1/provisioning/agentic-os/agents";

#[tokio::test(start_paused = true)]
async fn get_is_retried_on_every_default_status() {
    for status in [408, 429, 500, 502, 503, 504] {
        let (t, _) = statuses(Box::leak(Box::new([status])), &[]);
        let out = client(t.clone(), 1u32).agents().get("a").json().await.unwrap();
        assert_eq!(out, json!({"attempt": 1}), "{status}");
        assert_eq!(t.count(), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn other_statuses_are_not_retried() {
    for (status, class) in [
        (400, "ZabyValidationError"),
        (401, "ZabyAuthError"),
        (404, "ZabyNotFoundError"),
        (409, "ZabyConflictError"),
        (501, "ZabyApiError"),
        (302, "ZabyApiError"),
    ] {
        let (t, _) = statuses(Box::leak(Box::new([status])), &[]);
        let err = client(t.clone(), 3u32).agents().get("a").await.unwrap_err();
        assert_eq!((err.class_name(), err.status()), (class, Some(status)));
        assert_eq!(t.count(), 1, "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn attempts_bound_the_retries_and_the_last_response_is_the_error() {
    let (t, _) = statuses(&[503, 502, 500, 500, 500], &[]);
    let err = client(t.clone(), 2u32).agents().get("a").await.unwrap_err();
    assert_eq!(t.count(), 3);
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.api().unwrap().details, Some(json!({"attempt": 2})));

    // No retries configured: one attempt.
    let (t, _) = statuses(&[500], &[]);
    let zaby = Zaby::builder().api_key("k").config(config()).transport(t.clone()).build().unwrap();
    assert!(zaby.agents().get("a").await.is_err());
    assert_eq!(t.count(), 1);

    // A negative count is zero.
    let (t, _) = statuses(&[500], &[]);
    assert!(client(t.clone(), Retries::Count(-3)).agents().get("a").await.is_err());
    assert_eq!(t.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn default_backoff_delays() {
    let (t, times) = statuses(&[500, 500, 500, 500, 500, 500], &[]);
    client(t.clone(), 6u32).agents().get("a").json().await.unwrap();
    assert_eq!(gaps(&times), [100, 200, 400, 800, 1000, 1000]);
}

#[tokio::test(start_paused = true)]
async fn custom_backoff_function_gets_the_attempt_number() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let c = calls.clone();
    let policy = RetryPolicy {
        attempts: 3,
        backoff_ms: Some(Arc::new(move |k| {
            c.lock().unwrap().push(k);
            10 * (u64::from(k) + 1)
        })),
        ..Default::default()
    };
    let (t, times) = statuses(&[500, 500, 500], &[]);
    client(t.clone(), policy).agents().get("a").json().await.unwrap();
    assert_eq!(*calls.lock().unwrap(), [0, 1, 2]);
    assert_eq!(gaps(&times), [10, 20, 30]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_on_429_and_503_lengthens_the_wait() {
    let (t, times) = statuses(&[429, 503], &[("retry-after", "2")]);
    client(t.clone(), 2u32).agents().get("a").json().await.unwrap();
    assert_eq!(gaps(&times), [2000, 2000]);

    // Ignored on other statuses.
    let (t, times) = statuses(&[500], &[("retry-after", "5")]);
    client(t.clone(), 1u32).agents().get("a").json().await.unwrap();
    assert_eq!(gaps(&times), [100]);

    // Shorter than the backoff: the backoff wins.
    let policy = RetryPolicy { attempts: 1, backoff_ms: Some(Arc::new(|_| 3000)), ..Default::default() };
    let (t, times) = statuses(&[429], &[("retry-after", "1")]);
    client(t.clone(), policy).agents().get("a").json().await.unwrap();
    assert_eq!(gaps(&times), [3000]);

    // Capped at 60 s.
    let (t, times) = statuses(&[503], &[("retry-after", "3600")]);
    client(t.clone(), 1u32).agents().get("a").json().await.unwrap();
    assert_eq!(gaps(&times), [60_000]);

    // Unparseable: plain backoff.
    let (t, times) = statuses(&[429], &[("retry-after", "later")]);
    client(t.clone(), 1u32).agents().get("a").json().await.unwrap();
    assert_eq!(gaps(&times), [100]);
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_http_date() {
    // An HTTP-date has whole seconds, and the SDK counts whole seconds down from the
    // wall clock when the answer arrives: a date 3.5 s ahead formats to 2.5–3.5 s from
    // now, so fewer than 0.5 s of wall-clock time before the answer leave 2 or 3 s (3 s
    // ahead, a second boundary crossed in between left 1 s).
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_millis(3_500));
    let headers: &'static [(&str, &str)] =
        Box::leak(Box::new([("retry-after", Box::leak(date.into_boxed_str()) as &str)]));
    let (t, times) = statuses(&[429], headers);
    client(t.clone(), 1u32).agents().get("a").json().await.unwrap();
    let gap = gaps(&times)[0];
    assert!((2000..=3000).contains(&gap), "{gap}");
}

#[tokio::test(start_paused = true)]
async fn post_without_idempotency_key_is_never_retried() {
    let (t, _) = statuses(&[500], &[]);
    let err = client(t.clone(), 3u32).agents().create(json!({"slug": "s"})).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(t.count(), 1);

    // Idempotency endpoints need a non-empty string `requestId`.
    for body in [json!({"input": "x"}), json!({"requestId": ""}), json!({"requestId": null}), json!({"requestId": 5})] {
        let (t, _) = statuses(&[503], &[]);
        assert!(client(t.clone(), 3u32).agents().start_run("a", body.clone()).await.is_err());
        assert_eq!(t.count(), 1, "{body}");
    }
    // A `requestId` on a POST that is not an idempotency endpoint does not make it retryable.
    let (t, _) = statuses(&[503], &[]);
    assert!(client(t.clone(), 3u32).agents().create(json!({"requestId": "k"})).await.is_err());
    assert_eq!(t.count(), 1);
    // Neither PATCH nor DELETE are retried by default.
    let (t, _) = statuses(&[503, 503], &[]);
    let zaby = client(t.clone(), 3u32);
    assert!(zaby.agents().update("a", json!({})).await.is_err());
    assert!(zaby.agents().delete("a", None).await.is_err());
    assert_eq!(t.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn idempotency_keyed_posts_are_retried_with_the_same_body() {
    let idempotent = [
        ("agents", "test_run", vec!["a"]),
        ("agents", "start_run", vec!["a"]),
        ("agents", "playground_runtime_tokens", vec!["a"]),
        ("runtime_tokens", "create", vec![]),
        ("runtime_tokens", "rotate_by_unique_id", vec![]),
        ("runtime_tokens", "rotate", vec![]),
        ("runtime_tokens", "record_feedback", vec!["r"]),
        ("tenant_agents", "test_run", vec!["a"]),
        ("tenant_agents", "start_run", vec!["a"]),
        ("tenant_agents", "mint_playground_runtime_token", vec!["a"]),
    ];
    for (c, m, params) in idempotent {
        let (t, _) = statuses(&[503, 500], &[]);
        let body = json!({"requestId": "idem-1", "externalAppId": "app", "x": 1});
        let params: Vec<String> = params.into_iter().map(String::from).collect();
        let out = client(t.clone(), 2u32).call(c, m, params, Some(body)).send_json().await;
        assert_eq!(out.unwrap(), json!({"attempt": 2}), "{c}.{m}");
        let requests = t.requests();
        assert_eq!(requests.len(), 3);
        assert!(requests.iter().all(|r| r.method == "POST" && r.json_body == requests[0].json_body));
    }
    // The runtime endpoints too.
    for (c, m, params) in [("runtime_runs", "start", vec![]), ("runtime_feedback", "create", vec!["r".to_owned()])] {
        let (t, _) = statuses(&[502], &[]);
        let rt = zaby::ZabyRuntime::builder()
            .token("t")
            .config(ZabyGlobalConfig { retries: Some(1u32.into()), ..config() })
            .transport(t.clone())
            .build()
            .unwrap();
        rt.call(c, m, params, Some(json!({"requestId": "k"}))).send_json().await.unwrap();
        assert_eq!(t.count(), 2, "{c}.{m}");
    }
}

#[tokio::test(start_paused = true)]
async fn custom_methods_and_statuses() {
    let policy = |methods: Vec<&str>, statuses: Vec<u16>| RetryPolicy {
        attempts: 1,
        retry_methods: Some(methods.into_iter().map(String::from).collect()),
        retry_statuses: Some(statuses),
        backoff_ms: None,
    };
    let (t, _) = statuses(&[500], &[]);
    let zaby = client(t.clone(), policy(vec!["delete"], vec![500]));
    zaby.agents().delete("a", None).json().await.unwrap();
    assert_eq!(t.count(), 2, "DELETE opted in (case-insensitively)");
    let (t, _) = statuses(&[500], &[]);
    assert!(client(t.clone(), policy(vec!["delete"], vec![500])).agents().get("a").await.is_err());
    assert_eq!(t.count(), 1, "GET no longer listed");

    let (t, _) = statuses(&[418], &[]);
    client(t.clone(), policy(vec!["GET"], vec![418])).agents().get("a").json().await.unwrap();
    assert_eq!(t.count(), 2);
    let (t, _) = statuses(&[500], &[]);
    assert!(client(t.clone(), policy(vec!["GET"], vec![418])).agents().get("a").await.is_err());
    assert_eq!(t.count(), 1);

    // Explicitly empty lists mean "none".
    let (t, _) = statuses(&[500], &[]);
    assert!(client(t.clone(), policy(vec![], vec![500])).agents().get("a").await.is_err());
    let (t2, _) = statuses(&[500], &[]);
    assert!(client(t2.clone(), policy(vec!["GET"], vec![])).agents().get("a").await.is_err());
    assert_eq!((t.count(), t2.count()), (1, 1));
}

fn flaky(errors: usize, make: fn() -> ZabyError) -> Arc<FnTransport> {
    FnTransport::new(move |n, _| async move {
        if n < errors { Err(make()) } else { Ok(json_response(200, json!({"attempt": n}))) }
    })
}

#[tokio::test(start_paused = true)]
async fn connection_errors_are_retried_only_when_eligible() {
    let refused = || ZabyError::connection("refused", None);
    let t = flaky(2, refused);
    assert_eq!(client(t.clone(), 2u32).agents().get("a").json().await.unwrap(), json!({"attempt": 2}));
    assert_eq!(t.count(), 3);

    let t = flaky(5, refused);
    let err = client(t.clone(), 2u32).agents().get("a").await.unwrap_err();
    assert_error(&err, "ZabyConnectionError", Some("CONNECTION_ERROR"));
    assert_eq!(t.count(), 3);

    let t = flaky(1, refused);
    let err = client(t.clone(), 2u32).agents().create(json!({})).await.unwrap_err();
    assert_error(&err, "ZabyConnectionError", Some("CONNECTION_ERROR"));
    assert_eq!(t.count(), 1);

    let t = flaky(1, refused);
    client(t.clone(), 2u32).agents().start_run("a", json!({"requestId": "k"})).json().await.unwrap();
    assert_eq!(t.count(), 2);
}

#[tokio::test(start_paused = true)]
async fn timeouts_are_retried_only_when_eligible() {
    // The first attempt hangs past the deadline, the second answers.
    let slow_then_fast = || {
        FnTransport::new(|n, _| async move {
            if n == 0 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            Ok(json_response(200, json!({"attempt": n})))
        })
    };
    let t = slow_then_fast();
    let zaby = Zaby::builder()
        .api_key("k")
        .config(ZabyGlobalConfig { timeout_ms: Some(500), retries: Some(1u32.into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    assert_eq!(zaby.agents().get("a").json().await.unwrap(), json!({"attempt": 1}));
    assert_eq!(start.elapsed(), Duration::from_millis(500 + 100));

    let t = slow_then_fast();
    let zaby = Zaby::builder()
        .api_key("k")
        .config(ZabyGlobalConfig { timeout_ms: Some(500), retries: Some(1u32.into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    let err = zaby.agents().create(json!({})).await.unwrap_err();
    assert_error(&err, "ZabyTimeoutError", Some("TIMEOUT"));
    assert!(matches!(err, ZabyError::Timeout { timeout_ms: 500, .. }));
    assert_eq!(t.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn request_id_and_fresh_credentials_on_every_attempt() {
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = counter.clone();
    let (t, _) = statuses(&[500, 500], &[]);
    let zaby = Zaby::builder()
        .api_key(zaby::Credential::from_fn(move || {
            format!("key-{}", c.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
        }))
        .config(ZabyGlobalConfig { retries: Some(2u32.into()), ..config() })
        .transport(t.clone())
        .build()
        .unwrap();
    zaby.agents().get("a").request_id("corr-1").json().await.unwrap();
    let requests = t.requests();
    assert_eq!(requests.len(), 3);
    for (i, r) in requests.iter().enumerate() {
        assert_eq!(r.headers["x-request-id"], "corr-1");
        assert_eq!(r.headers["x-zaby-api-key"], format!("key-{i}"));
    }
}

#[tokio::test(start_paused = true)]
async fn mock_and_host_errors_are_not_retried_and_pass_unchanged() {
    let t = Arc::new(MockTransport::new(vec![MockResponse::json("GET", "/other", 200, json!(1))]));
    let err = client(t.clone(), 3u32).agents().get("a").await.unwrap_err();
    assert_error(&err, "MockTransportError", Some("MOCK_TRANSPORT"));
    assert_eq!(err.message(), format!("Expected GET /other, received GET {AGENTS}/a"));
    assert_eq!(t.requests().len(), 1);

    #[derive(Debug)]
    struct HostError;
    impl std::fmt::Display for HostError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("host exception")
        }
    }
    impl std::error::Error for HostError {}
    let t = FnTransport::new(|_, _| async { Err::<TransportResponse, _>(ZabyError::External(Arc::new(HostError))) });
    let err = client(t.clone(), 3u32).agents().get("a").await.unwrap_err();
    assert!(matches!(&err, ZabyError::External(e) if e.is::<HostError>()));
    assert_eq!(t.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn retries_apply_to_each_page_of_an_iterator() {
    use futures::StreamExt;
    let t = FnTransport::new(|n, r| async move {
        let body: Value = match (n, r.path.contains("cursor=")) {
            (0, false) => return Ok(json_response(503, json!({}))),
            (1, false) => json!({"items": [1], "nextCursor": "c"}),
            (2, true) => return Ok(json_response(500, json!({}))),
            (3, true) => json!({"items": [2], "nextCursor": null}),
            other => panic!("unexpected {other:?}"),
        };
        Ok(json_response(200, body))
    });
    let items: Vec<Value> = client(t.clone(), 1u32).agents().iter(None).json().map(Result::unwrap).collect().await;
    assert_eq!(items, [json!(1), json!(2)]);
    assert_eq!(t.count(), 4);
}
