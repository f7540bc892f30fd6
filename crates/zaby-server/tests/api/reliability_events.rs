//! Run-event pages (issue 20): bounded by bytes as well as by count
//! (`ZABY_MAX_PAGE_BYTES`), and `nextCursor` goes on right after the last event shown.

use serde_json::{Value, json};

use crate::common::*;

const PAGE_BYTES: usize = 16 * 1024;
const WORDS: usize = 24;

async fn event_pages_bounded_by_bytes(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |c| c.max_page_bytes = PAGE_BYTES).await else { return };
    let z = s.zaby();
    let st = setup(&z, "big-events", json!({}), json!({})).await;
    let minted = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-big"}))).json().await.unwrap();
    let rt = s.runtime(minted["token"].as_str().unwrap());
    // The development model answers word by word, one `text` event each: ~2 KiB per
    // event, listed twice in a page, so a few events fill one.
    let input = (0..WORDS).map(|i| format!("{i}{}", "w".repeat(2000))).collect::<Vec<_>>().join(" ");
    let started = rt.runs().start(json!({"input": input})).json().await.unwrap();
    assert_eq!(started["status"], "COMPLETED", "{started}");
    let run_id = started["runId"].as_str().unwrap().to_string();
    let latest = started["latestSeq"].as_i64().unwrap();
    assert!(latest > WORDS as i64, "{latest} events");

    let mut seqs = Vec::new();
    let mut pages = 0;
    let mut cursor = "0".to_string();
    loop {
        let url =
            s.url(&format!("/api/v1/provisioning/agentic-os/agents/runs/{run_id}/events?limit=500&cursor={cursor}"));
        let r = s.http().get(&url).header("x-zaby-api-key", &s.api_key).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let text = r.text().await.unwrap();
        let page: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(page["total"], latest);
        assert_eq!(page["events"], page["items"]);
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "page {pages} is empty");
        // One event alone may pass the bound (the last one repeats the whole answer):
        // a page always shows one.
        assert!(
            text.len() <= PAGE_BYTES || items.len() == 1,
            "page {pages} is {} bytes with {} events, over {PAGE_BYTES}",
            text.len(),
            items.len()
        );
        seqs.extend(items.iter().map(|e| e["seq"].as_i64().unwrap()));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(c) => {
                assert_eq!(c, seqs.last().unwrap().to_string(), "the cursor is the last seq shown");
                cursor = c.to_string();
            }
            None => break,
        }
    }
    assert!(pages >= 4, "{pages} pages: the byte bound did not cut them");
    assert_eq!(seqs, (1..=latest).collect::<Vec<_>>(), "every event exactly once, in order");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_event_pages_are_bounded_by_bytes_sqlite() {
    event_pages_bounded_by_bytes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_event_pages_are_bounded_by_bytes_postgres() {
    event_pages_bounded_by_bytes(Backend::Postgres).await;
}
