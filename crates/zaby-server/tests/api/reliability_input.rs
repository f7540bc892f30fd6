//! Hostile input (issue 20): NUL characters in every kind of input answer the same on
//! SQLite and PostgreSQL — 422 `VALIDATION_ERROR` naming the field, 404 for a path id —
//! and nothing is stored; free-form objects are capped (`ZABY_MAX_OBJECT_BYTES`).

use serde_json::{Value, json};

use crate::common::*;

async fn send(s: &TestServer, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = s.http().request(method, s.url(path)).header("x-zaby-api-key", &s.api_key);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn assert_names(resp: &(u16, Value), field: &str) {
    let (status, body) = resp;
    assert_eq!((*status, body["code"].as_str()), (422, Some("VALIDATION_ERROR")), "{field}: {body}");
    assert_eq!(body["details"]["errors"][0]["field"], field, "{body}");
}

async fn nul_bytes(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else { return };
    let agents = "/api/v1/provisioning/agentic-os/agents";
    use reqwest::Method;
    assert_names(&send(&s, Method::POST, agents, Some(json!({"slug": "n", "name": "a\u{0}b"}))).await, "name");
    assert_names(
        &send(&s, Method::POST, agents, Some(json!({"slug": "n", "name": "n", "requestId": "r\u{0}"}))).await,
        "requestId",
    );
    assert_names(
        &send(&s, Method::POST, agents, Some(json!({"slug": "n", "name": "n", "metadata": {"k": ["ok", "x\u{0}"]}})))
            .await,
        "metadata.k[1]",
    );
    assert_names(
        &send(&s, Method::POST, agents, Some(json!({"slug": "n", "name": "n", "tags": {"a\u{0}": 1}}))).await,
        "tags.a",
    );
    assert_names(&send(&s, Method::GET, &format!("{agents}?q=a%00b"), None).await, "q");
    // Nothing was created by the refused requests.
    let (status, list) = send(&s, Method::GET, agents, None).await;
    assert_eq!((status, list["items"].as_array().map(Vec::len)), (200, Some(0)), "{list}");

    let z = s.zaby();
    let st = setup(&z, "nul", json!({}), json!({})).await;
    let mint = format!("/api/v1/provisioning/managed-agents/external-apps/{}/runtime-tokens", st.app_id());
    let mut body = st.mint(json!({}));
    body["externalUserId"] = json!("u\u{0}1");
    assert_names(&send(&s, Method::POST, &mint, Some(body)).await, "externalUserId");

    let (status, kb) = send(
        &s,
        Method::POST,
        "/api/v1/provisioning/agentic-os/knowledge-bases",
        Some(json!({"slug": "kb", "name": "kb"})),
    )
    .await;
    assert_eq!(status, 201, "{kb}");
    let docs = format!("/api/v1/provisioning/agentic-os/knowledge-bases/{}/documents/text", kb["id"].as_str().unwrap());
    assert_names(&send(&s, Method::POST, &docs, Some(json!({"title": "t", "content": "c\u{0}"}))).await, "content");

    let run = z
        .agents()
        .start_run(st.deployed.agent_id(), json!({"input": {"message": "hi"}, "respondAsync": false}))
        .json()
        .await
        .unwrap();
    let run_id = run["runId"].as_str().or(run["id"].as_str()).unwrap().to_string();
    let feedback = format!("/api/v1/provisioning/managed-agents/runs/{run_id}/feedback");
    assert_names(&send(&s, Method::POST, &feedback, Some(json!({"rating": 5, "comment": "c\u{0}"}))).await, "comment");

    // Path ids: nothing is named by an id holding NUL.
    for path in
        [format!("{agents}/abc%00def"), format!("/api/v1/provisioning/agentic-os/agents/runs/{run_id}%00/progress")]
    {
        let (status, body) = send(&s, Method::GET, &path, None).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")), "{path}: {body}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_bytes_are_refused_sqlite() {
    nul_bytes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_bytes_are_refused_postgres() {
    nul_bytes(Backend::Postgres).await;
}

/// `metadata` / `config` above `ZABY_MAX_OBJECT_BYTES` (64 KiB by default) are 422
/// naming the field; at the cap they are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_form_objects_are_capped_sqlite() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else { return };
    let agents = "/api/v1/provisioning/agentic-os/agents";
    let big = "x".repeat(64 * 1024);
    let fits = "x".repeat(64 * 1024 - 10); // {"k":"…"} adds 8 bytes
    use reqwest::Method;
    let over = send(&s, Method::POST, agents, Some(json!({"slug": "a", "name": "a", "metadata": {"k": big}}))).await;
    assert_names(&over, "metadata");
    let over = send(&s, Method::POST, agents, Some(json!({"slug": "a", "name": "a", "config": {"k": big}}))).await;
    assert_names(&over, "config");
    let (status, body) =
        send(&s, Method::POST, agents, Some(json!({"slug": "a", "name": "a", "metadata": {"k": fits}}))).await;
    assert_eq!(status, 201, "{body}");
    s.stop().await;
}
