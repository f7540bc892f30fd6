//! Runs against the real binary started as a child process: crash safety (SIGKILL
//! mid-run, restart on the same database) and the `openai` provider configured
//! through `ZABY_MODEL_<NAME>_BASE_URL` against a scripted OpenAI-compatible server.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use zaby::{Zaby, ZabyGlobalConfig};
use zaby_server::testing::Db;
use zaby_server::testing::runs as store;

use crate::common::*;

pub(crate) struct Proc {
    child: Child,
    pub(crate) base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) async fn spawn(db_url: &str, dir: &std::path::Path, key: &str, env: &[(&str, String)]) -> Proc {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zaby-server"));
    cmd.current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("ZABY_BOOTSTRAP_API_KEY", key)
        .env("ZABY_PROVISIONING_DELAY_MS", "100")
        // Short enough that a restart reclaims a killed server's runs quickly, long
        // enough (renewed every third) to survive a loaded 2-core machine.
        .env("ZABY_EXECUTOR_LEASE_MS", "5000")
        .env_remove("ZABY_DATABASE_URL")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", db_url])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start zaby-server");
    let base = format!("http://127.0.0.1:{port}");
    let proc = Proc { child, base };
    let http = reqwest::Client::new();
    eventually("server up", || async { http.get(format!("{}/health", proc.base)).send().await.ok().map(|_| ()) }).await;
    proc
}

pub(crate) fn client(base: &str, key: &str) -> Zaby {
    let config = ZabyGlobalConfig {
        api_origin: Some(base.to_string()),
        retries: Some(zaby::config::Retries::Count(0)),
        timeout_ms: Some(60_000),
        ..Default::default()
    };
    Zaby::builder().api_key(key.to_string()).config(config).build().unwrap()
}

pub(crate) async fn database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!("sqlite://{}", dir.join("zaby.db").display())),
        Backend::Postgres => crate::pg::fresh_database().await,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_sqlite() {
    crash_safety(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_postgres() {
    crash_safety(Backend::Postgres).await;
}

/// SIGKILL while one run waits before its first text (last event `RunStarted`) and
/// another is emitting text; after a restart on the same database, the first
/// completes with every text exactly once and the second fails `EXECUTOR_LOST`.
/// No run stays RUNNING, none is executed twice.
async fn crash_safety(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db_url) = database(backend, dir.path()).await else { return };
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let first = spawn(&db_url, dir.path(), &key, &[]).await;
    let z = client(&first.base, &key);
    let d = deployed_agent(&z, "crash").await;
    let a = d.agent_id().to_string();
    let long_reply = (1..=30).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    let waiting = z
        .agents()
        .start_run(&a, json!({"input": {"message": "x", "simulate": {"reply": "r1 r2 r3", "delayMs": 4000}}, "respondAsync": true})).json()
        .await
        .unwrap();
    let talking = z
        .agents()
        .start_run(
            &a,
            json!({"input": {"message": "x", "simulate": {"reply": long_reply, "delayMs": 150}}, "respondAsync": true}),
        )
        .json()
        .await
        .unwrap();
    let (waiting, talking) =
        (waiting["runId"].as_str().unwrap().to_string(), talking["runId"].as_str().unwrap().to_string());
    eventually("some text", || async {
        let p = z.agents().get_run_progress(&talking).json().await.unwrap();
        (p["latestSeq"].as_i64().unwrap() >= 3).then_some(())
    })
    .await;
    let p = z.agents().get_run_progress(&waiting).json().await.unwrap();
    assert_eq!((p["status"].as_str(), p["latestSeq"].as_i64()), (Some("RUNNING"), Some(1)));
    drop(first); // SIGKILL

    let second = spawn(&db_url, dir.path(), &key, &[]).await;
    let z = client(&second.base, &key);
    // The lease lapses (≤ 5 s), then the waiting run's three texts take 4 s each: a
    // deadline of its own, with room for a loaded machine.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    for id in [&waiting, &talking] {
        loop {
            let p = z.agents().get_run_progress(id).json().await.unwrap();
            if matches!(p["status"].as_str(), Some("COMPLETED" | "FAILED")) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "run {id} did not end after the restart: {p}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    drop(second);

    // Assert from storage.
    let db = Db::connect(&db_url).await.unwrap();
    let mut conn = db.read().await.unwrap();
    for id in [&waiting, &talking] {
        let r = store::get_by_id(&mut conn, id).await.unwrap().unwrap();
        let events = store::events_after(&mut conn, id, 0, 1000).await.unwrap();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=r.latest_seq).collect::<Vec<_>>(), "gapless");
        assert_eq!(events.iter().filter(|e| e.event == "RunStarted").count(), 1);
        let terminals = events.iter().filter(|e| e.event == "RunFinished" || e.event == "RunError").count();
        assert_eq!(terminals, 1);
        assert!(matches!(events.last().unwrap().event.as_str(), "RunFinished" | "RunError"));
        assert_eq!(r.claims, 2, "claimed once before and once after the crash");
        assert!(r.lease_owner.is_none());
        let text: String =
            events.iter().filter(|e| e.event == "text").map(|e| e.data["content"].as_str().unwrap()).collect();
        if *id == waiting {
            let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
            assert_eq!(r.status, "COMPLETED", "{:?} {names:?}", r.error);
            assert_eq!(text, "r1 r2 r3");
            assert_eq!(r.final_output.as_deref(), Some("r1 r2 r3"));
        } else {
            assert_eq!(r.status, "FAILED");
            assert_eq!(r.error.as_ref().unwrap()["code"], "EXECUTOR_LOST");
            assert_eq!(events[events.len() - 2].event, "text");
            assert!(long_reply.starts_with(&text) && text.len() < long_reply.len(), "no text repeated");
        }
    }
    let live = zaby_server::testing::sql::scalar_i64(
        &mut conn,
        "SELECT COUNT(*) FROM runs WHERE status IN ('QUEUED', 'RUNNING')",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(live, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_provider_sqlite() {
    openai_provider(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_provider_postgres() {
    openai_provider(Backend::Postgres).await;
}

const SCRIPT: &str = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" from\"},\"finish_reason\":null}]}\n\n\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" gpt\"},\"finish_reason\":\"stop\"}]}\n\n\
data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n\
data: [DONE]\n\n";

/// A scripted OpenAI-compatible server: `/good/v1` streams `SCRIPT`, `/bad/v1`
/// answers 400. Returns its origin and the request bodies it received.
async fn scripted() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s1 = seen.clone();
    let app = axum::Router::new()
        .route(
            "/good/v1/chat/completions",
            post(move |body: axum::Json<Value>| {
                let seen = s1.clone();
                async move {
                    seen.lock().unwrap().push(body.0);
                    axum::response::Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(axum::body::Body::from(SCRIPT))
                        .unwrap()
                }
            }),
        )
        .route(
            "/bad/v1/chat/completions",
            post(|| async {
                (http::StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"message": "no such model"}})))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

async fn openai_provider(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db_url) = database(backend, dir.path()).await else { return };
    let (origin, seen) = scripted().await;
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let env = [
        ("ZABY_MODEL_GPT_TEST_BASE_URL", format!("{origin}/good/v1")),
        ("ZABY_MODEL_GPT_TEST_API_KEY", "sk-test".to_string()),
        ("ZABY_MODEL_GPT_BAD_BASE_URL", format!("{origin}/bad/v1")),
    ];
    let server = spawn(&db_url, dir.path(), &key, &env).await;
    let z = client(&server.base, &key);
    let agent = z
        .agents()
        .create(json!({"slug": "gpt", "name": "gpt", "defaultModel": "gpt-test", "instructions": "Be nice."}))
        .json()
        .await
        .unwrap();
    let a = agent["id"].as_str().unwrap();
    // Test runs need no deployment.
    let r = z
        .agents()
        .test_run(a, json!({"input": {"message": "hi there", "simulate": {"reply": "ignored"}}}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "COMPLETED");
    assert_eq!(r["finalOutput"], "Hello from gpt");
    let run_id = r["runId"].as_str().unwrap();
    let page = z.agents().list_run_events(run_id, None).json().await.unwrap();
    let names: Vec<&str> = page["items"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["RunStarted", "text", "text", "text", "RunFinished"]);
    assert_eq!(page["items"][2]["data"], json!({"content": " from"}));
    let p = z.agents().get_run_progress(run_id).json().await.unwrap();
    assert_eq!(p["usage"], json!({"inputTokens": 12, "outputTokens": 3}));
    assert_eq!(p["steps"], 1);
    let req = seen.lock().unwrap()[0].clone();
    assert_eq!(req["model"], "gpt-test");
    assert_eq!(req["stream"], true);
    assert_eq!(req["messages"][0], json!({"role": "system", "content": "Be nice."}));
    assert_eq!(req["messages"].as_array().unwrap().last().unwrap()["content"], "hi there");

    // A provider error ends the run FAILED with MODEL_ERROR.
    z.agents().update(a, json!({"defaultModel": "gpt-bad"})).json().await.unwrap();
    let r = z.agents().test_run(a, json!({"input": "hi"})).json().await.unwrap();
    assert_eq!(r["status"], "FAILED");
    let p = z.agents().get_run_progress(r["runId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(p["error"]["code"], "MODEL_ERROR");
    assert!(p["error"]["message"].as_str().unwrap().contains("400"), "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_tool_round_trip_sqlite() {
    openai_tool_round_trip(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_tool_round_trip_postgres() {
    openai_tool_round_trip(Backend::Postgres).await;
}

fn sse(chunks: &[Value]) -> String {
    let mut out: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    out.push_str("data: [DONE]\n\n");
    out
}

/// A scripted OpenAI-compatible server for a tool round: the first request gets a
/// streamed call of `echo` (arguments in pieces), every later one a text answer.
async fn scripted_tools() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s1 = seen.clone();
    let chunk = |delta: Value, finish: Value| json!({"id": "c2", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    let call = sse(&[
        chunk(
            json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                "function": {"name": "echo", "arguments": ""}}]}),
            Value::Null,
        ),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"say\": "}}]}), Value::Null),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"ping\"}"}}]}), json!("tool_calls")),
    ]);
    let answer = sse(&[
        chunk(json!({"role": "assistant", "content": "echo said"}), Value::Null),
        chunk(json!({"content": " ping"}), json!("stop")),
    ]);
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<Value>| {
            let seen = s1.clone();
            let (call, answer) = (call.clone(), answer.clone());
            async move {
                let first = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(body.0);
                    seen.len() == 1
                };
                axum::response::Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(axum::body::Body::from(if first { call } else { answer }))
                    .unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

/// The `openai` provider in a run with the built-in `echo` tool attached: the model
/// asks for the tool with streamed tool-call deltas, the run calls it for real, and
/// the second request carries the tool result the answer is built on.
async fn openai_tool_round_trip(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db_url) = database(backend, dir.path()).await else { return };
    let (origin, seen) = scripted_tools().await;
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let env = [("ZABY_MODEL_GPT_TOOLS_BASE_URL", format!("{origin}/v1"))];
    let server = spawn(&db_url, dir.path(), &key, &env).await;
    let z = client(&server.base, &key);
    let inst = z.mcp().list_installations(None).json().await.unwrap()["items"][0].clone();
    let agent = z
        .agents()
        .create(json!({"slug": "gpt-tools", "name": "gpt", "defaultModel": "gpt-tools"}))
        .json()
        .await
        .unwrap();
    let a = agent["id"].as_str().unwrap().to_string();
    z.agents().attach_mcp_tool(&a, json!({"toolId": inst["id"], "approvalMode": "AUTO"})).json().await.unwrap();
    let v = z.agents().publish(&a).json().await.unwrap();
    let d =
        z.agents().deploy(&a, json!({"agentVersionId": v["id"], "environment": "PRODUCTION"})).json().await.unwrap();
    wait_active(&z, d["id"].as_str().unwrap()).await;

    let r = z.agents().start_run(&a, json!({"input": "say ping"})).json().await.unwrap();
    let run_id = r["runId"].as_str().unwrap();
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["finalOutput"], "echo said ping");
    let page = z.agents().list_run_events(run_id, None).json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    let names: Vec<&str> = items.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["RunStarted", "tool_call", "tool_result", "text", "text", "RunFinished"]);
    assert_eq!(items[1]["data"], json!({"toolCallId": "call_1", "toolName": "echo", "arguments": {"say": "ping"}}));
    let result = &items[2]["data"];
    assert_eq!(result["toolCallId"], "call_1");
    assert_eq!((result["isError"].clone(), result["simulated"].clone()), (json!(false), json!(false)));
    assert_eq!(result["result"], json!({"say": "ping"}), "the built-in echo's real result");
    let p = z.agents().get_run_progress(run_id).json().await.unwrap();
    assert_eq!(p["steps"], 2);

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "one request per step");
    let offered = seen[0]["tools"].as_array().unwrap();
    assert!(offered.iter().any(|t| t["function"]["name"] == "echo"), "{}", seen[0]);
    let messages = seen[1]["messages"].as_array().unwrap();
    let assistant = &messages[messages.len() - 2];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(assistant["tool_calls"][0]["id"], "call_1");
    assert_eq!(assistant["tool_calls"][0]["function"]["name"], "echo");
    let tool = messages.last().unwrap();
    assert_eq!(tool["role"], "tool");
    assert_eq!(tool["tool_call_id"], "call_1");
    assert_eq!(serde_json::from_str::<Value>(tool["content"].as_str().unwrap()).unwrap(), json!({"say": "ping"}));
}
