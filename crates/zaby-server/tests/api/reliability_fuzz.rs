//! Property tests over HTTP (issue 20): arbitrary bodies, query strings and bearer
//! tokens never make the server fail (5xx), panic or hang. Each case is one request
//! with a 10 s timeout; the runner shrinks a failure to its smallest input.

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::common::*;

/// Runs `cases` properties on the current runtime (the runner itself is synchronous),
/// `ZABY_SOAK` times as many under `make soak`.
fn check<S: Strategy>(cases: u32, strategy: S, case: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let soak = std::env::var("ZABY_SOAK").ok().and_then(|n| n.parse::<u32>().ok()).unwrap_or(1).max(1);
    let cases = cases.saturating_mul(soak);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    tokio::task::block_in_place(|| runner.run(&strategy, case)).unwrap();
}

fn send(req: reqwest::RequestBuilder) -> Result<(u16, Value), TestCaseError> {
    tokio::runtime::Handle::current().block_on(async {
        let r = req.timeout(Duration::from_secs(10)).send().await.map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    })
}

/// JSON-ish bytes: fragments of valid bodies, NULs, deep nesting, garbage.
fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"]".to_vec()),
        Just(b"\"slug\":".to_vec()),
        Just(b"\"name\":".to_vec()),
        Just(b"\"metadata\":".to_vec()),
        Just(b"\"a\\u0000b\"".to_vec()),
        Just(b"\"x\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"1e999".to_vec()),
        Just(b"null".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

async fn never_fails(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else { return };
    let agents = s.url("/api/v1/provisioning/agentic-os/agents");
    let http = s.http();

    check(300, body_bytes(), |body| {
        let req = http.post(&agents).header("x-zaby-api-key", &s.api_key).header("content-type", "application/json");
        let (status, resp) = send(req.body(body))?;
        prop_assert!(status < 500, "{status} {resp}");
        Ok(())
    });

    let query = proptest::collection::vec((".{0,6}", ".{0,12}"), 0..5);
    check(300, query, |pairs| {
        let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
        let req = http.get(format!("{agents}?{query}")).header("x-zaby-api-key", &s.api_key);
        let (status, resp) = send(req)?;
        prop_assert!(status < 500, "{status} {resp}");
        Ok(())
    });

    // Bearer tokens: random text, and a real runtime token with bytes flipped, cut or
    // appended (signature, header and claims damaged in every way).
    let z = s.zaby();
    let st = setup(&z, "fuzz", json!({}), json!({})).await;
    let minted = z.runtime_tokens().create(st.mint(json!({}))).json().await.unwrap();
    let token = minted["token"].as_str().unwrap().to_string();
    let probe = s.url("/api/v1/agent-runtime/runs/00000000-0000-4000-8000-000000000000/events");
    let damaged = (0..token.len(), any::<u8>(), 0usize..3).prop_map({
        let token = token.clone();
        move |(at, byte, how)| {
            let mut t = token.clone().into_bytes();
            match how {
                0 => t[at] = byte,
                1 => t.truncate(at),
                _ => t.insert(at, byte),
            }
            String::from_utf8_lossy(&t).into_owned()
        }
    });
    let tokens = prop_oneof![damaged, "[ -~]{0,300}"];
    check(300, tokens, |t| {
        let Ok(header) = reqwest::header::HeaderValue::from_str(&format!("Bearer {t}")) else { return Ok(()) };
        let (status, resp) = send(http.get(&probe).header("authorization", header))?;
        prop_assert!(status < 500, "{status} {resp}");
        prop_assert!(t == token || status == 401 || status == 404, "{status} {resp}");
        Ok(())
    });
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_fails_sqlite() {
    never_fails(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_fails_postgres() {
    never_fails(Backend::Postgres).await;
}
