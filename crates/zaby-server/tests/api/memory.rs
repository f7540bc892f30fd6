//! Memory (`docs/api/memory.md`), attaching knowledge bases (E10), and what runs retrieve
//! (docs/server.md#runs) through the `RunKnowledge` implementation.

use std::sync::Arc;

use serde_json::{Value, json};
use zaby_server::testing::Owner;
use zaby_server::testing::{EndUser, RunKnowledge, RunScope};
use zaby_server::testing::{Proposal, propose};

use crate::common::*;
use crate::knowledge::{ingest, new_kb};
use crate::on_both;

on_both!(memory_lifecycle, attach_and_run_retrieval, memory_through_runs);

fn user(ext: &str) -> EndUser {
    EndUser { external_user_id: Some(ext.into()), unique_id_hash: None }
}

fn owner(agent: &str, ext: &str) -> Owner {
    Owner {
        agent_id: agent.into(),
        external_user_id: Some(ext.into()),
        session_id: Some("s-1".into()),
        ..Default::default()
    }
}

fn proposals(items: &[(&str, &str)]) -> Vec<Proposal> {
    items.iter().map(|(c, k)| Proposal { content: c.to_string(), kind: k.to_string() }).collect()
}

async fn memory_lifecycle(s: TestServer) {
    let z = s.zaby();
    let tenant = s.default_tenant().await;
    let agent = z.agents().create(json!({"slug": "mem", "name": "Mem"})).json().await.unwrap();
    let agent_id = agent["id"].as_str().unwrap();
    let ctx = s.ctx().clone();
    let made = propose(
        &ctx,
        &tenant,
        owner(agent_id, "alice"),
        &user("alice"),
        Some("run-1".into()),
        proposals(&[("my favourite colour is green", "FACT"), ("  I like tea  ", "PREFERENCE"), ("", "FACT")]),
        false,
    )
    .await
    .unwrap();
    assert_eq!(made.len(), 2);
    // The same content again is not proposed while a candidate is open.
    let again = propose(
        &ctx,
        &tenant,
        owner(agent_id, "alice"),
        &user("alice"),
        None,
        proposals(&[("I like tea", "PREFERENCE")]),
        false,
    )
    .await
    .unwrap();
    assert!(again.is_empty());
    let cands = z.memory().list_candidates(json!({"agentId": agent_id})).json().await.unwrap();
    assert_eq!(cands["total"], 2);
    let by_content = |c: &str| cands["items"].as_array().unwrap().iter().find(|i| i["content"] == c).unwrap().clone();
    let c0 = &by_content("my favourite colour is green");
    assert_eq!(
        (c0["status"].as_str(), c0["runId"].as_str(), c0["externalUserId"].as_str()),
        (Some("PENDING"), Some("run-1"), Some("alice"))
    );
    let c1 = &by_content("I like tea");
    assert_eq!((c1["content"].as_str(), c1["kind"].as_str()), (Some("I like tea"), Some("PREFERENCE")));

    // Typed bodies: what the catalogue cannot say (blank names, blank content) is still
    // checked, every problem in one 422, and nothing is reviewed.
    let e = expect_err(
        z.memory().approve_candidate(c0["id"].as_str().unwrap(), json!({"reviewedBy": "", "content": " "})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(e.to_string().contains("reviewedBy") && e.to_string().contains("content"), "{e}");
    let long = "x".repeat(10_001);
    let e = expect_err(z.memory().disable_item("nope", json!({"reason": long})), 422, "VALIDATION_ERROR").await;
    assert!(e.to_string().contains("reason"), "{e}");
    // Approve with edited content; reviewing twice is a 409.
    let approved = z
        .memory()
        .approve_candidate(
            c0["id"].as_str().unwrap(),
            json!({"reviewedBy": "ops", "content": "Favourite colour: green"}),
        )
        .json()
        .await
        .unwrap();
    assert_eq!((approved["status"].as_str(), approved["reviewedBy"].as_str()), (Some("APPROVED"), Some("ops")));
    let item_id = approved["memoryItemId"].as_str().unwrap().to_string();
    let item = z.memory().get_item(&item_id).json().await.unwrap();
    assert_eq!(
        (item["content"].as_str(), item["status"].as_str(), item["candidateId"].as_str()),
        (Some("Favourite colour: green"), Some("ACTIVE"), c0["id"].as_str())
    );
    expect_err(z.memory().approve_candidate(c0["id"].as_str().unwrap(), None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    let rejected =
        z.memory().reject_candidate(c1["id"].as_str().unwrap(), json!({"reason": "not useful"})).json().await.unwrap();
    assert_eq!((rejected["status"].as_str(), rejected["reason"].as_str()), (Some("REJECTED"), Some("not useful")));
    expect_err(z.memory().reject_candidate(c1["id"].as_str().unwrap(), None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    assert_eq!(z.memory().list_candidates(json!({"agentId": agent_id})).json().await.unwrap()["total"], 0);
    assert_eq!(z.memory().list_candidates(json!({"status": "APPROVED"})).json().await.unwrap()["total"], 1);

    // Auto-approval; bob's memory stays bob's.
    let auto = propose(
        &ctx,
        &tenant,
        owner(agent_id, "bob"),
        &user("bob"),
        None,
        proposals(&[("my dog is Rex", "FACT")]),
        true,
    )
    .await
    .unwrap();
    assert_eq!((auto[0].status.as_str(), auto[0].reviewed_by.as_deref()), ("APPROVED", Some("auto")));
    let items = z.memory().list_items(json!({"agentId": agent_id})).json().await.unwrap();
    assert_eq!(items["total"], 2);

    // E89: scored like knowledge over ACTIVE items matching the filters.
    let r = z
        .memory()
        .retrieve(json!({"query": "favourite colour", "agentId": agent_id, "externalUserId": "alice"}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert_eq!(r["items"][0]["id"], json!(item_id));
    // One item alone: both terms tf 1 and len = avglen, so bm25 = Σ idf and the
    // lexical score is 1 / (k1 + 1).
    assert!((r["items"][0]["score"].as_f64().unwrap() - 1.0 / 2.2).abs() < 1e-12);
    let r = z.memory().retrieve(json!({"query": "favourite colour", "externalUserId": "bob"})).json().await.unwrap();
    assert_eq!(r["items"], json!([]));
    expect_err(z.memory().retrieve(json!({"query": "x", "topK": 0})), 422, "VALIDATION_ERROR").await;
    // `limit`, the alias of `topK`, is checked alike.
    let e = expect_err(z.memory().retrieve(json!({"query": "x", "limit": "two"})), 422, "VALIDATION_ERROR").await;
    assert!(e.to_string().contains("limit"), "{e}");
    expect_err(z.memory().retrieve(json!({"query": "x", "limit": 51})), 422, "VALIDATION_ERROR").await;

    // Disable (idempotent) keeps it out of retrieval; delete removes it for good.
    let d = z.memory().disable_item(&item_id, json!({"reason": "stale"})).json().await.unwrap();
    assert_eq!((d["status"].as_str(), d["disableReason"].as_str()), (Some("DISABLED"), Some("stale")));
    let d2 = z.memory().disable_item(&item_id, None).json().await.unwrap();
    assert_eq!(d2["disabledAt"], d["disabledAt"]);
    let r = z.memory().retrieve(json!({"query": "favourite colour", "externalUserId": "alice"})).json().await.unwrap();
    assert_eq!(r["items"], json!([]));
    let del = z.memory().delete_item(&item_id, json!({"reason": "user asked"})).json().await.unwrap();
    assert_eq!(del, json!({"id": item_id, "deleted": true}));
    expect_err(z.memory().get_item(&item_id), 404, "NOT_FOUND").await;
    let mut conn = ctx.db.read().await.unwrap();
    assert_eq!(zaby_server::testing::count_deletions(&mut conn, &item_id).await.unwrap(), 1);
    let (_, key) = s.second_tenant().await;
    let other = s.zaby_with_key(&key);
    let bob_item =
        z.memory().list_items(json!({"externalUserId": "bob"})).json().await.unwrap()["items"][0]["id"].clone();
    expect_err(other.memory().get_item(bob_item.as_str().unwrap()), 404, "NOT_FOUND").await;
}

async fn attach_and_run_retrieval(s: TestServer) {
    let z = s.zaby();
    let tenant = s.default_tenant().await;
    let agent = z.agents().create(json!({"slug": "kbagent", "name": "KB agent"})).json().await.unwrap();
    let agent_id = agent["id"].as_str().unwrap();
    let kb_a = new_kb(&z, "Alpha Docs").await;
    let kb_b = new_kb(&z, "Beta Docs").await;
    let prof_b = z
        .knowledge_bases()
        .create_profile(&kb_b, json!({"name": "one", "config": {"maxChunks": 1}}))
        .json()
        .await
        .unwrap();
    // Attachment defaults and the profile rule.
    let att = z.agents().attach_knowledge_base(agent_id, json!({"knowledgeBaseId": kb_a})).json().await.unwrap();
    assert_eq!(
        (att["key"].as_str(), att["name"].as_str(), att["enabled"].as_bool()),
        (Some("alpha-docs"), Some("Alpha Docs"), Some(true))
    );
    let e = expect_err(
        z.agents()
            .attach_knowledge_base(agent_id, json!({"knowledgeBaseId": kb_a, "knowledgeProfileId": prof_b["id"]})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(e.to_string().contains("knowledgeProfileId"), "{e}");
    z.agents()
        .attach_knowledge_base(agent_id, json!({"knowledgeBaseId": kb_b, "knowledgeProfileId": prof_b["id"]}))
        .json()
        .await
        .unwrap();
    let (_, key) = s.second_tenant().await;
    expect_err(s.zaby_with_key(&key).knowledge_bases().retrieve(&kb_a, json!({"query": "x"})), 404, "NOT_FOUND").await;

    for i in 0..4 {
        ingest(&z, &kb_a, json!({"content": format!("Shipping note {i}: parcels ship daily.")})).await;
        ingest(&z, &kb_b, json!({"content": format!("Shipping rule {i}: parcels ship weekly.")})).await;
    }
    let agent = z.agents().get(agent_id).json().await.unwrap();
    let atts: Vec<Value> = agent["knowledgeBases"].as_array().unwrap().clone();
    assert_eq!(atts.len(), 2);
    let ctx = s.ctx().clone();
    let rk = zaby_server::testing::KnowledgeForRuns::new(Arc::downgrade(&ctx));
    let scope = RunScope {
        tenant_id: tenant.clone(),
        agent_id: agent_id.to_string(),
        run_id: "run-1".into(),
        deployment_id: None,
        session_id: "sess".into(),
        is_test_run: false,
        end_user: Some(user("carol")),
        mcp_bearer: None,
    };
    // 4 chunks from A (default topK 5) + 1 from B (maxChunks 1), merged and cut to 5.
    let passages = rk.retrieve(&scope, &atts, "parcels ship").await.unwrap();
    assert_eq!(passages.len(), 5);
    assert!(passages.iter().all(|p| p.kind == "chunk"));
    let from_b = passages.iter().filter(|p| p.content.contains("weekly")).count();
    assert_eq!(from_b, 1);
    assert!(passages.windows(2).all(|w| w[0].score >= w[1].score));
    // A disabled attachment is skipped.
    let mut off = atts.clone();
    off[0]["enabled"] = json!(false);
    let passages = rk.retrieve(&scope, &off, "parcels ship").await.unwrap();
    assert_eq!(passages.len(), 1);

    // Memory: proposed through the seam (auto-approved by config), retrieved for the
    // same end user only, after the chunks.
    rk.propose_memory(
        &scope,
        &json!({"memory": {"autoApprove": true}}),
        vec![("my parcels ship to Berlin".into(), "FACT".into())],
    )
    .await
    .unwrap();
    rk.propose_memory(&scope, &json!({}), vec![("my parcels ship to Berlin".into(), "FACT".into())]).await.unwrap();
    assert_eq!(z.memory().list_items(json!({"externalUserId": "carol"})).json().await.unwrap()["total"], 1);
    assert_eq!(z.memory().list_candidates(json!({"externalUserId": "carol"})).json().await.unwrap()["total"], 0);
    let passages = rk.retrieve(&scope, &atts, "parcels ship Berlin").await.unwrap();
    assert_eq!(passages.len(), 6);
    assert_eq!(passages[5].kind, "memory");
    assert_eq!(passages[5].content, "my parcels ship to Berlin");
    let mut dave = scope.clone();
    dave.end_user = Some(user("dave"));
    assert!(rk.retrieve(&dave, &atts, "Berlin").await.unwrap().is_empty());

    // The built-in MCP server's kb_search goes through the same retrieval.
    let found = zaby_server::testing::kb_search(
        &ctx,
        &tenant,
        zaby_mcp::builtin::KbSearchRequest { knowledge_base_id: kb_a.clone(), query: "parcels daily".into(), top_k: 2 },
    )
    .await
    .unwrap();
    assert_eq!(found["items"].as_array().unwrap().len(), 2);
    let missing = zaby_server::testing::kb_search(
        &ctx,
        "other-tenant",
        zaby_mcp::builtin::KbSearchRequest { knowledge_base_id: kb_a.clone(), query: "parcels".into(), top_k: 2 },
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code, "NOT_FOUND");
}

/// "remember that …" in a run → candidate → approve → a later run of the same end
/// user retrieves it; another end user does not; delete removes it from retrieval.
async fn memory_through_runs(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "memrun", json!({}), json!({})).await;
    let token = |u: &'static str| {
        let z = z.clone();
        let body = st.mint(json!({"externalUserId": u}));
        async move { z.runtime_tokens().create(body).json().await.unwrap()["token"].as_str().unwrap().to_string() }
    };
    let green = s.runtime(&token("u-green").await);
    let other = s.runtime(&token("u-other").await);
    let r = green.runs().start(json!({"input": "remember that my favourite colour is green"})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED");
    let cand = eventually("memory candidate", || async {
        let c = z.memory().list_candidates(json!({"externalUserId": "u-green"})).json().await.unwrap();
        (c["total"] == 1).then(|| c["items"][0].clone())
    })
    .await;
    assert_eq!(
        (cand["content"].as_str(), cand["runId"].as_str()),
        (Some("my favourite colour is green"), r["runId"].as_str())
    );
    assert_eq!(cand["agentId"], st.deployed.agent["id"]);
    let approved = z.memory().approve_candidate(cand["id"].as_str().unwrap(), None).json().await.unwrap();
    let item_id = approved["memoryItemId"].as_str().unwrap().to_string();

    let later = green.runs().start(json!({"input": "what is my favourite colour?"})).json().await.unwrap();
    assert_eq!(later["finalOutput"], "From memory: my favourite colour is green");
    let elsewhere = other.runs().start(json!({"input": "what is my favourite colour?"})).json().await.unwrap();
    assert_eq!(elsewhere["finalOutput"], "You said: what is my favourite colour?");

    z.memory().delete_item(&item_id, json!({"reason": "forget me"})).json().await.unwrap();
    let after = green.runs().start(json!({"input": "what is my favourite colour?"})).json().await.unwrap();
    assert_eq!(after["finalOutput"], "You said: what is my favourite colour?");
    assert_eq!(z.memory().list_items(json!({"externalUserId": "u-green"})).json().await.unwrap()["total"], 0);
}
