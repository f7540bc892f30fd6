//! Function tools run over HTTP (docs/function-tools.md): the agent's signing secret
//! shown once and rotated, the signed call to a local receiver that checks the
//! signature, the receiver's failures as `TOOL_HTTP_ERROR` results, refused targets,
//! and a crash during a call: one retry with the same `toolCallId`, never a second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use zaby::Zaby;
use zaby_server::testing::sql::{Arg, scalar_i64};

use crate::common::{Backend, TestServer, events, eventually, expect_err, wait_active};
use crate::on_both;
use crate::runs_process::{client, database, spawn};

on_both!(
    the_secret_is_shown_once_and_rotated,
    an_http_tool_is_called_signed,
    receiver_failures_are_tool_errors,
    forbidden_targets_are_refused,
);

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The call as `zaby::webhooks::verify_signature` gives it to a receiver holding
    /// `secret` (one signature of the Standard Webhooks scheme matching the body as
    /// received, a timestamp of now), or the SDK's error code.
    fn verified(&self, secret: &str) -> Result<Value, String> {
        zaby::webhooks::verify_signature(&self.body, &self.headers, secret, zaby::webhooks::DEFAULT_TOLERANCE)
            .map_err(|e| e.code().unwrap_or_default().to_string())
    }
}

/// A local tool receiver. `/ok` answers the arguments back, `/fail` 500, `/text` a
/// body that is not JSON, `/slow` after 3 s, `/hang` never, `/hang-once` never the
/// first time and like `/ok` afterwards.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
}

async fn receive(
    State(r): State<Receiver>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let seen = {
        let mut got = r.got.lock().unwrap();
        got.push(Received { path: path.clone(), headers, body: body.to_vec() });
        got.iter().filter(|g| g.path == path).count()
    };
    let echo = || {
        let call: Value = serde_json::from_slice(&body).unwrap_or_default();
        json!({"weather": "sunny", "got": call["arguments"]}).to_string()
    };
    match path.as_str() {
        "ok" => (StatusCode::OK, echo()),
        "fail" => (StatusCode::INTERNAL_SERVER_ERROR, "{\"error\": \"down\"}".into()),
        "text" => (StatusCode::OK, "sunny, probably".into()),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (StatusCode::OK, echo())
        }
        "hang-once" if seen > 1 => (StatusCode::OK, echo()),
        _ => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            (StatusCode::OK, echo())
        }
    }
}

impl Receiver {
    /// The receiver and its base URL (`http://127.0.0.1:<port>`).
    async fn start() -> (Receiver, String) {
        let r = Receiver::default();
        let app = axum::Router::new().route("/{path}", post(receive)).with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (r, url)
    }

    fn got(&self, path: &str) -> Vec<Received> {
        self.got.lock().unwrap().iter().filter(|g| g.path == path).cloned().collect()
    }
}

/// An http function tool named `name` calling `url`.
fn tool(name: &str, url: &str, timeout_ms: u64) -> Value {
    json!({"name": name, "description": "Weather", "execution": "http", "url": url, "timeoutMs": timeout_ms})
}

/// Creates an agent with these tools, published and deployed; returns its id and its
/// secret.
async fn agent(z: &Zaby, slug: &str, tools: Value) -> (String, String) {
    let a = z.agents().create(json!({"slug": slug, "name": slug, "functionTools": tools})).json().await.unwrap();
    let secret = a["functionToolSecret"].as_str().expect("the secret is in the create answer").to_string();
    let id = a["id"].as_str().unwrap().to_string();
    let version = z.agents().publish(&id).json().await.unwrap();
    let body = json!({"agentVersionId": version["id"], "environment": "PRODUCTION"});
    let deployment = z.agents().deploy(&id, body).json().await.unwrap();
    wait_active(z, deployment["id"].as_str().unwrap()).await;
    (id, secret)
}

/// The `tool_result` events' data of a run.
async fn tool_results(z: &Zaby, run_id: &str) -> Vec<Value> {
    events(z, run_id).await.into_iter().filter(|e| e["event"] == "tool_result").map(|e| e["data"].clone()).collect()
}

/// Starts a run of the agent that calls `tool` once; returns the run id.
async fn start(z: &Zaby, agent_id: &str, tool: &str) -> String {
    let input = format!("/tool {tool} {{\"city\": \"Oslo\"}}");
    let r = z.agents().start_run(agent_id, json!({"input": input, "respondAsync": true})).json().await.unwrap();
    r["runId"].as_str().unwrap().to_string()
}

/// [`start`], then waits for the run's end.
async fn call_tool(z: &Zaby, agent_id: &str, tool: &str) -> String {
    let run_id = start(z, agent_id, tool).await;
    wait_end(z, &run_id).await;
    run_id
}

async fn wait_end(z: &Zaby, run_id: &str) -> Value {
    eventually("run end", || async {
        let p = z.agents().get_run_progress(run_id).json().await.unwrap();
        matches!(p["status"].as_str(), Some("COMPLETED" | "FAILED" | "CANCELLED")).then_some(p)
    })
    .await
}

async fn the_secret_is_shown_once_and_rotated(s: TestServer) {
    let z = s.zaby();
    let a = z.agents().create(json!({"slug": "secret-once", "name": "secret-once"})).json().await.unwrap();
    let secret = a["functionToolSecret"].as_str().expect("the secret is in the create answer").to_string();
    let id = a["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    let got = z.agents().get(&id).json().await.unwrap();
    assert!(got.get("functionToolSecret").is_none(), "{got}");
    let listed = z.agents().list(json!({})).json().await.unwrap();
    assert!(listed["items"].as_array().unwrap().iter().all(|a| a.get("functionToolSecret").is_none()));
    let updated = z.agents().update(&id, json!({"name": "renamed"})).json().await.unwrap();
    assert!(updated.get("functionToolSecret").is_none(), "{updated}");
    let rotated = z.agents().update(&id, json!({"rotateFunctionToolSecret": true})).json().await.unwrap();
    let new_secret = rotated["functionToolSecret"].as_str().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    let quiet = z.agents().update(&id, json!({"rotateFunctionToolSecret": false})).json().await.unwrap();
    assert!(quiet.get("functionToolSecret").is_none(), "{quiet}");
    expect_err(z.agents().update(&id, json!({"rotateFunctionToolSecret": "yes"})).json(), 422, "VALIDATION_ERROR")
        .await;
    // Stored sealed: one row for the agent, and neither secret in it in the clear.
    let mut conn = s.ctx().db.read().await.unwrap();
    let rows = "SELECT COUNT(*) FROM agent_tool_secrets WHERE agent_id = $1";
    assert_eq!(scalar_i64(&mut conn, rows, vec![Arg::from(&id)]).await.unwrap(), 1);
    let clear = "SELECT COUNT(*) FROM agent_tool_secrets WHERE secret_sealed LIKE $1 OR previous_secret_sealed LIKE $1";
    for text in [secret.as_str(), new_secret] {
        let pattern = format!("%{}%", text.trim_start_matches("whsec_"));
        let found = scalar_i64(&mut conn, clear, vec![Arg::from(&pattern)]).await.unwrap();
        assert_eq!(found, 0, "a secret is stored in the clear");
    }
    drop(conn);
    // A deleted agent's secrets go with it.
    z.agents().delete(&id, None).json().await.unwrap();
    let mut conn = s.ctx().db.read().await.unwrap();
    assert_eq!(scalar_i64(&mut conn, rows, vec![Arg::from(&id)]).await.unwrap(), 0);
}

async fn an_http_tool_is_called_signed(s: TestServer) {
    let z = s.zaby();
    let (receiver, base) = Receiver::start().await;
    let (id, secret) = agent(&z, "http-tool", json!([tool("weather", &format!("{base}/ok"), 5000)])).await;
    let run_id = call_tool(&z, &id, "weather").await;
    let got = receiver.got("ok");
    assert_eq!(got.len(), 1, "{got:?}");
    let call = got[0].json();
    let results = tool_results(&z, &run_id).await;
    assert_eq!(results.len(), 1, "{results:?}");
    let call_id = results[0]["toolCallId"].as_str().unwrap();
    assert_eq!(
        call,
        json!({"toolCallId": call_id, "runId": run_id, "agentId": id, "name": "weather", "arguments": {"city": "Oslo"}})
    );
    assert_eq!(got[0].header("webhook-id"), call_id);
    assert_eq!(got[0].header("content-type"), "application/json");
    assert_eq!(got[0].verified(&secret), Ok(call), "{:?}", got[0].headers);
    assert_eq!(results[0]["isError"], false);
    assert_eq!(results[0]["result"], json!({"weather": "sunny", "got": {"city": "Oslo"}}));

    // After a rotation both secrets sign, so a receiver holding either accepts.
    let rotated = z.agents().update(&id, json!({"rotateFunctionToolSecret": true})).json().await.unwrap();
    let new_secret = rotated["functionToolSecret"].as_str().unwrap().to_string();
    call_tool(&z, &id, "weather").await;
    let got = receiver.got("ok");
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].header("webhook-signature").split(' ').count(), 2);
    assert!(got[1].verified(&secret).is_ok() && got[1].verified(&new_secret).is_ok());
    let a_stranger = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    assert_eq!(got[1].verified(a_stranger), Err("WEBHOOK_SIGNATURE_INVALID".to_string()));
}

async fn receiver_failures_are_tool_errors(s: TestServer) {
    let z = s.zaby();
    let (receiver, base) = Receiver::start().await;
    let tools = json!([
        tool("failing", &format!("{base}/fail"), 5000),
        tool("chatty", &format!("{base}/text"), 5000),
        tool("slow", &format!("{base}/slow"), 300),
    ]);
    let (id, _) = agent(&z, "http-failures", tools).await;
    for (name, status, says) in [
        ("failing", json!(500), "answered 500"),
        ("chatty", json!(200), "not JSON"),
        ("slow", Value::Null, "no answer"),
    ] {
        let run_id = call_tool(&z, &id, name).await;
        let results = tool_results(&z, &run_id).await;
        assert_eq!(results.len(), 1, "{name}: {results:?}");
        assert_eq!(results[0]["isError"], true, "{name}");
        let result = &results[0]["result"];
        assert_eq!(result["code"], "TOOL_HTTP_ERROR", "{name}: {result}");
        assert_eq!(result.get("status").cloned().unwrap_or(Value::Null), status, "{name}: {result}");
        assert!(result["message"].as_str().unwrap().contains(says), "{name}: {result}");
    }
    assert_eq!((receiver.got("fail").len(), receiver.got("text").len(), receiver.got("slow").len()), (1, 1, 1));
}

async fn forbidden_targets_are_refused(s: TestServer) {
    let z = s.zaby();
    for url in
        ["https://169.254.169.254/latest/meta-data", "https://[fe80::1]/x", "http://tools.example/x", "ftp://x/y"]
    {
        let body = json!({"slug": "refused", "name": "refused", "functionTools": [tool("t", url, 1000)]});
        expect_err(z.agents().create(body).json(), 422, "VALIDATION_ERROR").await;
    }
    let (id, _) = agent(&z, "refused-later", json!([])).await;
    let body = json!({"functionTools": [tool("t", "https://169.254.169.254/x", 1000)]});
    expect_err(z.agents().update(&id, body).json(), 422, "VALIDATION_ERROR").await;
    let backend = s.backend;
    s.stop().await;

    // A server that allows one host refuses the others when the tool is called.
    let (receiver, base) = Receiver::start().await;
    let s =
        TestServer::start_with(backend, |c| c.http_tool_allowed_hosts = vec!["tools.example".into()]).await.unwrap();
    let z = s.zaby();
    let (id, _) = agent(&z, "unlisted", json!([tool("weather", &format!("{base}/ok"), 5000)])).await;
    let run_id = call_tool(&z, &id, "weather").await;
    let results = tool_results(&z, &run_id).await;
    assert_eq!(results[0]["result"]["code"], "TOOL_URL_FORBIDDEN", "{results:?}");
    assert!(results[0]["result"]["message"].as_str().unwrap().contains("ZABY_HTTP_TOOL_ALLOWED_HOSTS"));
    assert!(receiver.got("ok").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_during_a_call_retries_it_once_sqlite() {
    a_crash_during_a_call_retries_it_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_during_a_call_retries_it_once_postgres() {
    a_crash_during_a_call_retries_it_once(Backend::Postgres).await;
}

/// SIGKILL while two calls wait for their receivers. After a restart each is sent
/// again with the same `toolCallId`: the one answered the second time completes with
/// that answer; the other hangs again, and after a second SIGKILL and restart it is
/// not sent a third time but answered `TOOL_HTTP_ERROR` "interrupted".
async fn a_crash_during_a_call_retries_it_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db_url) = database(backend, dir.path()).await else { return };
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let (receiver, base) = Receiver::start().await;
    let server = spawn(&db_url, dir.path(), &key, &[]).await;
    let z = client(&server.base, &key);
    let tools =
        json!([tool("once", &format!("{base}/hang-once"), 600_000), tool("never", &format!("{base}/hang"), 600_000)]);
    let (id, _) = agent(&z, "crash-call", tools).await;
    let runs = [start(&z, &id, "once").await, start(&z, &id, "never").await];
    let sent = |path: &'static str, n: usize| {
        let receiver = receiver.clone();
        async move {
            eventually(path, || async { (receiver.got(path).len() >= n).then_some(()) }).await;
        }
    };
    sent("hang-once", 1).await;
    sent("hang", 1).await;
    drop(server); // SIGKILL

    let server = spawn(&db_url, dir.path(), &key, &[]).await;
    let z = client(&server.base, &key);
    let answered = wait_end(&z, &runs[0]).await;
    assert_eq!(answered["status"], "COMPLETED", "{answered}");
    let once = receiver.got("hang-once");
    assert_eq!(once.len(), 2);
    assert_eq!(once[0].header("webhook-id"), once[1].header("webhook-id"));
    assert_eq!(once[0].json()["toolCallId"], once[1].json()["toolCallId"]);
    let results = tool_results(&z, &runs[0]).await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["toolCallId"], once[0].json()["toolCallId"]);
    assert_eq!(results[0]["result"], json!({"weather": "sunny", "got": {"city": "Oslo"}}));
    sent("hang", 2).await;
    drop(server); // SIGKILL during the retry

    let server = spawn(&db_url, dir.path(), &key, &[]).await;
    let z = client(&server.base, &key);
    wait_end(&z, &runs[1]).await;
    let results = tool_results(&z, &runs[1]).await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["isError"], true);
    assert_eq!(results[0]["result"]["code"], "TOOL_HTTP_ERROR");
    assert!(results[0]["result"]["message"].as_str().unwrap().contains("interrupted"), "{results:?}");
    let never = receiver.got("hang");
    assert_eq!(never.len(), 2, "sent a third time");
    assert_eq!(never[0].header("webhook-id"), never[1].header("webhook-id"));
    drop(server);
}
