//! Agents and deployments: E2–E19.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::{Ctx, builtin_tool, expect_err, finished_run, items, s, wait_active};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let slug = ctx.slug("agent");

    // E2: a new agent is a DRAFT; its slug is taken.
    let agent = z.agents().create(json!({ "slug": slug, "name": "Concierge", "category": "SUPPORT" })).json().await?;
    assert_eq!((agent["status"].as_str(), agent["slug"].as_str()), (Some("DRAFT"), Some(slug.as_str())));
    let id = s(&agent, "id").to_string();
    let dup = expect_err(z.agents().create(json!({ "slug": slug, "name": "Other" })), 409, "SLUG_ALREADY_EXISTS").await;
    assert!(dup.is("ZabyConflictError"), "{dup:?}");

    // E3: listed (and through the iterator), found by a substring of its slug.
    let listed = z.agents().list(json!({ "q": slug })).json().await?;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(items(&listed)[0]["id"], agent["id"]);
    let mut iter = z.agents().iter(json!({ "q": slug, "limit": 1 })).json();
    let first = iter.next().await.expect("one agent")?;
    assert_eq!(first["id"], agent["id"]);
    assert!(iter.next().await.is_none());

    // E5 then E4: a partial update changes only what was sent.
    let updated = z.agents().update(&id, json!({ "instructions": "Be brief.", "tags": ["e2e"] })).json().await?;
    assert_eq!(updated["instructions"], "Be brief.");
    let read = z.agents().get(&id).json().await?;
    assert_eq!((read["instructions"].clone(), read["tags"].clone()), (json!("Be brief."), json!(["e2e"])));
    assert_eq!(read["name"], "Concierge");

    // E11, E10, E9: attachments, visible on the agent.
    let skill = z.agents().attach_skill(&id, json!({ "skillId": "summarize" })).json().await?;
    assert_eq!((skill["key"].as_str(), skill["enabled"].as_bool()), (Some("summarize"), Some(true)));
    let kb = z.knowledge_bases().create(json!({ "name": ctx.slug("Agent KB") })).json().await?;
    let kb_att = z.agents().attach_knowledge_base(&id, json!({ "knowledgeBaseId": kb["id"] })).json().await?;
    assert_eq!((kb_att["key"].clone(), kb_att["enabled"].clone()), (kb["slug"].clone(), json!(true)));
    let (installation, sum) = builtin_tool(z, "sum").await?;
    let tool_att = z
        .agents()
        .attach_mcp_tool(
            &id,
            json!({ "tenantInstallationId": installation, "toolDefinitionId": sum, "approvalMode": "AUTO" }),
        )
        .json()
        .await?;
    assert_eq!((tool_att["key"].as_str(), tool_att["approvalMode"].as_str()), (Some("sum"), Some("AUTO")));
    let read = z.agents().get(&id).json().await?;
    assert_eq!(read["skills"][0]["key"], "summarize", "{read}");
    assert_eq!(read["knowledgeBases"][0]["knowledgeBaseId"], kb["id"], "{read}");
    assert_eq!(read["mcpTools"][0]["toolDefinitionId"], json!(sum), "{read}");

    // E12: a test run executes the draft; its tool call is only preflighted.
    let test = z.agents().test_run(&id, json!({ "input": "/tool sum {\"numbers\": [2, 3]}" })).json().await?;
    assert_eq!((test["status"].as_str(), test["deploymentId"].clone()), (Some("COMPLETED"), Value::Null), "{test}");
    let events = z.agents().list_run_events(s(&test, "runId"), None).json().await?;
    let result = items(&events).iter().find(|e| e["event"] == "tool_result").expect("a tool_result").clone();
    let data = &result["data"];
    assert_eq!((data["simulated"].as_bool(), data["isError"].as_bool()), (Some(true), Some(false)), "{data}");
    assert_eq!((data["result"]["allowed"].as_bool(), data["result"]["toolName"].as_str()), (Some(true), Some("sum")));
    assert_eq!(z.agents().get_run_progress(s(&test, "runId")).json().await?["isTestRun"], true);

    // E7: the first publish makes version 1 and the agent ACTIVE; unchanged, it is the same version.
    let v1 = z.agents().publish(&id).json().await?;
    assert_eq!(v1["version"], 1);
    assert_eq!(z.agents().get(&id).json().await?["status"], "ACTIVE");
    assert_eq!(z.agents().publish(&id).json().await?["id"], v1["id"]);

    // E13 needs an active deployment.
    expect_err(z.agents().start_run(&id, json!({ "input": "hi" })), 409, "NO_ACTIVE_DEPLOYMENT").await;
    // E8 (both names of it) → PENDING, then ACTIVE; E19 shows the provisioning.
    // One after the other, so that d2 is the newest by creation and by activation.
    let d1 = z.agents().deploy(&id, json!({ "agentVersionId": v1["id"], "environment": "STAGING" })).json().await?;
    assert_eq!(d1["status"], "PENDING");
    wait_active(z, s(&d1, "id")).await;
    let d2 =
        z.deployments().create(&id, json!({ "agentVersionId": v1["id"], "environment": "PRODUCTION" })).json().await?;
    assert_eq!((d2["status"].as_str(), d2["environment"].as_str()), (Some("PENDING"), Some("PRODUCTION")));
    let prov = wait_active(z, s(&d2, "id")).await;
    assert_eq!((prov["status"].as_str(), prov["agentId"].as_str()), (Some("ACTIVE"), Some(id.as_str())));
    assert_eq!(prov["environment"], "PRODUCTION");
    assert!(s(&prov, "runtimeUrl").starts_with("http"), "{prov}");
    let now = z.agents().get(&id).json().await?;
    assert_eq!(now["activeDeployments"].as_array().map(Vec::len), Some(2), "other environments stay: {now}");

    // E15: a playground token for the newest ACTIVE deployment and a generated user.
    let play = z.agents().playground_runtime_tokens(&id, None).json().await?;
    assert_eq!((play["tokenType"].as_str(), play["externalAppId"].clone()), (Some("Bearer"), Value::Null));
    assert_eq!(play["deploymentId"], d2["id"]);
    // E14: the same with chosen values; the token runs the agent.
    let minted = z
        .agents()
        .playground_runtime_tokens(&id, json!({ "deploymentId": d1["id"], "externalUserId": "tester" }))
        .json()
        .await?;
    assert_eq!(minted["deploymentId"], d1["id"]);
    let rt = ctx.runtime(&minted);
    let rt_run = rt.runs().start(json!({ "input": "ping" })).json().await?;
    assert_eq!(
        (rt_run["status"].as_str(), rt_run["finalOutput"].as_str()),
        (Some("COMPLETED"), Some("You said: ping"))
    );
    assert_eq!(rt_run["deploymentId"], d1["id"]);

    // E13 (synchronous), E16 and E17: the run, its progress and its stored events.
    let run = z.agents().start_run(&id, json!({ "input": { "message": "hello there" } })).json().await?;
    assert_eq!(
        (run["status"].as_str(), run["finalOutput"].as_str()),
        (Some("COMPLETED"), Some("You said: hello there"))
    );
    let run_id = s(&run, "runId").to_string();
    let progress = z.agents().get_run_progress(&run_id).json().await?;
    assert_eq!((progress["status"].as_str(), progress["isTestRun"].as_bool()), (Some("COMPLETED"), Some(false)));
    assert_eq!(progress["deploymentId"], d2["id"], "the newest ACTIVE deployment");
    let page = z.agents().list_run_events(&run_id, json!({ "cursor": "0", "limit": 500 })).json().await?;
    let names: Vec<&str> = items(&page).iter().map(|e| s(e, "event")).collect();
    assert_eq!(names.first(), Some(&"RunStarted"));
    assert_eq!(names.last(), Some(&"RunFinished"));
    assert_eq!(page["total"].as_u64(), Some(names.len() as u64));
    let mut all = z.agents().iter_run_events(&run_id, json!({ "limit": 1 })).json();
    let mut seqs = Vec::new();
    while let Some(e) = all.next().await {
        seqs.push(e?["seq"].as_u64().unwrap());
    }
    assert_eq!(seqs, (1..=names.len() as u64).collect::<Vec<_>>(), "pages of one, in order");

    // E18: a slow run is cancelled and ends CANCELLED.
    let slow = z
        .agents()
        .start_run(
            &id,
            json!({ "input": { "message": "slow", "simulate": { "delayMs": 2000 } }, "respondAsync": true }),
        )
        .json()
        .await?;
    let slow_id = s(&slow, "runId").to_string();
    let cancelled = z.agents().cancel_run(&slow_id, json!({ "reason": "changed my mind" })).json().await?;
    assert_eq!(cancelled["runId"].as_str(), Some(slow_id.as_str()));
    let ended = finished_run(z, &slow_id).await;
    assert_eq!(ended["status"], "CANCELLED", "{ended}");

    // E6: deleting needs force while deployments are live; then the agent is gone.
    expect_err(z.agents().delete(&id, None), 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS").await;
    let gone = z.agents().delete(&id, json!({ "force": true })).json().await?;
    assert_eq!(gone, json!({ "id": id, "deleted": true }));
    expect_err(z.agents().get(&id), 404, "NOT_FOUND").await;
    let after = expect_err(z.deployments().get_provisioning(s(&d2, "id")), 409, "DEPLOYMENT_NOT_ACTIVE").await;
    assert_eq!(
        after.api().and_then(|a| a.details.as_ref()).map(|d| d["details"]["status"].clone()),
        Some(json!("INACTIVE"))
    );
    // The run stays readable by id.
    assert_eq!(z.agents().get_run_progress(&run_id).json().await?["status"], "COMPLETED");
    Ok(())
}
