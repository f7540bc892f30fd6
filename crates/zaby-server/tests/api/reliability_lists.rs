//! List amplification (issue 20): a list page is bounded by bytes as well as by count
//! (`ZABY_MAX_PAGE_BYTES`), and `nextCursor` goes on where a page stopped.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::common::*;

const PAGE_BYTES: usize = 300 * 1024;
const AGENTS: usize = 12;

async fn pages_bounded_by_bytes(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |c| c.max_page_bytes = PAGE_BYTES).await else { return };
    let agents = s.url("/api/v1/provisioning/agentic-os/agents");
    // Each agent is ~60 KiB of JSON (under the 64 KiB object cap), so 100 of them
    // would pass the page bound many times over.
    let mut created = HashSet::new();
    for i in 0..AGENTS {
        let body = json!({"slug": format!("big-{i}"), "name": "big", "metadata": {"blob": "m".repeat(60 * 1024)}});
        let r = s.http().post(&agents).header("x-zaby-api-key", &s.api_key).json(&body).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let agent: Value = r.json().await.unwrap();
        created.insert(agent["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        // Cursors are URL-safe base64, so they go into the query as they are.
        let url = match &cursor {
            Some(c) => format!("{agents}?limit=100&cursor={c}"),
            None => format!("{agents}?limit=100"),
        };
        let r = s.http().get(&url).header("x-zaby-api-key", &s.api_key).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let text = r.text().await.unwrap();
        assert!(text.len() <= PAGE_BYTES, "page {pages} is {} bytes, over {PAGE_BYTES}", text.len());
        let page: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(page["total"], AGENTS);
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "page {pages} is empty");
        seen.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_string()));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(pages >= 3, "{pages} pages: the byte bound did not cut them");
    assert_eq!(seen.len(), AGENTS, "every agent exactly once: {seen:?}");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_are_bounded_by_bytes_sqlite() {
    pages_bounded_by_bytes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_are_bounded_by_bytes_postgres() {
    pages_bounded_by_bytes(Backend::Postgres).await;
}
