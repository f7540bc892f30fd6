//! Issue 8: an agent with attached knowledge bases answers a question from the right
//! document, with citations, through a streamed runtime run — the development
//! model's `Based on <title>: <chunk>` reply and `RunFinished.citations` equal to
//! E48's retrieval (`docs/server.md` "Retrieval in runs"), on both databases.

use std::path::PathBuf;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::common::*;
use crate::knowledge::{corpus_kb, ingest, new_kb};
use crate::on_both;

on_both!(answers_from_the_right_document, two_knowledge_bases_merge_by_score);

fn queries() -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../zaby-knowledge/tests/corpus");
    serde_json::from_str(&std::fs::read_to_string(dir.join("queries.json")).unwrap()).unwrap()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// An agent with these knowledge bases attached (in order), published, deployed,
/// ACTIVE, bound to an external app with a policy; returns a runtime token.
async fn kb_agent(s: &TestServer, slug: &str, kbs: &[&str]) -> String {
    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": slug, "name": slug})).json().await.unwrap();
    for kb in kbs {
        let att = z.agents().attach_knowledge_base(id(&agent), json!({"knowledgeBaseId": kb})).json().await.unwrap();
        assert_eq!(att["enabled"], true);
    }
    let version = z.agents().publish(id(&agent)).json().await.unwrap();
    let deployment = z
        .agents()
        .deploy(id(&agent), json!({"agentVersionId": version["id"], "environment": "PRODUCTION"}))
        .json()
        .await
        .unwrap();
    let active = wait_active(&z, id(&deployment)).await;
    assert_eq!(active["status"], "ACTIVE", "{active}");
    let app = z
        .external_apps()
        .create(json!({"name": format!("{slug} app"), "slug": format!("{slug}-app")}))
        .json()
        .await
        .unwrap();
    z.external_apps().bind_deployment(id(&app), json!({"deploymentId": id(&deployment)})).json().await.unwrap();
    let policy = z
        .runtime_token_policies()
        .create(json!({"name": "default", "externalAppId": id(&app), "deploymentId": id(&deployment)}))
        .json()
        .await
        .unwrap();
    let token = z
        .runtime_tokens()
        .create(json!({
            "externalAppId": id(&app), "deploymentId": id(&deployment),
            "quotaPolicyId": id(&policy), "externalUserId": "reader-1",
        }))
        .json()
        .await
        .unwrap();
    token["token"].as_str().unwrap().to_string()
}

/// Starts a run asynchronously and consumes its SSE stream to the end.
async fn streamed_run(s: &TestServer, token: &str, question: &str) -> (String, Vec<zaby::SseEvent>) {
    let rt = s.runtime(token);
    let started = rt.runs().start(json!({"input": question, "respondAsync": true})).json().await.unwrap();
    let run_id = started["runId"].as_str().unwrap().to_string();
    let events =
        // Raw events: the checks below compare the wire form of the citations.
        tokio::time::timeout(DEADLINE, rt.runs().stream(&run_id, None).raw().map(|e| e.unwrap().into_event()).collect::<Vec<_>>())
            .await
            .expect("the stream ends");
    (run_id, events)
}

fn named<'a>(events: &'a [zaby::SseEvent], name: &str) -> Vec<&'a zaby::SseEvent> {
    events.iter().filter(|e| e.event.as_deref() == Some(name)).collect()
}

/// The citations E48 implies for these items: kind `chunk`, in the items' order.
fn citations_of(items: &[Value]) -> Vec<Value> {
    items
        .iter()
        .map(|i| {
            json!({
                "kind": "chunk", "documentId": i["documentId"], "chunkId": i["chunkId"],
                "memoryItemId": null, "title": i["title"], "score": i["score"],
            })
        })
        .collect()
}

/// Checks the streamed events of a completed run against the expected passages
/// (best first): the reply quotes the best one, `text` events add up to it, and the
/// citations are exactly the passages with their scores, descending.
fn check_run(run_id: &str, events: &[zaby::SseEvent], expected: &[Value]) {
    let names: Vec<&str> = events.iter().map(|e| e.event.as_deref().unwrap_or("")).collect();
    assert_eq!(names.first(), Some(&"RunStarted"), "{names:?}");
    assert_eq!(names.last(), Some(&"RunFinished"), "{names:?}");
    assert!(named(events, "RunError").is_empty(), "{names:?}");
    let finished = &named(events, "RunFinished")[0].data;
    assert_eq!(finished["runId"], run_id);
    assert_eq!(finished["status"], "COMPLETED");
    let best = &expected[0];
    let reply = format!("Based on {}: {}", best["title"].as_str().unwrap(), best["content"].as_str().unwrap());
    assert_eq!(finished["finalOutput"], reply.as_str());
    let text: String = named(events, "text").iter().map(|e| e.data["content"].as_str().unwrap()).collect();
    assert_eq!(text, reply, "text events concatenate to finalOutput");
    let citations = finished["citations"].as_array().unwrap();
    assert_eq!(citations, &citations_of(expected), "citations are the retrieved passages in score order");
    let scores: Vec<f64> = citations.iter().map(|c| c["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // Every SSE id is the event's seq, gapless.
    let ids: Vec<i64> = events.iter().map(|e| e.id.as_deref().unwrap().parse().unwrap()).collect();
    assert_eq!(ids, (1..=events.len() as i64).collect::<Vec<_>>());
}

async fn answers_from_the_right_document(s: TestServer) {
    let z = s.zaby();
    let (kb, docs) = corpus_kb(&z).await;
    let token = kb_agent(&s, "helpdesk", &[&kb]).await;
    let queries = queries();
    // One question from each document of the corpus.
    for q in queries["queries"].as_array().unwrap().iter().filter(|q| {
        ["Are refunds granted after a service outage?", "invitation link expired", "rotate API keys"]
            .contains(&q["query"].as_str().unwrap())
    }) {
        let question = q["query"].as_str().unwrap();
        let retrieved = z.knowledge_bases().retrieve(&kb, json!({"query": question})).json().await.unwrap();
        let items = retrieved["items"].as_array().unwrap().clone();
        assert_eq!(items.len() as u64, q["total"].as_u64().unwrap(), "{q}");
        // The best chunk is the one queries.json names.
        let doc = docs.iter().find(|d| d["title"] == q["document"]).unwrap();
        let best = &items[0];
        assert_eq!((&best["documentId"], &best["index"]), (&doc["id"], &q["index"]), "{q}");
        assert!(best["content"].as_str().unwrap().contains(q["contains"].as_str().unwrap()), "{q}");
        assert!((best["score"].as_f64().unwrap() - q["score"].as_f64().unwrap()).abs() < 1e-9, "{q}");

        let (run_id, events) = streamed_run(&s, &token, question).await;
        check_run(&run_id, &events, &items);
        let finished = &named(&events, "RunFinished")[0].data;
        assert_eq!(finished["citations"][0]["documentId"], doc["id"]);
        assert_eq!(finished["citations"][0]["chunkId"], best["chunkId"]);
        assert!(
            finished["finalOutput"]
                .as_str()
                .unwrap()
                .starts_with(&format!("Based on {}: ", q["document"].as_str().unwrap())),
            "{finished}"
        );
        // The stored run agrees with the stream.
        let p = z.agents().get_run_progress(&run_id).json().await.unwrap();
        assert_eq!((&p["status"], &p["finalOutput"]), (&json!("COMPLETED"), &finished["finalOutput"]));
    }
    // A question no document covers: no citations, the plain reply.
    let (run_id, events) = streamed_run(&s, &token, "quantum entanglement").await;
    let finished = &named(&events, "RunFinished")[0].data;
    assert_eq!(
        finished,
        &json!({"runId": run_id, "status": "COMPLETED", "finalOutput": "You said: quantum entanglement", "citations": []})
    );
}

/// Two attached knowledge bases: the passages of both merged by score (ties:
/// attachment order) and cut to 5.
async fn two_knowledge_bases_merge_by_score(s: TestServer) {
    let z = s.zaby();
    let (corpus, _) = corpus_kb(&z).await;
    let extra = new_kb(&z, "Refund notes").await;
    for (title, content) in [
        ("refund-faq.md", "# Refund FAQ\n\nRefunds after an outage are granted as service credits, not cash."),
        ("outage-policy.md", "# Outages\n\nA service outage longer than four hours is credited automatically."),
        ("refund-timing.md", "# Timing\n\nRefunds are paid out within five business days."),
    ] {
        ingest(&z, &extra, json!({"title": title, "content": content, "fileType": "MD"})).await;
    }
    let token = kb_agent(&s, "two-kbs", &[&corpus, &extra]).await;
    let question = "Are refunds granted after a service outage?";
    let mut merged = Vec::new();
    for kb in [&corpus, &extra] {
        let r = z.knowledge_bases().retrieve(kb, json!({"query": question, "topK": 5})).json().await.unwrap();
        merged.extend(r["items"].as_array().unwrap().iter().cloned());
    }
    let from_extra = merged.iter().filter(|i| i["knowledgeBaseId"] == extra.as_str()).count();
    assert!(merged.len() > 5 && from_extra >= 2, "both contribute, more than 5 in all: {merged:?}");
    // A stable sort keeps attachment order, then E48 order, for equal scores.
    merged.sort_by(|a, b| b["score"].as_f64().unwrap().total_cmp(&a["score"].as_f64().unwrap()));
    merged.truncate(5);
    let kbs: std::collections::HashSet<&str> = merged.iter().map(|i| i["knowledgeBaseId"].as_str().unwrap()).collect();
    assert_eq!(kbs.len(), 2, "the top 5 mixes both knowledge bases: {merged:?}");

    let (run_id, events) = streamed_run(&s, &token, question).await;
    check_run(&run_id, &events, &merged);
}
