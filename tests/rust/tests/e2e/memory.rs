//! Memory: candidates proposed by runs with an end user, reviewed into items that
//! later runs use (E85–E92).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::{Ctx, app_token, deployed_agent, eventually, expect_err, items, s};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let dep = deployed_agent(&ctx, "memo", json!({})).await?;
    let user = ctx.slug("mia");
    let rt = ctx.runtime(&app_token(&ctx, &dep.deployment_id, json!({}), &user).await?.token);

    // A completed run with an end user proposes what it was told to remember.
    let run = rt.runs().start(json!({ "input": "remember that my favourite colour is green" })).json().await?;
    assert_eq!(run["status"], "COMPLETED");
    // The candidate whose text starts with `content` (the sentence's end mark may stay).
    let wanted = |content: &'static str| {
        let user = user.clone();
        move || {
            let user = user.clone();
            async move {
                let list = z.memory().list_candidates(json!({ "externalUserId": user })).json().await?;
                Ok(items(&list).iter().find(|c| c["content"].as_str().is_some_and(|c| c.starts_with(content))).cloned())
            }
        }
    };
    // E90
    let candidate = eventually("a memory candidate", wanted("my favourite colour is green")).await;
    assert_eq!((candidate["status"].as_str(), candidate["kind"].as_str()), (Some("PENDING"), Some("FACT")));
    assert_eq!(
        (candidate["runId"].clone(), candidate["agentId"].as_str()),
        (run["runId"].clone(), Some(dep.agent_id.as_str()))
    );
    let mut iter = z.memory().iter_candidates(json!({ "agentId": dep.agent_id })).json();
    assert_eq!(iter.next().await.expect("the candidate")?["id"], candidate["id"]);

    // E91: approved with edited text, it becomes an ACTIVE item (E86); twice is refused.
    let approved = z
        .memory()
        .approve_candidate(
            s(&candidate, "id"),
            json!({ "reviewedBy": "support", "content": "Favourite colour: green" }),
        )
        .json()
        .await?;
    assert_eq!((approved["status"].as_str(), approved["reviewedBy"].as_str()), (Some("APPROVED"), Some("support")));
    let item_id = s(&approved, "memoryItemId").to_string();
    let item = z.memory().get_item(&item_id).json().await?;
    assert_eq!((item["content"].as_str(), item["status"].as_str()), (Some("Favourite colour: green"), Some("ACTIVE")));
    assert_eq!(item["externalUserId"], json!(user));
    let twice =
        expect_err(z.memory().approve_candidate(s(&candidate, "id"), None), 409, "CANDIDATE_ALREADY_REVIEWED").await;
    assert!(twice.is("ZabyConflictError"));

    // E85: listed for the user; E89: retrieved by meaning of the words.
    let listed = z.memory().list_items(json!({ "externalUserId": user })).json().await?;
    assert_eq!((listed["total"].as_i64(), items(&listed)[0]["id"].as_str()), (Some(1), Some(item_id.as_str())));
    let mut iter = z.memory().iter_items(json!({ "agentId": dep.agent_id })).json();
    assert_eq!(iter.next().await.expect("the item")?["id"], json!(item_id));
    let found = z.memory().retrieve(json!({ "query": "favourite colour", "externalUserId": user })).json().await?;
    assert_eq!(items(&found)[0]["id"], json!(item_id));
    assert!(items(&found)[0]["score"].as_f64().unwrap() > 0.0);

    // A later run of the same user answers from memory.
    let later = rt.runs().start(json!({ "input": "what is my favourite colour?" })).json().await?;
    assert_eq!(later["finalOutput"], "From memory: Favourite colour: green");

    // E92: another candidate, rejected.
    rt.runs().start(json!({ "input": "I like long walks." })).json().await?;
    let walks = eventually("a second candidate", wanted("I like long walks")).await;
    assert_eq!(walks["kind"], "PREFERENCE");
    let rejected = z.memory().reject_candidate(s(&walks, "id"), json!({ "reason": "not useful" })).json().await?;
    assert_eq!((rejected["status"].as_str(), rejected["reason"].as_str()), (Some("REJECTED"), Some("not useful")));
    let open = z.memory().list_candidates(json!({ "externalUserId": user })).json().await?;
    assert_eq!(open["total"], 0, "no PENDING candidate is left: {open}");

    // E87: disabled (idempotently), the item leaves retrieval; E88 deletes it for good.
    let disabled = z.memory().disable_item(&item_id, json!({ "reason": "stale" })).json().await?;
    assert_eq!((disabled["status"].as_str(), disabled["disableReason"].as_str()), (Some("DISABLED"), Some("stale")));
    assert_eq!(z.memory().disable_item(&item_id, None).json().await?["disabledAt"], disabled["disabledAt"]);
    let found = z.memory().retrieve(json!({ "query": "favourite colour", "externalUserId": user })).json().await?;
    assert_eq!(found["items"], json!([]));
    let deleted = z.memory().delete_item(&item_id, json!({ "reason": "user asked" })).json().await?;
    assert_eq!(deleted, json!({ "id": item_id, "deleted": true }));
    let gone = expect_err(z.memory().get_item(&item_id), 404, "NOT_FOUND").await;
    assert!(gone.is("ZabyNotFoundError"));
    let after = rt.runs().start(json!({ "input": "what is my favourite colour?" })).json().await?;
    assert_eq!(after["finalOutput"], Value::String("You said: what is my favourite colour?".into()));
    Ok(())
}
