//! Limits of runs set by settings: `ZABY_MAX_RUN_STEPS` (a run whose model still asks
//! for tools at the limit fails `STEP_LIMIT_EXCEEDED`) and `ZABY_EVENT_RETENTION_DAYS`
//! (a run that ended before the retention keeps only its terminal event).

use serde_json::{Value, json};
use zaby_server::testing::sql::{Arg, exec, scalar_i64};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_limit_sqlite() {
    step_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_limit_postgres() {
    step_limit(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_retention_sqlite() {
    event_retention(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_retention_postgres() {
    event_retention(Backend::Postgres).await;
}

async fn events(z: &zaby::Zaby, run_id: &str) -> Value {
    z.agents().list_run_events(run_id, json!({"cursor": "0", "limit": 100})).json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_string()).collect()
}

async fn step_limit(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |s| s.max_run_steps = 1).await else { return };
    let z = s.zaby();
    let inst = z.mcp().list_installations(None).json().await.unwrap()["items"][0].clone();
    let agent = z.agents().create(json!({"slug": "limited", "name": "limited"})).json().await.unwrap();
    let a = agent["id"].as_str().unwrap().to_string();
    z.agents().attach_mcp_tool(&a, json!({"toolId": inst["id"], "approvalMode": "AUTO"})).json().await.unwrap();
    let v = z.agents().publish(&a).json().await.unwrap();
    let d =
        z.agents().deploy(&a, json!({"agentVersionId": v["id"], "environment": "PRODUCTION"})).json().await.unwrap();
    wait_active(&z, d["id"].as_str().unwrap()).await;

    // One step is allowed; it asks for a tool, so the run ends at the limit.
    let r = z.agents().start_run(&a, json!({"input": "/tool echo {\"say\": \"hi\"}"})).json().await.unwrap();
    assert_eq!(r["status"], "FAILED", "{r}");
    let run_id = r["runId"].as_str().unwrap();
    let p = z.agents().get_run_progress(run_id).json().await.unwrap();
    assert_eq!(p["error"]["code"], "STEP_LIMIT_EXCEEDED", "{p}");
    assert_eq!(p["steps"], 1);
    let page = events(&z, run_id).await;
    assert_eq!(names(&page), ["RunStarted", "RunError"]);
    let err = &page["items"][1]["data"];
    assert_eq!((err["code"].clone(), err["runId"].clone()), (json!("STEP_LIMIT_EXCEEDED"), json!(run_id)));
    assert!(err["message"].as_str().unwrap().contains("limit of 1 model steps"), "{err}");

    // A run that needs no tool finishes within the limit.
    let r = z.agents().start_run(&a, json!({"input": "hello"})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED", "{r}");
    s.stop().await;
}

async fn event_retention(backend: Backend) {
    let Some(mut s) = TestServer::start_with(backend, |s| s.event_retention_days = 7).await else { return };
    let z = s.zaby();
    let d = deployed_agent(&z, "kept").await;
    let body = json!({"input": {"message": "x", "simulate": {"reply": "a b c"}}});
    let old = z.agents().start_run(d.agent_id(), body.clone()).json().await.unwrap();
    let recent = z.agents().start_run(d.agent_id(), body).json().await.unwrap();
    let (old, recent) = (old["runId"].as_str().unwrap().to_string(), recent["runId"].as_str().unwrap().to_string());
    let full = ["RunStarted", "text", "text", "text", "RunFinished"];
    assert_eq!(names(&events(&z, &old).await), full);

    // The first run ended 8 days ago, the second 6 days ago.
    let day = 86_400_000i64;
    let now = zaby_server::testing::now_ms();
    for (id, ago) in [(&old, 8 * day), (&recent, 6 * day)] {
        let mut tx = s.ctx().db.write().await.unwrap();
        let sql = "UPDATE runs SET completed_at = $1 WHERE id = $2";
        exec(tx.conn(), sql, vec![Arg::from(now - ago), Arg::from(id)]).await.unwrap();
        // The record of an http function tool call made by the run goes with its events.
        let sql =
            "INSERT INTO http_tool_calls (run_id, tool_call_id, attempts, started_at) VALUES ($1, 'call_1', 1, $2)";
        exec(tx.conn(), sql, vec![Arg::from(id), Arg::from(now - ago)]).await.unwrap();
        tx.commit().await.unwrap();
    }
    // Retention is applied when the executor starts (and every 10 minutes).
    s.restart().await;
    let z = s.zaby();
    let page = eventually("old events purged", || async {
        let page = events(&z, &old).await;
        (page["items"].as_array().unwrap().len() == 1).then_some(page)
    })
    .await;
    assert_eq!(names(&page), ["RunFinished"]);
    assert_eq!(page["items"][0]["seq"], 5, "the terminal event keeps its seq");
    assert_eq!(page["items"][0]["data"]["finalOutput"], "a b c");
    assert_eq!(page["total"], 1, "total counts what is kept");
    let p = z.agents().get_run_progress(&old).json().await.unwrap();
    assert_eq!((p["status"].clone(), p["latestSeq"].clone()), (json!("COMPLETED"), json!(5)));
    // Within the retention, everything is kept.
    let page = events(&z, &recent).await;
    assert_eq!(names(&page), full);
    assert_eq!(page["total"], 5);
    let mut conn = s.ctx().db.read().await.unwrap();
    let calls = "SELECT COUNT(*) FROM http_tool_calls WHERE run_id = $1";
    let kept = (
        scalar_i64(&mut conn, calls, vec![Arg::from(&old)]).await.unwrap(),
        scalar_i64(&mut conn, calls, vec![Arg::from(&recent)]).await.unwrap(),
    );
    assert_eq!(kept, (0, 1), "http tool call records are kept as long as the run's events");
    drop(conn);
    s.stop().await;
}
