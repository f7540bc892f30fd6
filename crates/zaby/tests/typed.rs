//! The typed surface of the Rust SDK (docs/api/README.md, Rust signatures): input structs and `Value`
//! bodies, typed queries, answers decoded into the row's response type, `.json()`, and
//! `Paginator<T>` yielding typed items.

mod common;

use common::*;
use futures::StreamExt;
use serde_json::json;
use zaby::types::{AgentInput, AgentStatus, ApprovalDecisionInput, E3Query};

const AGENTS: &str = "/api/v1/provisioning/agentic-os/agents";

fn agent(id: &str) -> serde_json::Value {
    json!({"id": id, "slug": "helper", "name": "Helper", "description": null, "defaultModel": "zaby",
           "instructions": null, "category": null, "visibility": "PRIVATE", "config": {}, "metadata": {},
           "tags": [], "provider": null, "status": "DRAFT", "latestVersionId": null, "latestVersion": null,
           "activeDeployments": [], "mcpTools": [], "knowledgeBases": [], "skills": [],
           "createdAt": "t", "updatedAt": "t", "addedLater": 1})
}

#[tokio::test]
async fn a_struct_and_a_value_send_the_same_body_and_the_answer_is_typed() {
    let t = mock();
    t.set_response("POST", AGENTS, 201, agent("agt_1"));
    t.set_response("POST", AGENTS, 201, agent("agt_2"));
    let z = zaby(t.clone());
    let input = AgentInput { slug: "helper".into(), name: "Helper".into(), ..Default::default() };
    let created = z.agents().create(&input).await.unwrap();
    assert_eq!((created.id.as_str(), created.status), ("agt_1", AgentStatus::Draft));
    assert_eq!(created.extra.get("addedLater"), Some(&json!(1)));
    let raw = z.agents().create(json!({"slug": "helper", "name": "Helper"})).json().await.unwrap();
    assert_eq!(raw["id"], "agt_2");
    let bodies: Vec<_> = t.requests().into_iter().map(|r| r.json_body).collect();
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], Some(json!({"slug": "helper", "name": "Helper"})));
}

#[tokio::test]
async fn an_answer_of_another_shape_is_invalid_response_and_json_still_reads_it() {
    let t = mock();
    t.set_response("GET", &format!("{AGENTS}/a"), 200, json!({"unexpected": true}));
    t.set_response("GET", &format!("{AGENTS}/a"), 200, json!({"unexpected": true}));
    let z = zaby(t.clone());
    let err = z.agents().get("a").await.unwrap_err();
    assert_error(&err, "ZabyError", Some("INVALID_RESPONSE"));
    assert!(err.message().contains("missing field"), "{}", err.message());
    assert_eq!(z.agents().get("a").json().await.unwrap(), json!({"unexpected": true}));
}

#[tokio::test]
async fn typed_queries_and_optional_bodies() {
    let t = mock();
    t.set_response("GET", &format!("{AGENTS}?status=ACTIVE&limit=5"), 200, json!({"items": [], "total": 0}));
    t.set_response("POST", &format!("{AGENTS}/runs/r/approvals/a/approve"), 200, json!({}));
    t.set_response("POST", &format!("{AGENTS}/runs/r/approvals/a/approve"), 200, json!({}));
    let z = zaby(t.clone());
    let query = E3Query { status: Some(AgentStatus::Active), limit: Some(5), ..Default::default() };
    let page = z.agents().list(query).await.unwrap();
    assert_eq!((page.items.len(), page.total), (0, Some(0)));
    z.approvals().approve("r", "a", None).json().await.unwrap();
    let decision = ApprovalDecisionInput { reason: Some("ok".into()), ..Default::default() };
    z.approvals().approve("r", "a", decision).json().await.unwrap();
    let r = t.requests();
    assert_eq!(r[1].json_body, None, "left out: no body");
    assert_eq!(r[2].json_body, Some(json!({"reason": "ok"})));
}

#[tokio::test]
async fn paginators_yield_typed_items() {
    let t = mock();
    t.set_response("GET", AGENTS, 200, json!({"items": [agent("a1")], "nextCursor": "c"}));
    t.set_response("GET", &format!("{AGENTS}?cursor=c"), 200, json!({"items": [agent("a2")], "nextCursor": null}));
    let agents: Vec<_> = zaby(t.clone()).agents().iter(None).collect().await;
    let ids: Vec<String> = agents.into_iter().map(|a| a.unwrap().id).collect();
    assert_eq!(ids, ["a1", "a2"]);
}
