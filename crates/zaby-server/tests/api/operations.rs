//! Operating the server (docs/operations.md): memory extraction on and off against a
//! stand-in OpenAI-compatible model server, `/ready`, `/metrics`, TLS.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use zaby_server::testing::MemoryExtraction;

use crate::common::*;

/// A stand-in OpenAI-compatible server: streamed requests (run steps) get a short
/// answer, the others (memory extraction) an empty candidate list. Returns its
/// origin and every request body it received.
async fn stand_in_model() -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<Value>| {
            let log = log.clone();
            async move {
                let streamed = body.0["stream"] == true;
                log.lock().unwrap().push(body.0);
                let chunk = |delta: Value, finish: Value| {
                    json!({"id": "c", "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
                };
                if streamed {
                    let text = format!(
                        "data: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
                        chunk(json!({"role": "assistant", "content": "noted"}), Value::Null),
                        chunk(json!({}), json!("stop"))
                    );
                    axum::response::Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(axum::body::Body::from(text))
                        .unwrap()
                } else {
                    let message = json!({"role": "assistant", "content": "{\"candidates\": []}"});
                    let body = json!({"id": "m", "object": "chat.completion",
                        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]});
                    axum::response::IntoResponse::into_response(axum::Json(body))
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

/// Runs one end-user run of an agent on model `zaby`, mapped to the stand-in by the
/// config file; returns the requests the stand-in received once the run completed.
async fn requests_of_one_run(extraction: MemoryExtraction) -> Vec<Value> {
    let (origin, seen) = stand_in_model().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("zaby-server.toml");
    std::fs::write(&config, format!("[models.\"zaby\"]\nbase_url = \"{origin}/v1\"\nmodel = \"stand-in-1\"\n"))
        .unwrap();
    let s = TestServer::start_with(Backend::Sqlite, |settings| {
        settings.config_file = Some(config.clone());
        settings.memory_extraction = extraction;
    })
    .await
    .unwrap();
    let z = s.zaby();
    let st = setup(&z, "mem-extract", json!({}), json!({})).await;
    let token = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-1"}))).json().await.unwrap();
    let runtime = s.runtime(token["token"].as_str().unwrap());
    let run = runtime.runs().start(json!({"input": "remember that I like tea"})).json().await.unwrap();
    assert_eq!((run["status"].as_str(), run["finalOutput"].as_str()), (Some("COMPLETED"), Some("noted")), "{run}");
    // Extraction follows the stored completion. With `auto` its call is awaited; with
    // `off` its absence can only be shown by waiting (the `auto` call comes in
    // milliseconds).
    match extraction {
        MemoryExtraction::Auto => {
            eventually("the extraction call", || async { (seen.lock().unwrap().len() >= 2).then_some(()) }).await;
            // Both calls are counted under the mapped name (the step and the extraction).
            let calls = r#"zaby_model_calls_total{model="zaby",outcome="ok"}"#;
            eventually("both model calls counted", || async {
                let text = s.http().get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
                (sample(&text, calls).unwrap_or(0.0) >= 2.0).then_some(())
            })
            .await;
        }
        MemoryExtraction::Off => tokio::time::sleep(std::time::Duration::from_secs(2)).await,
    }
    s.stop().await;
    seen.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_extraction_auto_and_off() {
    let auto = requests_of_one_run(MemoryExtraction::Auto).await;
    // The mapping is used: every call names the mapped model, not the agent's name for it.
    assert!(auto.iter().all(|r| r["model"] == "stand-in-1"), "{auto:?}");
    let streamed = |rs: &[Value]| rs.iter().filter(|r| r["stream"] == true).count();
    assert_eq!((auto.len(), streamed(&auto)), (2, 1), "one step and one extraction call: {auto:?}");

    let off = requests_of_one_run(MemoryExtraction::Off).await;
    assert_eq!((off.len(), streamed(&off)), (1, 1), "the extraction call is gone: {off:?}");
    assert_eq!(off[0]["model"], "stand-in-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_and_metrics() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let http = s.http();
    let ready = http.get(s.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap(), json!({"status": "ready"}));

    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": "metered", "name": "Metered"})).json().await.unwrap();
    let run = z.agents().test_run(agent["id"].as_str().unwrap(), json!({"input": "hi"})).json().await.unwrap();
    assert_eq!(run["status"], "COMPLETED");
    let resp = http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    for series in [
        r#"zaby_http_requests_total{route="/ready",status="200"}"#,
        r#"zaby_http_request_duration_seconds_bucket{route="/ready",le="0.005"}"#,
        "zaby_runs_started_total ",
        r#"zaby_runs_finished_total{status="COMPLETED"}"#,
        "zaby_run_duration_seconds_count ",
        r#"zaby_db_pool_connections{state="idle"}"#,
        r#"zaby_model_calls_total{model="development",outcome="ok"}"#,
        r#"zaby_model_call_duration_seconds_count{model="development"}"#,
    ] {
        assert!(text.contains(series), "no {series} in:\n{text}");
    }

    // A run waiting for a human is a pending approval until it is cancelled, and the
    // cancelled run is counted as finished. (Counters are shared by the tests of this
    // process, hence "at least one more".)
    let st = crate::runs_approvals::echo_setup(&z, "metered-gate").await;
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-metrics"}))).json().await.unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());
    let waiting = rt.runs().start(json!({"input": crate::runs_approvals::MESSAGE})).json().await.unwrap();
    assert_eq!(waiting["status"], "WAITING_FOR_APPROVAL", "{waiting}");
    let cancelled = r#"zaby_runs_finished_total{status="CANCELLED"}"#;
    let before = http.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&before, "zaby_approvals_pending"), Some(1.0), "{before}");
    rt.runs().cancel(waiting["runId"].as_str().unwrap(), None).json().await.unwrap();
    let after = http.get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert_eq!(sample(&after, "zaby_approvals_pending"), Some(0.0), "{after}");
    let counted = sample(&after, cancelled).unwrap_or(0.0) - sample(&before, cancelled).unwrap_or(0.0);
    assert!(counted >= 1.0, "{after}");

    // A schema that lacks one of this binary's migrations is not ready.
    let mut conn = s.ctx().db.read().await.unwrap();
    zaby_server::testing::sql::exec(&mut conn, "DELETE FROM schema_migrations WHERE version = 5", vec![])
        .await
        .unwrap();
    drop(conn);
    let ready = http.get(s.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body = ready.json::<Value>().await.unwrap();
    assert_eq!(body["status"], "not ready");
    assert!(body["reason"].as_str().unwrap().contains("lacks migrations [5]"), "{body}");
    s.stop().await;
}

/// The value of `series` (name and labels as printed) in a Prometheus text page.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_turned_off() {
    let s = TestServer::start_with(Backend::Sqlite, |settings| settings.metrics = false).await.unwrap();
    let resp = s.http().get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_postgres_fails_fast_and_says_where() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let settings = zaby_server::Settings {
        listen: "127.0.0.1:0".into(),
        database_url: format!("postgres://zaby:secret@127.0.0.1:{port}/zaby_prod"),
        state_dir: dir.path().join(".zaby"),
        ..zaby_server::Settings::default()
    };
    let started = std::time::Instant::now();
    let Err(e) = zaby_server::start(settings).await else { panic!("started without a database") };
    let message = format!("{e:#}");
    let expected = format!("cannot connect to PostgreSQL at 127.0.0.1:{port}/zaby_prod: ");
    assert!(message.starts_with(&expected), "{message}");
    assert!(!message.contains("secret"), "the password is never shown: {message}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn json_logs_one_object_per_line() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zaby-server"))
        .current_dir(dir.path())
        .env("ZABY_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env_remove("ZABY_DATABASE_URL")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut request_line = None;
    let mut asked = false;
    for line in stderr.lines() {
        let line = line.unwrap();
        if !line.starts_with('{') {
            continue; // the start-up report and the first-start key are for people
        }
        let entry: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(entry["timestamp"].is_string() && entry["level"].is_string(), "{entry}");
        if entry["message"] == "listening" && !asked {
            asked = true;
            let url = format!("http://127.0.0.1:{port}/health");
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async { reqwest::get(url).await.unwrap() });
            });
        }
        if entry["message"] == "request" {
            request_line = Some(entry);
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let entry = request_line.expect("a request log line");
    assert_eq!((entry["route"].as_str(), entry["status"].as_u64()), (Some("/health"), Some(200)), "{entry}");
    assert!(entry["request_id"].is_string() && entry["latency_ms"].is_number(), "{entry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_secrets_key_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let settings = zaby_server::Settings {
        listen: "127.0.0.1:0".into(),
        database_url: format!("sqlite://{}", dir.path().join("zaby.db").display()),
        state_dir: dir.path().join(".zaby"),
        ..zaby_server::Settings::default()
    };
    zaby_server::start(settings.clone()).await.unwrap().shutdown().await;
    let key_file = settings.state_dir.join("secrets.key");
    std::fs::remove_file(&key_file).unwrap();
    let Err(e) = zaby_server::start(settings.clone()).await else { panic!("started without its secrets key") };
    let message = format!("{e:#}");
    assert!(
        message.contains("secrets.key is missing") && message.contains("Restore the file from your backup"),
        "{message}"
    );
    assert!(!key_file.exists(), "no new key is written");
    // A new database gets a new key as before.
    let fresh =
        zaby_server::Settings { database_url: format!("sqlite://{}", dir.path().join("new.db").display()), ..settings };
    let server = zaby_server::start(fresh).await.unwrap();
    assert!(key_file.exists());
    // Its generated API key does not overwrite the first database's dev key file.
    let first_key = std::fs::read_to_string(server.ctx.settings.state_dir.join("dev-api-key")).unwrap();
    let saved = server.dev_key_file.clone().unwrap();
    assert_eq!(
        saved,
        server.ctx.settings.state_dir.join(format!("dev-api-key-{}", server.bootstrap.default_tenant_id))
    );
    assert_eq!(std::fs::read_to_string(&saved).unwrap().trim(), server.bootstrap.generated_api_key.as_deref().unwrap());
    assert_ne!(first_key.trim(), server.bootstrap.generated_api_key.as_deref().unwrap());
    server.shutdown().await;
}

/// A self-signed certificate for `localhost`, as PEM (certificate, key).
fn localhost_certificate() -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    (made.cert.pem(), made.signing_key.serialize_pem())
}

/// A client that trusts only `cert_pem`.
fn client_trusting(cert_pem: &str) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap();
    reqwest::Client::builder().tls_certs_only([cert]).build().unwrap()
}

/// The real binary started in `dir` with `envs`; its stderr lines arrive on the receiver.
fn start_binary(
    dir: &std::path::Path,
    port: u16,
    envs: &[(&str, std::path::PathBuf)],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_zaby-server"));
    command
        .current_dir(dir)
        .env_remove("ZABY_DATABASE_URL")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The stderr lines until one contains `needle` (panics after 60 s or at the end).
fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => panic!("no line with {needle:?} in:\n{}", seen.join("\n")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_https_and_reloads_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let (cert, key) = localhost_certificate();
    std::fs::write(&cert_file, &cert).unwrap();
    std::fs::write(&key_file, &key).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (mut child, lines) =
        start_binary(dir.path(), port, &[("ZABY_TLS_CERT", cert_file.clone()), ("ZABY_TLS_KEY", key_file.clone())]);
    wait_for_line(&lines, &format!("listening          https://127.0.0.1:{port}"));

    let url = format!("https://localhost:{port}/health");
    let resp = client_trusting(&cert).get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(reqwest::get(format!("http://127.0.0.1:{port}/health")).await.is_err(), "plain HTTP is not served");

    // A renewed certificate is served after SIGHUP, without a restart.
    let (renewed, renewed_key) = localhost_certificate();
    std::fs::write(&cert_file, &renewed).unwrap();
    std::fs::write(&key_file, &renewed_key).unwrap();
    let hup = std::process::Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap();
    assert!(hup.success());
    wait_for_line(&lines, "TLS certificate reloaded");
    let resp = client_trusting(&renewed).get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(client_trusting(&cert).get(&url).send().await.is_err(), "the old certificate is no longer served");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn tls_start_up_errors_name_the_setting_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, _) = localhost_certificate();
    let cert_file = dir.path().join("cert.pem");
    std::fs::write(&cert_file, cert).unwrap();
    let missing_key = dir.path().join("missing-key.pem");
    let cases: [(&[(&str, std::path::PathBuf)], String); 3] = [
        (&[("ZABY_TLS_CERT", cert_file.clone())], "ZABY_TLS_CERT and ZABY_TLS_KEY must be set together".into()),
        (
            &[("ZABY_TLS_CERT", cert_file.clone()), ("ZABY_TLS_KEY", missing_key.clone())],
            format!("ZABY_TLS_KEY {}:", missing_key.display()),
        ),
        // A certificate where the key should be: no private key in the file.
        (
            &[("ZABY_TLS_CERT", cert_file.clone()), ("ZABY_TLS_KEY", cert_file.clone())],
            format!("ZABY_TLS_KEY {}:", cert_file.display()),
        ),
    ];
    for (envs, expected) in cases {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (mut child, lines) = start_binary(dir.path(), port, envs);
        let status = child.wait().unwrap();
        let stderr: Vec<String> = lines.iter().collect();
        assert!(!status.success(), "started with {envs:?}");
        assert!(stderr.iter().any(|l| l.contains(&expected)), "no {expected:?} in:\n{}", stderr.join("\n"));
    }
}
