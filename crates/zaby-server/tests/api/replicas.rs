//! Replicas on one PostgreSQL database: a replica's streams follow what another replica
//! commits through the notifications every commit sends, also after the connection
//! that listens for them was lost.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use sqlx::Connection;

use crate::common::*;
use crate::runs_approvals::{MESSAGE, echo_setup};

/// The listening connections of the database's replicas (`application_name`).
async fn listeners(conn: &mut sqlx::PgConnection) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'zaby-listener'",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// Both replicas' listeners are terminated (`pg_terminate_backend`); once they listen
/// again, a cancel through the second replica still ends the stream that the first one
/// serves, within seconds (the poller's read without a notification comes only every
/// 30 s, so the stream ends this soon only if the new listener counts the cancel).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_listener_misses_nothing_postgres() {
    let Some(s) = TestServer::start(Backend::Postgres).await else { return };
    let other = zaby_server::start(s.settings.clone()).await.expect("second replica");
    let z = s.zaby();
    let st = echo_setup(&z, "listener").await;
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-listener"}))).json().await.unwrap();
    let token = t["token"].as_str().unwrap().to_string();
    let rt = s.runtime(&token);
    let mut cfg = s.config();
    cfg.api_origin = Some(format!("http://{}", other.addr));
    let rt2 = zaby::ZabyRuntime::builder().token(token).config(cfg).build().unwrap();

    // A run that waits for a decision: no executor touches it until the cancel.
    let waiting = rt.runs().start(json!({"input": MESSAGE})).json().await.unwrap();
    assert_eq!(waiting["status"], "WAITING_FOR_APPROVAL", "{waiting}");
    let run_id = waiting["runId"].as_str().unwrap().to_string();
    let mut stream = rt.runs().stream(&run_id, None);
    for name in ["RunStarted", "tool_call", "approval_required"] {
        let e = stream.next().await.expect("an event").expect("a good event");
        assert_eq!(e.name(), Some(name));
    }

    let mut admin = sqlx::PgConnection::connect(&s.settings.database_url).await.unwrap();
    let killed = listeners(&mut admin).await;
    assert_eq!(killed.len(), 2, "one listener per replica");
    for pid in &killed {
        sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&mut admin).await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let now = listeners(&mut admin).await;
        if now.len() == 2 && now.iter().all(|p| !killed.contains(p)) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "both replicas listen again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let c = rt2.runs().cancel(&run_id, None).json().await.unwrap();
    assert_eq!(c["status"], "CANCELLED");
    let last = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("the first replica's stream saw the second replica's cancel")
        .expect("an event")
        .expect("a good event");
    let zaby::RunEvent::RunFinished { data, .. } = &last else { panic!("{last:?}") };
    assert_eq!(data.status, "CANCELLED");
    other.shutdown().await;
}
