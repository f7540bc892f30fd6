//! Issue 7, the log half: a credential binding's secret never appears in a log line.
//! The real binary runs as a child process with `RUST_LOG=trace` (every target, the
//! most verbose level there is) while a binding is created, its tools discovered and
//! invoked through the API and through a run, and calls fail (bad arguments, an
//! upstream that refuses the credential, one that is gone). The MCP server sits
//! behind a recording proxy, so the test also proves the secret was really sent.
//! Afterwards the whole database is scanned for the secret in plain text.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value, json};
use zaby::{Zaby, ZabyGlobalConfig};
use zaby_server::testing::Db;
use zaby_server::testing::sql::{self, RowExt};

use crate::common::*;
use crate::mcp::everything::{Everything, free_port};

const API_KEY_SECRET: &str = "sk-zaby-logscan-apikey-51d0c7a3e9";
const BEARER_SECRET: &str = "tok-zaby-logscan-bearer-7e42b19f08";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_logged_sqlite() {
    secrets_never_logged(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_logged_postgres() {
    secrets_never_logged(Backend::Postgres).await;
}

struct Proc {
    child: Child,
    base: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary with every log line (stdout and stderr) going to `log`.
async fn spawn(db_url: &str, dir: &std::path::Path, key: &str, log: &std::path::Path) -> Proc {
    let port = free_port();
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_zaby-server"))
        .current_dir(dir)
        .env("RUST_LOG", "trace")
        .env("ZABY_BOOTSTRAP_API_KEY", key)
        .env("ZABY_PROVISIONING_DELAY_MS", "100")
        .env_remove("ZABY_DATABASE_URL")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", db_url])
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("start zaby-server");
    let proc = Proc { child, base: format!("http://127.0.0.1:{port}") };
    let http = reqwest::Client::new();
    eventually("server up", || async { http.get(format!("{}/health", proc.base)).send().await.ok().map(|_| ()) }).await;
    proc
}

fn client(base: &str, key: &str) -> Zaby {
    let config = ZabyGlobalConfig {
        api_origin: Some(base.to_string()),
        retries: Some(zaby::config::Retries::Count(0)),
        timeout_ms: Some(60_000),
        ..Default::default()
    };
    Zaby::builder().api_key(key.to_string()).config(config).build().unwrap()
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    /// Every request's credential headers, as received.
    seen: Arc<Mutex<Vec<(String, String)>>>,
    /// While set, every request is refused with 401.
    deny: Arc<AtomicBool>,
}

/// Records the credential headers of each request and forwards it to
/// server-everything (or refuses it with 401 while `deny` is set, or on `/deny/…`).
/// GET (the optional standalone SSE stream) is answered 405, as the Streamable HTTP
/// transport allows.
async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    for name in ["x-api-key", "authorization"] {
        if let Some(v) = req.headers().get(name) {
            p.seen.lock().unwrap().push((name.to_string(), v.to_str().unwrap().to_string()));
        }
    }
    let path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    if p.deny.load(Ordering::SeqCst) || path.starts_with("/deny") {
        return Response::builder()
            .status(401)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"error":"invalid credentials"}"#))
            .unwrap();
    }
    if req.method() == http::Method::GET {
        return Response::builder().status(405).body(Body::empty()).unwrap();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut headers = parts.headers.clone();
    headers.remove(http::header::HOST);
    headers.remove(http::header::CONTENT_LENGTH);
    let upstream =
        p.http.request(parts.method, format!("{}{path}", p.upstream)).headers(headers).body(body).send().await.unwrap();
    let mut resp = Response::builder().status(upstream.status().as_u16());
    for (k, v) in upstream.headers() {
        if k != http::header::CONTENT_LENGTH && k != http::header::TRANSFER_ENCODING {
            resp = resp.header(k, v);
        }
    }
    resp.body(Body::from_stream(upstream.bytes_stream())).unwrap()
}

async fn proxy(upstream_port: u16) -> (String, Proxy) {
    let state = Proxy {
        upstream: format!("http://127.0.0.1:{upstream_port}"),
        http: reqwest::Client::new(),
        seen: Arc::default(),
        deny: Arc::default(),
    };
    let app = axum::Router::new().fallback(forward).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), state)
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

async fn run_once(z: &Zaby, agent_id: &str, message: &str) -> (Value, Vec<Value>) {
    let r = z.agents().start_run(agent_id, json!({"input": message})).json().await.unwrap();
    let run_id = r["runId"].as_str().unwrap();
    let done = eventually("run end", || async {
        let p = z.agents().get_run_progress(run_id).json().await.unwrap();
        matches!(p["status"].as_str(), Some("COMPLETED" | "FAILED" | "CANCELLED")).then_some(p)
    })
    .await;
    let page = z.agents().list_run_events(run_id, json!({"cursor": "0", "limit": 500})).json().await.unwrap();
    (done, page["items"].as_array().unwrap().clone())
}

fn tool_result(events: &[Value]) -> Value {
    events.iter().find(|e| e["event"] == "tool_result").expect("a tool_result")["data"].clone()
}

async fn secrets_never_logged(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("zaby.db").display()),
        Backend::Postgres => match crate::pg::fresh_database().await {
            Some(url) => url,
            None => return,
        },
    };
    let log = dir.path().join("server.log");
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let server = spawn(&db_url, dir.path(), &key, &log).await;
    let z = client(&server.base, &key);
    let ev = Everything::start("streamableHttp").await;
    let (origin, recorder) = proxy(ev.port).await;

    // API_KEY: binding, discovery and calls with the secret in a custom header.
    let keyed = z
        .mcp()
        .create_server(json!({"name": "keyed", "authMode": "API_KEY", "endpointUrl": format!("{origin}/mcp")}))
        .json()
        .await
        .unwrap();
    let inst = z.mcp().install_server(json!({"serverDefinitionId": id(&keyed)})).json().await.unwrap();
    let iid = id(&inst).to_string();
    let binding = z
        .mcp()
        .create_credential_binding(&iid, json!({"credentials": {"apiKey": API_KEY_SECRET, "headerName": "x-api-key"}}))
        .json()
        .await
        .unwrap();
    // A second binding reusing the stored credential by id.
    z.mcp().create_credential_binding(&iid, json!({"credentialId": binding["credentialId"]})).json().await.unwrap();
    // A rejected binding that carries the secret in its body.
    expect_err(
        z.mcp().create_credential_binding(&iid, json!({"credentials": {"apiKey": API_KEY_SECRET, "token": "x"}})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    let d = z.mcp().discover_tools(id(&keyed)).json().await.unwrap();
    assert!(d["items"].as_array().unwrap().iter().any(|t| t["name"] == "echo"), "{d}");
    let r = z.mcp().invoke_tool(&iid, "echo", json!({"arguments": {"message": "hi"}})).json().await.unwrap();
    assert_eq!(r["isError"], false, "{r}");
    let pf = z.mcp().preflight_invocation(&iid, "echo", json!({"arguments": {"message": "hi"}})).json().await.unwrap();
    assert_eq!(pf["allowed"], true);
    // Failing calls: bad arguments, an unknown tool.
    expect_err(
        z.mcp().invoke_tool(&iid, "get-sum", json!({"arguments": {"a": "one", "b": 2}})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    expect_err(z.mcp().invoke_tool(&iid, "no-such-tool", json!({})), 404, "NOT_FOUND").await;

    // The same tools in runs (the executor's ToolGateway path).
    let agent = z.agents().create(json!({"slug": "keyed-agent", "name": "keyed"})).json().await.unwrap();
    let aid = id(&agent).to_string();
    z.agents().attach_mcp_tool(&aid, json!({"toolId": iid, "approvalMode": "AUTO"})).json().await.unwrap();
    let t = z.agents().test_run(&aid, json!({"input": "/tool echo {\"message\": \"test\"}"})).json().await.unwrap();
    assert_eq!(t["status"], "COMPLETED", "{t}");
    let v = z.agents().publish(&aid).json().await.unwrap();
    let dep =
        z.agents().deploy(&aid, json!({"agentVersionId": v["id"], "environment": "PRODUCTION"})).json().await.unwrap();
    wait_active(&z, id(&dep)).await;
    let (done, events) = run_once(&z, &aid, "/tool echo {\"message\": \"from a run\"}").await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(tool_result(&events)["isError"], false, "{events:?}");
    let (_, events) = run_once(&z, &aid, "/tool get-sum {\"a\": \"x\"}").await;
    assert_eq!(tool_result(&events)["result"]["code"], "INVALID_ARGUMENTS");

    // The upstream refuses the credential: API calls and run calls fail.
    recorder.deny.store(true, Ordering::SeqCst);
    let e = z.mcp().invoke_tool(&iid, "echo", json!({"arguments": {"message": "hi"}})).json().await;
    match e {
        Err(e) => assert!(e.status().unwrap_or(0) >= 400, "{e:?}"),
        Ok(r) => assert_eq!(r["isError"], true, "{r}"),
    }
    assert!(z.mcp().discover_tools(id(&keyed)).json().await.is_err());
    let (done, events) = run_once(&z, &aid, "/tool echo {\"message\": \"denied\"}").await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(tool_result(&events)["isError"], true, "{events:?}");
    recorder.deny.store(false, Ordering::SeqCst);

    // BEARER: refused by the upstream, and against a server that is gone.
    let bearer = z
        .mcp()
        .create_server(json!({"name": "bearer", "authMode": "BEARER", "endpointUrl": format!("{origin}/deny/mcp")}))
        .json()
        .await
        .unwrap();
    let binst = z.mcp().install_server(json!({"serverDefinitionId": id(&bearer)})).json().await.unwrap();
    z.mcp()
        .create_credential_binding(id(&binst), json!({"credentials": {"token": BEARER_SECRET}}))
        .json()
        .await
        .unwrap();
    assert!(z.mcp().discover_tools(id(&bearer)).json().await.is_err());
    let gone = z
        .mcp()
        .create_server(json!({
            "name": "gone", "authMode": "BEARER",
            "endpointUrl": format!("http://127.0.0.1:{}/mcp", free_port()),
        }))
        .json()
        .await
        .unwrap();
    let ginst = z.mcp().install_server(json!({"serverDefinitionId": id(&gone)})).json().await.unwrap();
    z.mcp()
        .create_credential_binding(id(&ginst), json!({"credentials": {"token": BEARER_SECRET}}))
        .json()
        .await
        .unwrap();
    expect_err(z.mcp().discover_tools(id(&gone)), 502, "MCP_SERVER_ERROR").await;

    // The secrets did reach the MCP server, each in its header.
    let seen = recorder.seen.lock().unwrap().clone();
    assert!(seen.contains(&("x-api-key".into(), API_KEY_SECRET.into())), "{seen:?}");
    assert!(seen.contains(&("authorization".into(), format!("Bearer {BEARER_SECRET}"))), "{seen:?}");

    drop(server);
    drop(ev);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("TRACE") && text.contains("DEBUG"), "the log is at trace level");
    assert!(text.lines().count() > 200, "the log has {} lines", text.lines().count());
    // The write of the credential itself was logged (its statement, not its values).
    assert!(text.contains("INSERT INTO credentials"), "statement logging is on");
    for secret in [API_KEY_SECRET, BEARER_SECRET] {
        if let Some(line) = text.lines().find(|l| l.contains(secret)) {
            panic!("a secret is in the log: {line}");
        }
    }

    // Nor anywhere in the database in plain text: every row of every table.
    let db = Db::connect(&db_url).await.unwrap();
    let mut conn = db.read().await.unwrap();
    let mut rows_scanned = 0;
    match backend {
        Backend::Postgres => {
            let tables = sql::all(
                &mut conn,
                "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                vec![],
            )
            .await
            .unwrap();
            assert!(tables.len() > 10);
            for t in &tables {
                let name = t.text("name").unwrap();
                let q = format!("SELECT CAST(t AS TEXT) AS r FROM \"{name}\" t");
                for row in sql::all(&mut conn, &q, vec![]).await.unwrap() {
                    let r = row.text("r").unwrap();
                    rows_scanned += 1;
                    for secret in [API_KEY_SECRET, BEARER_SECRET] {
                        assert!(!r.contains(secret), "a secret is in plain text in {name}: {r}");
                    }
                }
            }
        }
        Backend::Sqlite => {
            let path = db_url.trim_start_matches("sqlite://").to_string();
            for file in [path.clone(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    rows_scanned += 1;
                    for secret in [API_KEY_SECRET, BEARER_SECRET] {
                        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret in {file}");
                    }
                }
            }
        }
    }
    assert!(rows_scanned > 0);
    let sealed = sql::all(&mut conn, "SELECT sealed FROM credentials", vec![]).await.unwrap();
    assert_eq!(sealed.len(), 3, "one credential per new secret binding");
}
