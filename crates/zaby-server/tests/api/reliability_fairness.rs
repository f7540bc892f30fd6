//! The noisy neighbour (issue 20): one tenant's 80 slow runs do not delay another
//! tenant's first run — the executor keeps slots beyond `ZABY_EXECUTOR_TENANT_SHARE`
//! for other tenants and claims in turns; inside a tenant, one end user holds at most
//! `ZABY_EXECUTOR_USER_SHARE` slots.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::*;

async fn noisy_neighbour(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else { return };
    let a = s.zaby();
    let (_, key_b) = s.second_tenant().await;
    let b = s.zaby_with_key(&key_b);
    let agent_a = deployed_agent(&a, "noisy").await;
    let agent_b = deployed_agent(&b, "quiet").await;
    // Each of A's runs takes about 6 s (four words, 1.5 s before each).
    let slow =
        json!({"input": {"message": "x", "simulate": {"reply": "w1 w2 w3 w4", "delayMs": 1500}}, "respondAsync": true});
    let mut backlog = Vec::new();
    for _ in 0..80 {
        let r = a.agents().start_run(agent_a.agent_id(), slow.clone()).json().await.unwrap();
        backlog.push(r["runId"].as_str().unwrap().to_string());
    }
    // Let A's runs fill the executor.
    eventually("A's runs hold the executor", || async {
        let p = a.agents().get_run_progress(&backlog[0]).json().await.unwrap();
        (p["status"] == "RUNNING").then_some(())
    })
    .await;
    let started = Instant::now();
    let quick = json!({"input": {"message": "x", "simulate": {"reply": "done"}}, "respondAsync": true});
    let run = b.agents().start_run(agent_b.agent_id(), quick).json().await.unwrap();
    let run_id = run["runId"].as_str().unwrap().to_string();
    let done = eventually("B's run ends", || async {
        let p = b.agents().get_run_progress(&run_id).json().await.unwrap();
        matches!(p["status"].as_str(), Some("COMPLETED" | "FAILED")).then_some(p)
    })
    .await;
    let took = started.elapsed();
    assert_eq!(done["status"], "COMPLETED", "{done}");
    // Without fair shares it waited for a whole slow run (6 s) or more.
    assert!(took < Duration::from_secs(3), "tenant B's first run took {took:?} behind tenant A's backlog");
    // A's backlog is still being worked through (B did not wait for it to drain).
    let last = a.agents().get_run_progress(backlog.last().unwrap()).json().await.unwrap();
    assert_ne!(last["status"], "COMPLETED", "{last}");
    s.stop().await;
}

const USER_SHARE: usize = 3;

async fn busy_end_user(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |c| c.executor_user_share = USER_SHARE).await else { return };
    let z = s.zaby();
    let st = setup(&z, "busy-user", json!({}), json!({})).await;
    let token = |user: &str| {
        let body = st.mint(json!({"externalUserId": user}));
        let z = z.clone();
        async move { z.runtime_tokens().create(body).json().await.unwrap()["token"].as_str().unwrap().to_string() }
    };
    let busy = s.runtime(&token("busy").await);
    // Each of these runs takes about 3 s (two words, 1.5 s before each).
    let slow =
        json!({"input": {"message": "x", "simulate": {"reply": "w1 w2", "delayMs": 1500}}, "respondAsync": true});
    let mut backlog = Vec::new();
    for _ in 0..8 {
        let r = busy.runs().start(slow.clone()).json().await.unwrap();
        backlog.push(r["runId"].as_str().unwrap().to_string());
    }
    let running = || async {
        let mut n = 0;
        for id in &backlog {
            let p = z.agents().get_run_progress(id).json().await.unwrap();
            n += usize::from(p["status"] == "RUNNING");
        }
        n
    };
    eventually("the busy end user's runs hold their share", || async { (running().await == USER_SHARE).then_some(()) })
        .await;
    // Another end user of the same tenant gets a slot at once.
    let started = Instant::now();
    let other = s.runtime(&token("other").await);
    let quick = json!({"input": {"message": "x", "simulate": {"reply": "done"}}, "respondAsync": true});
    let run = other.runs().start(quick).json().await.unwrap();
    let run_id = run["runId"].as_str().unwrap().to_string();
    let done = eventually("the other end user's run ends", || async {
        let p = z.agents().get_run_progress(&run_id).json().await.unwrap();
        matches!(p["status"].as_str(), Some("COMPLETED" | "FAILED")).then_some(p)
    })
    .await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "the other end user's run took {took:?}");
    // The busy end user never held more than its share, while its backlog drained.
    for _ in 0..6 {
        let n = running().await;
        assert!(n <= USER_SHARE, "{n} runs of one end user running, over the share of {USER_SHARE}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_end_user_sqlite() {
    busy_end_user(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_end_user_postgres() {
    busy_end_user(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noisy_neighbour_sqlite() {
    noisy_neighbour(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn noisy_neighbour_postgres() {
    noisy_neighbour(Backend::Postgres).await;
}
