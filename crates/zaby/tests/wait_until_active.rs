//! `deployments.wait_until_active`: polls E19 with backoff until it answers 200, times
//! out with the last answer, and gives up at once on any other error. Time is paused,
//! so the delays are checked exactly.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use tokio::time::Instant;
use zaby::{CancellationToken, RequestOptions};

const E19: &str = "/api/v1/provisioning/managed-agents/deployments/dep-1/provisioning";

fn not_ready() -> serde_json::Value {
    json!({"code": "DEPLOYMENT_PROVISIONING_NOT_READY", "message": "deployment dep-1 is PENDING"})
}

#[tokio::test(start_paused = true)]
async fn polls_with_backoff_until_the_deployment_is_active() {
    let t = mock();
    for _ in 0..3 {
        t.set_response("GET", E19, 404, not_ready());
    }
    t.set_response("GET", E19, 200, json!({"deploymentId": "dep-1", "status": "ACTIVE", "externalApps": []}));
    let start = Instant::now();
    let provisioning = zaby(t.clone()).deployments().wait_until_active("dep-1", Duration::from_secs(60)).await.unwrap();
    assert_eq!(provisioning.deployment_id.as_deref(), Some("dep-1"));
    assert_eq!(start.elapsed(), Duration::from_millis(100 + 200 + 400), "the polling backoff of docs/server.md");
    let requests = t.requests();
    assert_eq!(requests.len(), 4);
    assert!(requests.iter().all(|r| r.method == "GET" && r.path == E19));
}

#[tokio::test(start_paused = true)]
async fn an_active_deployment_answers_at_once() {
    let t = mock();
    t.set_response("GET", E19, 200, json!({"deploymentId": "dep-1"}));
    let start = Instant::now();
    let value = zaby(t.clone())
        .deployments()
        .wait_until_active_json("dep-1", Duration::from_millis(1), RequestOptions::default())
        .await
        .unwrap();
    assert_eq!(value, json!({"deploymentId": "dep-1"}));
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn when_the_time_is_up_it_is_a_timeout_carrying_the_last_answer() {
    let t = mock();
    for _ in 0..20 {
        t.set_response("GET", E19, 404, not_ready());
    }
    let start = Instant::now();
    let err = zaby(t.clone()).deployments().wait_until_active("dep-1", Duration::from_millis(1000)).await.unwrap_err();
    assert_error(&err, "ZabyTimeoutError", Some("TIMEOUT"));
    assert_eq!(
        err.message(),
        "deployment dep-1 was not ACTIVE after 1000 ms; the last answer was 404 DEPLOYMENT_PROVISIONING_NOT_READY: \
         deployment dep-1 is PENDING"
    );
    assert!(matches!(err, zaby::ZabyError::Timeout { timeout_ms: 1000, .. }));
    assert_eq!(start.elapsed(), Duration::from_millis(1000), "no wait beyond the deadline");
}

#[tokio::test(start_paused = true)]
async fn any_other_error_is_raised_at_once() {
    let failed = json!({"code": "DEPLOYMENT_NOT_ACTIVE", "message": "failed", "details": {"status": "FAILED"}});
    let unknown = json!({"code": "NOT_FOUND", "message": "no deployment dep-1"});
    for (status, body, class) in [(409, failed, "ZabyConflictError"), (404, unknown, "ZabyNotFoundError")] {
        let t = mock();
        t.set_response("GET", E19, status, body);
        let start = Instant::now();
        let err = zaby(t.clone()).deployments().wait_until_active("dep-1", Duration::from_secs(60)).await.unwrap_err();
        assert!(err.is(class), "{err:?}");
        assert_eq!(err.status(), Some(status));
        assert_eq!((t.requests().len(), start.elapsed()), (1, Duration::ZERO));
    }
}

#[tokio::test(start_paused = true)]
async fn a_bad_id_fails_before_any_request_and_cancel_aborts_the_wait() {
    let t = mock();
    let err = zaby(t.clone()).deployments().wait_until_active("", Duration::from_secs(1)).await.unwrap_err();
    assert_eq!(err.code(), Some("INVALID_ARGUMENT"));
    assert_eq!(err.message(), "path parameter deployment_id must not be empty", "named as the Rust caller wrote it");
    assert!(t.requests().is_empty());

    for _ in 0..20 {
        t.set_response("GET", E19, 404, not_ready());
    }
    let token = CancellationToken::new();
    let options = RequestOptions { cancel: Some(token.clone()), ..Default::default() };
    let client = zaby(t.clone());
    let wait = client.deployments().wait_until_active_json("dep-1", Duration::from_secs(60), options);
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(250)).await;
        token.cancel();
    };
    let (result, ()) = tokio::join!(wait, cancel);
    assert_eq!(result.unwrap_err().code(), Some("ABORTED"));
    assert_eq!(t.requests().len(), 2, "polled at 0 and 100 ms, then cancelled while waiting");
}
