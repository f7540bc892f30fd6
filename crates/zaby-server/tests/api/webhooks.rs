//! Webhooks (E128–E135, docs/webhooks.md): the outbox written with each run's end,
//! delivery to a local receiver that checks the signature with `zaby::webhooks::verify`,
//! retries on the shortened schedule, 410 disabling the endpoint, order per run,
//! rotation's two signatures, and two replicas delivering each attempt once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};

use crate::common::{Backend, TestServer, deployed_agent, eventually};
use crate::on_both;

on_both!(
    delivered_signed_and_verified,
    retried_after_errors_then_delivered,
    gone_disables_the_endpoint,
    rotation_signs_with_both_secrets,
    later_events_of_a_run_wait_for_earlier_ones,
    a_cancelled_run_is_reported,
    a_deployment_going_active_is_reported,
    approval_decisions_are_reported,
    feedback_is_reported,
    a_started_run_is_reported_before_its_end,
    a_finished_knowledge_job_is_reported,
);

/// One request the receiver got.
#[derive(Clone)]
pub(crate) struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub(crate) fn event(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A local receiver: answers the scripted statuses in order, then 200.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: axum::body::Bytes) -> (StatusCode, String) {
    let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    r.got.lock().unwrap().push(Received { headers, body: body.to_vec() });
    let status = r.script.lock().unwrap().pop_front().unwrap_or(200);
    (StatusCode::from_u16(status).unwrap(), format!("answered {status}"))
}

impl Receiver {
    pub(crate) async fn start(script: &[u16]) -> (Receiver, String) {
        let r = Receiver { got: Arc::default(), script: Arc::new(Mutex::new(script.iter().copied().collect())) };
        let app = axum::Router::new().route("/hooks", post(receive)).with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    pub(crate) fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Retries within milliseconds: 5 s → 5 ms, 5 min → 300 ms, 30 min → 1.8 s.
pub(crate) async fn server(backend: Backend) -> TestServer {
    TestServer::start_with(backend, |s| s.webhook_retry_divisor = 1000).await.unwrap()
}

pub(crate) async fn endpoint(s: &TestServer, url: &str, events: Value) -> Value {
    let body = json!({"url": url, "events": events});
    s.zaby().webhooks().create(body).json().await.unwrap()
}

/// A completed run of a fresh agent; its id.
pub(crate) async fn completed_run(s: &TestServer, slug: &str) -> String {
    let z = s.zaby();
    let d = deployed_agent(&z, slug).await;
    let r = z.agents().start_run(d.agent_id(), json!({"input": {"message": "hi"}})).json().await.unwrap();
    r["runId"].as_str().or(r["id"].as_str()).unwrap().to_string()
}

async fn deliveries(s: &TestServer, webhook_id: &str) -> Vec<Value> {
    let page = s.zaby().webhooks().list_deliveries(webhook_id, None).json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

pub(crate) fn verify(r: &Received, secret: &str) -> zaby::Result<zaby::types::WebhookEvent> {
    zaby::webhooks::verify(&r.body, r.headers.clone(), secret, zaby::webhooks::DEFAULT_TOLERANCE)
}

async fn delivered_signed_and_verified(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["run.completed"])).await;
    let secret = w["secret"].as_str().unwrap();
    let run_id = completed_run(&s, "wh-ok").await;

    let got = eventually("the run.completed delivery", || async { rx.got().first().cloned() }).await;
    let event = verify(&got, secret).expect("the signature verifies with the endpoint's secret");
    assert_eq!(event.r#type, zaby::types::WebhookEventType::RunCompleted);
    assert_eq!(event.data["run"]["id"], run_id);
    assert_eq!(event.data["run"]["status"], "COMPLETED");
    assert_eq!(got.header("webhook-id"), event.id);
    assert_eq!(got.header("content-type"), "application/json");
    assert!(verify(&got, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").is_err(), "another secret fails");

    let d = eventually("the delivery to be recorded", || async {
        let d = deliveries(&s, w["id"].as_str().unwrap()).await;
        d.first().filter(|d| d["status"] == "SUCCEEDED").cloned()
    })
    .await;
    assert_eq!((d["attempts"].as_i64(), d["responseStatus"].as_i64()), (Some(1), Some(200)));
    assert_eq!(
        (d["eventId"].as_str(), d["responseBodyExcerpt"].as_str()),
        (Some(event.id.as_str()), Some("answered 200"))
    );

    // E135: a new attempt of a delivered event, with the same event id.
    let again =
        s.zaby().webhooks().redeliver(w["id"].as_str().unwrap(), d["id"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(again["status"], "PENDING");
    let second = eventually("the redelivery", || async { rx.got().get(1).cloned() }).await;
    assert_eq!(second.header("webhook-id"), event.id);
    assert_eq!(rx.got().len(), 2);
}

async fn retried_after_errors_then_delivered(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[500, 503]).await;
    let w = endpoint(&s, &url, json!(["run.completed"])).await;
    completed_run(&s, "wh-retry").await;
    let wid = w["id"].as_str().unwrap().to_string();
    let d = eventually("three attempts, the last one answered 200", || async {
        let d = deliveries(&s, &wid).await;
        d.first().filter(|d| d["status"] == "SUCCEEDED").cloned()
    })
    .await;
    assert_eq!(d["attempts"], 3);
    let got = rx.got();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|g| g.header("webhook-id") == got[0].header("webhook-id")), "the same event each time");
}

async fn gone_disables_the_endpoint(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[410]).await;
    let w = endpoint(&s, &url, json!(["run.completed"])).await;
    let wid = w["id"].as_str().unwrap().to_string();
    completed_run(&s, "wh-gone").await;
    let read = eventually("the endpoint to be disabled", || async {
        let w = s.zaby().webhooks().get(&wid).json().await.unwrap();
        (w["enabled"] == false).then_some(w)
    })
    .await;
    assert!(read["disabledReason"].as_str().unwrap().contains("410"), "{read}");
    let d = deliveries(&s, &wid).await;
    assert_eq!((d[0]["status"].as_str(), d[0]["responseStatus"].as_i64()), (Some("FAILED"), Some(410)));
    // No event goes to a disabled endpoint.
    completed_run(&s, "wh-gone-2").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!((rx.got().len(), deliveries(&s, &wid).await.len()), (1, 1));
}

async fn rotation_signs_with_both_secrets(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["run.completed"])).await;
    let old = w["secret"].as_str().unwrap().to_string();
    let rotated = s.zaby().webhooks().rotate_secret(w["id"].as_str().unwrap()).json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(old, new);
    completed_run(&s, "wh-rotate").await;
    let got = eventually("the delivery", || async { rx.got().first().cloned() }).await;
    let signatures: Vec<&str> = got.header("webhook-signature").split(' ').collect();
    assert_eq!(signatures.len(), 2, "{signatures:?}");
    assert!(signatures.iter().all(|s| s.starts_with("v1,")));
    verify(&got, &old).expect("the old secret still verifies during the overlap");
    verify(&got, &new).expect("the new secret verifies");
}

/// A run that waits for an approval, then completes: `run.waiting_for_approval`
/// first. While it is retried, `run.completed` waits; then both arrive in order.
async fn later_events_of_a_run_wait_for_earlier_ones(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[500, 500]).await;
    endpoint(&s, &url, json!(["run.waiting_for_approval", "run.completed"])).await;
    let z = s.zaby();
    let st = crate::runs_approvals::echo_setup(&z, "wh-order").await;
    let agent_id = st.deployed.agent_id().to_string();
    let r = z
        .agents()
        .start_run(&agent_id, json!({"input": {"message": crate::runs_approvals::MESSAGE}}))
        .json()
        .await
        .unwrap();
    let run_id = r["runId"].as_str().or(r["id"].as_str()).unwrap().to_string();
    let approval = eventually("the approval", || async {
        let run = z.agents().get_run_progress(&run_id).json().await.unwrap();
        run["pendingApproval"]["id"].as_str().map(str::to_string)
    })
    .await;
    z.approvals().approve(&run_id, &approval, None).json().await.unwrap();
    let got = eventually("both events delivered", || async {
        let got = rx.got();
        got.iter().any(|g| g.event()["type"] == "run.completed").then_some(got)
    })
    .await;
    let types: Vec<String> = got.iter().map(|g| g.event()["type"].as_str().unwrap().to_string()).collect();
    assert_eq!(
        types,
        ["run.waiting_for_approval", "run.waiting_for_approval", "run.waiting_for_approval", "run.completed"]
    );
}

/// `run.cancelled` is written by the cancel's transaction, with the cancelled run.
async fn a_cancelled_run_is_reported(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    endpoint(&s, &url, json!(["run.cancelled"])).await;
    let z = s.zaby();
    let d = deployed_agent(&z, "wh-cancel").await;
    let input = json!({"input": {"message": "a b c", "simulate": {"delayMs": 2000}}, "respondAsync": true});
    let r = z.agents().start_run(d.agent_id(), input).json().await.unwrap();
    let run_id = r["runId"].as_str().unwrap().to_string();
    z.agents().cancel_run(&run_id, None).json().await.unwrap();
    let got = eventually("the run.cancelled delivery", || async { rx.got().first().cloned() }).await;
    let event = got.event();
    assert_eq!(
        (event["type"].as_str(), event["data"]["run"]["id"].as_str()),
        (Some("run.cancelled"), Some(run_id.as_str()))
    );
    assert_eq!(event["data"]["run"]["status"], "CANCELLED");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.got().len(), 1, "one event for one cancel");
}

/// `deployment.active` is written by provisioning's transaction, with the deployment.
async fn a_deployment_going_active_is_reported(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    endpoint(&s, &url, json!(["deployment.active", "deployment.failed"])).await;
    let d = deployed_agent(&s.zaby(), "wh-deploy").await;
    let got = eventually("the deployment.active delivery", || async { rx.got().first().cloned() }).await;
    let event = got.event();
    assert_eq!(event["type"], "deployment.active");
    assert_eq!(event["data"]["deployment"]["id"].as_str(), Some(d.deployment_id()));
    assert_eq!(event["data"]["deployment"]["status"], "ACTIVE");
}

/// `approval.decided` is written by the deciding transaction, from the API key route
/// and the runtime one, with the decided approval and its run.
async fn approval_decisions_are_reported(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    endpoint(&s, &url, json!(["approval.decided"])).await;
    let z = s.zaby();
    let st = crate::runs_approvals::echo_setup(&z, "wh-decide").await;
    let pending = |run_id: String| {
        let z = z.clone();
        async move {
            eventually("the approval", || async {
                let run = z.agents().get_run_progress(&run_id).json().await.unwrap();
                run["pendingApproval"]["id"].as_str().map(str::to_string)
            })
            .await
        }
    };
    let message = json!({"input": {"message": crate::runs_approvals::MESSAGE}});
    let r = z.agents().start_run(st.deployed.agent_id(), message).json().await.unwrap();
    let by_key = r["runId"].as_str().unwrap().to_string();
    let approval = pending(by_key.clone()).await;
    z.approvals().approve(&by_key, &approval, json!({"decidedBy": "ops"})).json().await.unwrap();
    let got = eventually("the first approval.decided", || async { rx.got().first().cloned() }).await;
    let event = got.event();
    assert_eq!(event["type"], "approval.decided");
    assert_eq!(
        (event["data"]["run"]["id"].as_str(), event["data"]["run"]["status"].as_str()),
        (Some(by_key.as_str()), Some("RUNNING"))
    );
    assert_eq!(event["data"]["approval"]["id"].as_str(), Some(approval.as_str()));
    assert_eq!(
        (event["data"]["approval"]["status"].as_str(), event["data"]["approval"]["decidedBy"].as_str()),
        (Some("APPROVED"), Some("ops"))
    );

    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-wh"}))).json().await.unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());
    let binding = json!({"deploymentId": st.deployment_id(), "allowApprovals": true});
    z.external_apps().bind_deployment(st.app_id(), binding).json().await.unwrap();
    let r = rt.runs().start(json!({"input": crate::runs_approvals::MESSAGE})).json().await.unwrap();
    let by_runtime = r["runId"].as_str().unwrap().to_string();
    let approval = pending(by_runtime.clone()).await;
    rt.approvals().reject(&by_runtime, &approval, None).json().await.unwrap();
    let got = eventually("the second approval.decided", || async { rx.got().get(1).cloned() }).await;
    let event = got.event();
    assert_eq!(event["data"]["run"]["id"].as_str(), Some(by_runtime.as_str()));
    assert_eq!(
        (event["data"]["approval"]["status"].as_str(), event["data"]["approval"]["decidedBy"].as_str()),
        (Some("REJECTED"), Some("runtime"))
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.got().len(), 2, "one event per decision");
}

/// `feedback.created` is written with the feedback, which is its payload.
async fn feedback_is_reported(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    endpoint(&s, &url, json!(["feedback.created"])).await;
    let run_id = completed_run(&s, "wh-feedback").await;
    let fb = s
        .zaby()
        .runtime_tokens()
        .record_feedback(&run_id, json!({"rating": 4, "comment": "fine"}))
        .json()
        .await
        .unwrap();
    let got = eventually("the feedback.created delivery", || async { rx.got().first().cloned() }).await;
    let event = got.event();
    assert_eq!(event["type"], "feedback.created");
    assert_eq!(event["data"]["feedback"]["id"], fb["id"]);
    assert_eq!(
        (event["data"]["feedback"]["runId"].as_str(), event["data"]["feedback"]["rating"].as_i64()),
        (Some(run_id.as_str()), Some(4))
    );
}

/// `run.started` is written with the run's `RunStarted` event, once, and reaches the
/// endpoint before the `run.completed` the same commit may carry.
async fn a_started_run_is_reported_before_its_end(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    endpoint(&s, &url, json!(["run.started", "run.completed"])).await;
    let run_id = completed_run(&s, "wh-start").await;
    let got = eventually("both events delivered", || async { rx.got().get(1).cloned().map(|_| rx.got()) }).await;
    let events: Vec<Value> = got.iter().map(Received::event).collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["run.started", "run.completed"]);
    assert_eq!(
        (events[0]["data"]["run"]["id"].as_str(), events[0]["data"]["run"]["status"].as_str()),
        (Some(run_id.as_str()), Some("RUNNING"))
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.got().len(), 2, "one run.started per run");
}

/// `knowledge.job.succeeded` is written by the transaction that completes the job,
/// with the job as it leaves it.
async fn a_finished_knowledge_job_is_reported(_s: TestServer) {
    let s = server(_s.backend).await;
    let (rx, url) = Receiver::start(&[]).await;
    endpoint(&s, &url, json!(["knowledge.job.succeeded", "knowledge.job.failed"])).await;
    let z = s.zaby();
    let kb = crate::knowledge::new_kb(&z, "wh-kb").await;
    let d = crate::knowledge::ingest(&z, &kb, json!({"title": "one", "content": "Apples are red."})).await;
    let got = eventually("the knowledge.job.succeeded delivery", || async { rx.got().first().cloned() }).await;
    let event = got.event();
    assert_eq!(event["type"], "knowledge.job.succeeded");
    assert_eq!(
        (event["data"]["job"]["id"].as_str(), event["data"]["job"]["status"].as_str()),
        (d["jobId"].as_str(), Some("COMPLETED"))
    );
    assert_eq!(event["data"]["job"]["documentId"], d["id"]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.got().len(), 1, "one event per job");
}

/// Two servers on one database: each delivery is attempted once, by one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_deliver_each_event_once_postgres() {
    let Some(first) = TestServer::start(Backend::Postgres).await else { return };
    let second = zaby_server::start(first.settings.clone()).await.expect("a second replica starts");
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&first, &url, json!(["run.completed"])).await;
    let z = first.zaby();
    let d = deployed_agent(&z, "wh-replicas").await;
    for i in 0..6 {
        z.agents().start_run(d.agent_id(), json!({"input": {"message": format!("m{i}")}})).json().await.unwrap();
    }
    let wid = w["id"].as_str().unwrap().to_string();
    eventually("six deliveries", || async {
        let d = deliveries(&first, &wid).await;
        (d.len() == 6 && d.iter().all(|d| d["status"] == "SUCCEEDED")).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut ids: Vec<String> = rx.got().iter().map(|g| g.header("webhook-id").to_string()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!((before, ids.len()), (6, 6), "each event once");
    second.shutdown().await;
}
