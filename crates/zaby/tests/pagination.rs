//! The iterator algorithm of `docs/pagination.md`: stop rules, the repeated-cursor guard, lazy
//! page fetching, and errors surfacing where the failing page is needed.

mod common;

use common::*;
use futures::StreamExt;
use serde_json::{Value, json};

const AGENTS: &str = "/api/v1/provisioning/agentic-os/agents";

async fn drain(p: zaby::Paginator) -> (Vec<Value>, Option<zaby::ZabyError>) {
    let mut items = Vec::new();
    let mut p = p;
    while let Some(r) = p.next().await {
        match r {
            Ok(v) => items.push(v),
            Err(e) => return (items, Some(e)),
        }
    }
    (items, None)
}

#[tokio::test]
async fn stops_on_null_absent_or_empty_cursor_and_on_an_empty_page() {
    for last_page in [
        json!({"items": [3], "nextCursor": null}),
        json!({"items": [3]}),
        json!({"items": [3], "nextCursor": ""}),
        json!({"items": [], "nextCursor": "more"}),
    ] {
        let t = mock();
        t.set_response("GET", AGENTS, 200, json!({"items": [1, 2], "nextCursor": "c1", "total": 3}));
        t.set_response("GET", AGENTS, 200, last_page.clone());
        let (items, err) = drain(zaby(t.clone()).agents().iter(None).json()).await;
        assert!(err.is_none(), "{err:?}");
        let expected: Vec<Value> =
            if last_page["items"] == json!([]) { vec![json!(1), json!(2)] } else { vec![json!(1), json!(2), json!(3)] };
        assert_eq!(items, expected, "{last_page}");
        assert_eq!(t.requests().len(), 2, "{last_page}: no third page");
        assert_eq!(t.pending(), 0);
    }
    // A page without `items` ends the iteration.
    let t = mock();
    t.set_response("GET", AGENTS, 200, json!({"nextCursor": "x"}));
    assert_eq!(drain(zaby(t.clone()).agents().iter(None).json()).await.0.len(), 0);
    assert_eq!(t.requests().len(), 1);
}

#[tokio::test]
async fn a_repeated_cursor_fails_after_the_page_is_delivered() {
    let t = mock();
    t.set_response("GET", AGENTS, 200, json!({"items": [1], "nextCursor": "a"}));
    t.set_response("GET", &format!("{AGENTS}?cursor=a"), 200, json!({"items": [2], "nextCursor": "a"}));
    let (items, err) = drain(zaby(t.clone()).agents().iter(None).json()).await;
    assert_eq!(items, [json!(1), json!(2)]);
    let err = err.expect("repeated cursor");
    assert_error(&err, "ZabyError", Some("PAGINATION_CURSOR_REPEATED"));
    assert!(err.message().contains("\"a\""), "{}", err.message());
    assert_eq!(t.requests().len(), 2);

    // The caller's starting cursor counts as the cursor just sent.
    let t = mock();
    t.set_response("GET", &format!("{AGENTS}?cursor=start"), 200, json!({"items": [1], "nextCursor": "start"}));
    let (items, err) =
        drain(zaby(t.clone()).paginate("agents", "iter", vec![], Some(json!({"cursor": "start"})))).await;
    assert_eq!(items, [json!(1)]);
    assert_error(&err.unwrap(), "ZabyError", Some("PAGINATION_CURSOR_REPEATED"));
}

#[tokio::test]
async fn the_callers_cursor_starts_and_the_query_keeps_its_order() {
    let t = mock();
    t.set_response("GET", AGENTS, 200, json!({"items": [1], "nextCursor": "n 2"}));
    t.set_response("GET", AGENTS, 200, json!({"items": [2], "nextCursor": null}));
    let query = json!({"cursor": "s1", "limit": 1, "status": "ACTIVE", "gone": null});
    let (items, _) = drain(zaby(t.clone()).paginate("agents", "iter", vec![], Some(query))).await;
    assert_eq!(items.len(), 2);
    let paths: Vec<String> = t.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [format!("{AGENTS}?cursor=s1&limit=1&status=ACTIVE"), format!("{AGENTS}?cursor=n+2&limit=1&status=ACTIVE")]
    );
}

#[tokio::test]
async fn pages_are_fetched_lazily() {
    let t = mock();
    t.set_response("GET", AGENTS, 200, json!({"items": [1, 2], "nextCursor": "c"}));
    t.set_response("GET", AGENTS, 200, json!({"items": [3], "nextCursor": null}));
    let mut p = zaby(t.clone()).agents().iter(None).json();
    assert_eq!(t.requests().len(), 0, "nothing is sent before the first poll");
    assert_eq!(p.next().await.unwrap().unwrap(), json!(1));
    assert_eq!(t.requests().len(), 1);
    assert_eq!(p.next().await.unwrap().unwrap(), json!(2));
    assert_eq!(t.requests().len(), 1, "page 2 is not fetched while page 1 has items");
    assert_eq!(p.next().await.unwrap().unwrap(), json!(3));
    assert_eq!(t.requests().len(), 2);
    assert!(p.next().await.is_none());
    assert!(p.next().await.is_none());
    assert_eq!(t.requests().len(), 2);
}

#[tokio::test]
async fn a_failing_page_surfaces_where_it_is_needed() {
    let t = mock();
    t.set_response("GET", AGENTS, 200, json!({"items": [1], "nextCursor": "c"}));
    t.set_response("GET", AGENTS, 404, json!({"code": "NOT_FOUND", "message": "gone"}));
    let mut p = zaby(t.clone()).agents().iter(None).json().request_id("it-1");
    assert_eq!(p.next().await.unwrap().unwrap(), json!(1));
    let err = p.next().await.unwrap().unwrap_err();
    assert_error(&err, "ZabyNotFoundError", Some("NOT_FOUND"));
    assert_eq!(err.api().unwrap().request_id.as_deref(), Some("it-1"));
    assert!(p.next().await.is_none(), "the iterator ends after its error");
    assert!(t.requests().iter().all(|r| r.headers["x-request-id"] == "it-1"));
}

#[tokio::test]
async fn numeric_cursors_are_threaded_as_text() {
    let t = mock();
    t.set_response("GET", AGENTS, 200, json!({"items": [1], "nextCursor": 20}));
    t.set_response("GET", &format!("{AGENTS}?cursor=20"), 200, json!({"items": [2]}));
    let (items, err) = drain(zaby(t.clone()).agents().iter(None).json()).await;
    assert!(err.is_none());
    assert_eq!(items.len(), 2);
}
