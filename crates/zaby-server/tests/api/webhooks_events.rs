//! Webhook events that reach the outbox without a caller asking for them, each made to
//! happen for real, delivered to a local receiver, signed (checked with
//! `zaby::webhooks::verify`) and carrying the payload docs/webhooks.md gives it:
//! an approval that expires, an approval whose run is cancelled, an ingestion whose
//! embeddings provider fails, a run that fails and a deployment that fails.

use std::time::Duration;

use serde_json::{Value, json};
use zaby_server::Settings;

use crate::common::{Backend, TestServer, eventually};
use crate::on_both;
use crate::webhooks::{Receiver, completed_run, endpoint, verify};

on_both!(
    an_expired_approval_is_reported,
    an_approval_cancelled_with_its_run_is_reported,
    a_failed_knowledge_job_is_reported,
    a_failed_run_is_reported,
    a_failed_deployment_is_reported,
);

/// In place of the plain server `on_both!` started, one on the same backend retrying
/// within milliseconds (as `webhooks::server`), with `tweak` applied.
async fn server(plain: TestServer, tweak: impl FnOnce(&mut Settings)) -> TestServer {
    let backend = plain.backend;
    plain.stop().await;
    let s = TestServer::start_with(backend, |s| {
        s.webhook_retry_divisor = 1000;
        tweak(s);
    });
    s.await.expect("the backend that served the plain server")
}

/// The first delivery the receiver got, its signature verified with `secret`; its event.
async fn first_event(rx: &Receiver, secret: &Value, what: &str) -> Value {
    let got = eventually(what, || async { rx.got().first().cloned() }).await;
    let event = verify(&got, secret.as_str().unwrap()).expect("the signature verifies with the endpoint's secret");
    assert_eq!(got.header("webhook-id"), event.id);
    got.event()
}

/// Nothing else arrives: one change, one event.
async fn no_second_event(rx: &Receiver) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.got().len(), 1, "one event for one change");
}

/// With `ZABY_APPROVAL_TTL_S = 1` the expiry sweeper decides the approval: the event
/// carries it `EXPIRED` with the reason `"expired"` and no decider, and its run back
/// to `RUNNING`, as the expiring transaction leaves them.
async fn an_expired_approval_is_reported(plain: TestServer) {
    let s = server(plain, |st| st.approval_ttl_s = 1).await;
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["approval.decided"])).await;
    let z = s.zaby();
    let st = crate::runs_approvals::echo_setup(&z, "wh-expire").await;
    let message = json!({"input": crate::runs_approvals::MESSAGE});
    let r = z.agents().start_run(st.deployed.agent_id(), message).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_APPROVAL");
    let run_id = r["runId"].as_str().unwrap();

    let event = first_event(&rx, &w["secret"], "the approval.decided of the expiry").await;
    assert_eq!(event["type"], "approval.decided");
    let (run, approval) = (&event["data"]["run"], &event["data"]["approval"]);
    assert_eq!((run["id"].as_str(), run["status"].as_str()), (Some(run_id), Some("RUNNING")));
    assert_eq!(
        (approval["runId"].as_str(), approval["status"].as_str(), approval["reason"].as_str()),
        (Some(run_id), Some("EXPIRED"), Some("expired"))
    );
    assert_eq!(approval["decidedBy"], Value::Null, "nobody decided it");
    assert!(approval["decidedAt"].is_string(), "{approval}");
    let expired = z.approvals().list(json!({"status": "EXPIRED"})).json().await.unwrap();
    assert_eq!(approval["id"], expired["items"][0]["id"]);
    no_second_event(&rx).await;
    s.stop().await;
}

/// Cancelling a run that waits for an approval ends the approval too: `approval.decided`
/// carries it `CANCELLED` with the cancel's reason and its run `CANCELLED`, and comes
/// just before `run.cancelled`.
async fn an_approval_cancelled_with_its_run_is_reported(s: TestServer) {
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["approval.decided", "run.cancelled"])).await;
    let z = s.zaby();
    let st = crate::runs_approvals::echo_setup(&z, "wh-cancel").await;
    let message = json!({"input": crate::runs_approvals::MESSAGE});
    let r = z.agents().start_run(st.deployed.agent_id(), message).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_APPROVAL");
    let run_id = r["runId"].as_str().unwrap();
    z.agents().cancel_run(run_id, json!({"reason": "changed my mind"})).json().await.unwrap();

    let got = eventually("both events of the cancel", || async { Some(rx.got()).filter(|g| g.len() >= 2) }).await;
    for delivery in &got {
        verify(delivery, w["secret"].as_str().unwrap()).expect("the signature verifies with the endpoint's secret");
    }
    let (decided, cancelled) = (got[0].event(), got[1].event());
    assert_eq!(
        (decided["type"].as_str(), cancelled["type"].as_str()),
        (Some("approval.decided"), Some("run.cancelled"))
    );
    let (run, approval) = (&decided["data"]["run"], &decided["data"]["approval"]);
    assert_eq!((run["id"].as_str(), run["status"].as_str()), (Some(run_id), Some("CANCELLED")));
    assert_eq!(
        (approval["runId"].as_str(), approval["status"].as_str(), approval["reason"].as_str()),
        (Some(run_id), Some("CANCELLED"), Some("changed my mind"))
    );
    let listed = z.approvals().list(json!({"status": "CANCELLED"})).json().await.unwrap();
    assert_eq!(approval["id"], listed["items"][0]["id"]);
    assert_eq!(cancelled["data"]["run"]["id"], run_id);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.got().len(), 2, "one approval.decided and one run.cancelled");
}

/// A stand-in embeddings provider that answers every request 500.
async fn failing_embeddings() -> String {
    let app = axum::Router::new().route(
        "/v1/embeddings",
        axum::routing::post(|| async {
            let body = axum::Json(json!({"error": {"message": "quota exhausted"}}));
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, body)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

/// An ingestion whose embeddings provider answers 500 fails its job: the event carries
/// the job `FAILED` with `INGESTION_FAILED` and the provider's answer, as the failing
/// transaction leaves it (and as E66 reads it back).
async fn a_failed_knowledge_job_is_reported(plain: TestServer) {
    let origin = failing_embeddings().await;
    let config = zaby_knowledge::EmbeddingsConfig::new(origin);
    let s = server(plain, |st| st.embeddings = Some(config)).await;
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["knowledge.job.succeeded", "knowledge.job.failed"])).await;
    let z = s.zaby();
    let kb = crate::knowledge::new_kb(&z, "wh-kb-fail").await;
    let body = json!({"title": "one", "content": "Apples are red."});
    let d = z.knowledge_bases().upload_text_document(&kb, body).json().await.unwrap();

    let event = first_event(&rx, &w["secret"], "the knowledge.job.failed delivery").await;
    assert_eq!(event["type"], "knowledge.job.failed");
    let job = &event["data"]["job"];
    assert_eq!(
        (job["id"].as_str(), job["documentId"].as_str(), job["knowledgeBaseId"].as_str()),
        (d["jobId"].as_str(), d["id"].as_str(), Some(kb.as_str()))
    );
    assert_eq!((job["status"].as_str(), job["type"].as_str()), (Some("FAILED"), Some("DOCUMENT_INGESTION")));
    assert_eq!(job["error"]["code"], "INGESTION_FAILED");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(message.contains("500") && message.contains("quota exhausted"), "{message}");
    assert!(job["completedAt"].is_string(), "{job}");
    let read = z.knowledge_bases().get_job(&kb, d["jobId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!((&read["status"], &read["error"]), (&job["status"], &job["error"]), "the job as stored");
    no_second_event(&rx).await;
    s.stop().await;
}

/// A run the development model fails (`simulate.fail`): `run.failed`, with the run
/// `FAILED` and its error, and no `run.completed`.
async fn a_failed_run_is_reported(plain: TestServer) {
    let s = server(plain, |_| {}).await;
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["run.failed", "run.completed"])).await;
    let z = s.zaby();
    let d = crate::common::deployed_agent(&z, "wh-fail").await;
    let input = json!({"input": {"simulate": {"fail": "boom"}}});
    let r = z.agents().start_run(d.agent_id(), input).json().await.unwrap();
    assert_eq!(r["status"], "FAILED");

    let event = first_event(&rx, &w["secret"], "the run.failed delivery").await;
    assert_eq!(event["type"], "run.failed");
    let run = &event["data"]["run"];
    assert_eq!((run["id"].as_str(), run["status"].as_str()), (r["runId"].as_str(), Some("FAILED")));
    assert_eq!(run["error"], json!({"code": "AGENT_EXECUTION_FAILED", "message": "boom"}));
    no_second_event(&rx).await;
    s.stop().await;
}

/// A deployment whose agent is disabled before provisioning activates it fails:
/// `deployment.failed`, with the deployment `FAILED` and `AGENT_DISABLED`.
async fn a_failed_deployment_is_reported(plain: TestServer) {
    let s = server(plain, |st| st.provisioning_delay_ms = 1500).await;
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["deployment.active", "deployment.failed"])).await;
    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": "wh-deploy-fail", "name": "x"})).json().await.unwrap();
    let id = agent["id"].as_str().unwrap();
    let version = z.agents().publish(id).json().await.unwrap();
    let input = json!({"agentVersionId": version["id"], "environment": "PRODUCTION"});
    let deployment = z.agents().deploy(id, input).json().await.unwrap();
    assert_eq!(deployment["status"], "PENDING");
    z.agents().update(id, json!({"status": "DISABLED"})).json().await.unwrap();

    let event = first_event(&rx, &w["secret"], "the deployment.failed delivery").await;
    assert_eq!(event["type"], "deployment.failed");
    let d = &event["data"]["deployment"];
    assert_eq!(
        (d["id"].as_str(), d["agentId"].as_str(), d["status"].as_str()),
        (deployment["id"].as_str(), Some(id), Some("FAILED"))
    );
    assert_eq!(d["error"]["code"], "AGENT_DISABLED");
    no_second_event(&rx).await;
    s.stop().await;
}

/// The outbox writes nothing for an event no endpoint wants: a run completed while the
/// only endpoint listens for failures leaves no delivery behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwanted_events_are_not_stored_sqlite() {
    let Some(plain) = TestServer::start(Backend::Sqlite).await else { return };
    let s = server(plain, |_| {}).await;
    let (rx, url) = Receiver::start(&[]).await;
    let w = endpoint(&s, &url, json!(["run.failed"])).await;
    completed_run(&s, "wh-unwanted").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let page = s.zaby().webhooks().list_deliveries(w["id"].as_str().unwrap(), None).json().await.unwrap();
    assert_eq!((rx.got().len(), page["items"].as_array().unwrap().len()), (0, 0));
    s.stop().await;
}
