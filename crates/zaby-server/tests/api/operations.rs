//! Operating the server (docs/operations.md): memory extraction on and off against a
//! stand-in OpenAI-compatible model server, `/ready`, `/metrics`, TLS.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use zaby_server::config::MemoryExtraction;

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
    let token = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-1"}))).await.unwrap();
    let runtime = s.runtime(token["token"].as_str().unwrap());
    let run = runtime.runs().start(json!({"input": "remember that I like tea"})).await.unwrap();
    assert_eq!((run["status"].as_str(), run["finalOutput"].as_str()), (Some("COMPLETED"), Some("noted")), "{run}");
    // Extraction follows the stored completion. With `auto` its call is awaited; with
    // `off` its absence can only be shown by waiting (the `auto` call comes in
    // milliseconds).
    match extraction {
        MemoryExtraction::Auto => {
            eventually("the extraction call", || async { (seen.lock().unwrap().len() >= 2).then_some(()) }).await;
        }
        MemoryExtraction::Off => tokio::time::sleep(std::time::Duration::from_secs(2)).await,
    }
    s.stop().await;
    let requests = seen.lock().unwrap().clone();
    requests
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
