//! The playground (`docs/web.md`, `src/http/playground.rs`): the page at `/` and under
//! `/playground/`, its hashed assets with their types, caching and CSP, unknown API
//! paths still answered in JSON, and nothing of it (nor `/docs`) when `ZABY_PLAYGROUND=0`.

use crate::common::*;

/// The asset URLs the page names, in order (`app.<hash>.css`, `app.<hash>.js`).
fn asset_urls(html: &str) -> Vec<String> {
    html.split('"').filter(|part| part.starts_with("/playground/assets/")).map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_at_the_root_with_hashed_cached_assets() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    let http = s.http();
    let page = http.get(s.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    assert!(html.contains("<title>Zaby playground</title>"), "{html}");

    let urls = asset_urls(&html);
    assert_eq!(urls.len(), 2, "{html}");
    for (url, content_type) in urls.iter().zip(["text/css; charset=utf-8", "text/javascript; charset=utf-8"]) {
        let resp = http.get(s.url(url)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        assert_eq!(resp.headers()["content-type"], content_type, "{url}");
        assert_eq!(resp.headers()["cache-control"], "public, max-age=31536000, immutable", "{url}");
        assert!(!resp.bytes().await.unwrap().is_empty());
    }

    // The app's own pages load the same HTML; a stale asset hash is a JSON 404.
    for path in ["/playground", "/playground/chat"] {
        let resp = http.get(s.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.text().await.unwrap(), html, "{path}");
    }
    let stale = http.get(s.url("/playground/assets/app.000000000000.js")).send().await.unwrap();
    assert_eq!(stale.status(), 404);
    assert_eq!(stale.json::<serde_json::Value>().await.unwrap()["code"], "NOT_FOUND");

    let post = http.post(s.url("/")).send().await.unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD, OPTIONS");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_paths_still_answer_json_404() {
    let s = TestServer::start(Backend::Sqlite).await.unwrap();
    for path in ["/api/v1/nope", "/nope", "/api/v1/provisioning/agentic-os/agents/x/y/z"] {
        let resp = s.http().get(s.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "NOT_FOUND", "{path}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_when_turned_off() {
    let s = TestServer::start_with(Backend::Sqlite, |settings| settings.playground = false).await.unwrap();
    for path in ["/", "/playground", "/playground/assets/app.js", "/docs"] {
        let resp = s.http().get(s.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "NOT_FOUND", "{path}");
    }
    s.stop().await;
}
