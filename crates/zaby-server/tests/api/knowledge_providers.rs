//! Knowledge with real providers, against the binary started as a child process
//! (providers are configured through the environment): E49 answered by the model
//! mapped to `zaby` (a scripted OpenAI-compatible server), and chunks embedded at
//! ingestion by a stand-in embeddings endpoint so E48 `semantic` ranks by cosine,
//! `hybrid` scores 0.5·lexical + 0.5·semantic and `keyword` stays lexical (`docs/api/knowledge-bases.md`).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::common::*;
use crate::knowledge::{ingest, new_kb};
use crate::runs_process::{client, database, spawn};

const ANSWER: &str = "Apples are the red fruit.";

/// One streamed chat completion saying [`ANSWER`] in two pieces.
fn script() -> String {
    let chunk = |content: &str, finish: Value| {
        json!({"id": "c1", "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}]})
    };
    let mut s = String::new();
    for c in [chunk("Apples are", Value::Null), chunk(" the red fruit.", json!("stop"))] {
        s.push_str(&format!("data: {c}\n\n"));
    }
    s.push_str("data: [DONE]\n\n");
    s
}

/// The stand-in embedding: counts of words per dimension (synonyms share one), plus a
/// constant so no vector is zero.
fn embed(text: &str) -> Vec<f64> {
    const DIMS: [&[&str]; 4] = [&["fruit"], &["red", "crimson"], &["yellow"], &["car", "vehicle"]];
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let mut v: Vec<f64> =
        DIMS.iter().map(|d| words.iter().filter(|w| d.contains(&w.as_str())).count() as f64).collect();
    v.push(0.5);
    v
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

type Seen = Arc<Mutex<Vec<Value>>>;

/// `/v1/chat/completions` streams [`script`]; `/v1/embeddings` answers [`embed`] of
/// each input. Returns the origin and the request bodies of each.
async fn providers() -> (String, Seen, Seen) {
    use axum::routing::post;
    let (chats, embeddings): (Seen, Seen) = Default::default();
    let (c1, e1) = (chats.clone(), embeddings.clone());
    let app = axum::Router::new()
        .route(
            "/v1/chat/completions",
            post(move |body: axum::Json<Value>| {
                let seen = c1.clone();
                async move {
                    seen.lock().unwrap().push(body.0);
                    axum::response::Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(axum::body::Body::from(script()))
                        .unwrap()
                }
            }),
        )
        .route(
            "/v1/embeddings",
            post(move |body: axum::Json<Value>| {
                let seen = e1.clone();
                async move {
                    let inputs: Vec<String> = match &body.0["input"] {
                        Value::String(s) => vec![s.clone()],
                        Value::Array(a) => a.iter().map(|v| v.as_str().unwrap_or("").to_string()).collect(),
                        _ => vec![],
                    };
                    seen.lock().unwrap().push(body.0.clone());
                    let data: Vec<Value> = inputs
                        .iter()
                        .enumerate()
                        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": embed(t)}))
                        .collect();
                    axum::Json(json!({"object": "list", "data": data, "model": "stand-in"}))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), chats, embeddings)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_providers_sqlite() {
    real_providers(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_providers_postgres() {
    real_providers(Backend::Postgres).await;
}

/// `(chunk content, score)` of a retrieval's items, in order.
fn ranked(r: &Value) -> Vec<(String, f64)> {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["content"].as_str().unwrap().to_string(), i["score"].as_f64().unwrap()))
        .collect()
}

fn assert_scores(actual: &[(String, f64)], expected: &[(&str, f64)]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for ((content, score), (want, want_score)) in actual.iter().zip(expected) {
        assert_eq!(content, want, "{actual:?} vs {expected:?}");
        assert!((score - want_score).abs() < 1e-6, "{content}: {score} vs {want_score}");
    }
}

async fn real_providers(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db_url) = database(backend, dir.path()).await else { return };
    let (origin, chats, embeddings) = providers().await;
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let env = [
        ("ZABY_MODEL_ZABY_BASE_URL", format!("{origin}/v1")),
        ("ZABY_MODEL_ZABY_API_KEY", "sk-test".to_string()),
        ("ZABY_EMBEDDINGS_BASE_URL", format!("{origin}/v1")),
    ];
    let server = spawn(&db_url, dir.path(), &key, &env).await;
    let z = client(&server.base, &key);
    let kbs = z.knowledge_bases();

    let (apples, bananas, car) = ("Apples are red fruit.", "Bananas are yellow fruit.", "The car is red and fast.");
    let kb = new_kb(&z, "Providers").await;
    for (title, content) in [("one", apples), ("two", bananas), ("three", car)] {
        ingest(&z, &kb, json!({"title": title, "content": content, "fileType": "TXT"})).await;
    }
    // Ingestion embedded every chunk.
    let embedded: Vec<String> = embeddings
        .lock()
        .unwrap()
        .iter()
        .flat_map(|b| match &b["input"] {
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
            v => vec![v.as_str().unwrap_or("").to_string()],
        })
        .collect();
    for c in [apples, bananas, car] {
        assert!(embedded.iter().any(|e| e.contains(c)), "{c} not embedded: {embedded:?}");
    }

    // No word in common: keyword finds nothing, semantic ranks by cosine.
    let q = "crimson vehicle";
    let r = kbs.retrieve(&kb, json!({"query": q, "mode": "keyword"})).json().await.unwrap();
    assert_eq!(r["items"], json!([]));
    let cos = |c: &str| cosine(&embed(q), &embed(c));
    let semantic = ranked(&kbs.retrieve(&kb, json!({"query": q, "mode": "semantic"})).json().await.unwrap());
    assert_scores(&semantic, &[(car, 1.0), (apples, cos(apples)), (bananas, cos(bananas))]);
    assert!((cos(apples) - 1.25 / 2.25).abs() < 1e-12 && (cos(bananas) - 0.25 / 2.25).abs() < 1e-12);
    let hybrid = ranked(&kbs.retrieve(&kb, json!({"query": q, "mode": "hybrid"})).json().await.unwrap());
    assert_scores(&hybrid, &[(car, 0.5), (apples, 0.5 * cos(apples)), (bananas, 0.5 * cos(bananas))]);

    // Shared words: hybrid = 0.5·(the keyword score) + 0.5·cosine; hybrid is the default.
    let q = "red fruit";
    let cos = |c: &str| cosine(&embed(q), &embed(c));
    let keyword = ranked(&kbs.retrieve(&kb, json!({"query": q, "mode": "keyword"})).json().await.unwrap());
    assert_eq!(keyword.len(), 3, "{keyword:?}");
    assert_eq!(keyword[0].0, apples);
    let lexical = |c: &str| keyword.iter().find(|(k, _)| k == c).unwrap().1;
    let mut expected: Vec<(&str, f64)> =
        [apples, bananas, car].iter().map(|c| (*c, 0.5 * lexical(c) + 0.5 * cos(c))).collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let hybrid = ranked(&kbs.retrieve(&kb, json!({"query": q})).json().await.unwrap());
    assert_scores(&hybrid, &expected);
    let explicit = ranked(&kbs.retrieve(&kb, json!({"query": q, "mode": "hybrid"})).json().await.unwrap());
    assert_eq!(explicit, hybrid);

    // E49: the model mapped to `zaby` answers from the query and the retrieved chunks.
    let a = kbs.provisional_answer(&kb, json!({"query": q})).json().await.unwrap();
    assert_eq!(a["status"], "ANSWERED");
    assert_eq!(a["answer"], ANSWER);
    assert_eq!(a["confidence"].as_f64().unwrap(), hybrid[0].1);
    assert_eq!(a["citations"].as_array().unwrap().len(), 3);
    let sent = chats.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let prompt = sent[0]["messages"].to_string();
    for needle in [q, apples, bananas, car] {
        assert!(prompt.contains(needle), "{needle} not sent to the model: {prompt}");
    }
    assert!(sent[0].get("tools").is_none_or(|t| t.as_array().is_some_and(|a| a.is_empty())), "{}", sent[0]);
    // NO_ANSWER does not call the model.
    let none = kbs.provisional_answer(&kb, json!({"query": q, "minScore": 0.99})).json().await.unwrap();
    assert_eq!((none["status"].as_str(), none["answer"].as_str()), (Some("NO_ANSWER"), Some("")));
    assert_eq!(chats.lock().unwrap().len(), 1);
}

/// A chat provider that refuses every completion, as a provider outage looks.
async fn failing_chat() -> (String, Seen) {
    use axum::routing::post;
    let calls: Seen = Default::default();
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |body: axum::Json<Value>| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(body.0);
                (http::StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"message": "model overloaded"}})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), calls)
}

/// E49 when the model mapped to `zaby` fails: 502 `MODEL_ERROR`, and retrieval itself
/// (which needs no model) keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisional_answer_reports_a_failing_model() {
    let dir = tempfile::tempdir().unwrap();
    let Some(db_url) = database(Backend::Sqlite, dir.path()).await else { return };
    let (origin, calls) = failing_chat().await;
    let key = format!("zaby_pk_test_{}", uuid::Uuid::new_v4().simple());
    let env =
        [("ZABY_MODEL_ZABY_BASE_URL", format!("{origin}/v1")), ("ZABY_MODEL_ZABY_API_KEY", "sk-test".to_string())];
    let server = spawn(&db_url, dir.path(), &key, &env).await;
    let z = client(&server.base, &key);
    let kb = new_kb(&z, "Outage").await;
    ingest(&z, &kb, json!({"title": "one", "content": "Apples are red fruit.", "fileType": "TXT"})).await;

    let e = expect_err(z.knowledge_bases().provisional_answer(&kb, json!({"query": "red fruit"})), 502, "MODEL_ERROR")
        .await;
    assert!(e.to_string().to_lowercase().contains("model"), "{e}");
    assert!(!calls.lock().unwrap().is_empty(), "the provider was never asked");
    let r = z.knowledge_bases().retrieve(&kb, json!({"query": "red fruit", "mode": "keyword"})).json().await.unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
}
