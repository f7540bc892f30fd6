//! Tenant routes with a tenant access token issued by `zaby-server tokens
//! issue-tenant` (E98–E118).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::json;

use crate::support::{Ctx, builtin_tool, eventually, expect_err, items, s};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let token = tokio::task::spawn_blocking({
        let ctx = ctx.clone();
        move || ctx.tenant_token("e2e-operator")
    })
    .await
    .expect("join");
    let t = ctx.tenant_client(&token);
    let z = &ctx.zaby;
    // An API key is no tenant credential, and a tenant token no API key.
    expect_err(z.tenant_agents().list(None), 401, "UNAUTHORIZED").await;

    // E99 → E100 → E101 → E98.
    let slug = ctx.slug("tenant-agent");
    let agent = t
        .tenant_agents()
        .create(json!({
            "slug": slug, "name": "Tenant agent",
            "config": { "localModel": { "rules": [
                { "match": "total", "toolName": "sum", "arguments": { "numbers": [4, 5] } }
            ] } },
        }))
        .json()
        .await?;
    assert_eq!(agent["status"], "DRAFT");
    let id = s(&agent, "id").to_string();
    expect_err(t.tenant_agents().create(json!({ "slug": slug, "name": "x" })), 409, "SLUG_ALREADY_EXISTS").await;
    t.tenant_agents().update(&id, json!({ "description": "managed by the tenant" })).json().await?;
    let read = t.tenant_agents().get(&id).json().await?;
    assert_eq!(read["description"], "managed by the tenant");
    // The same agent through the API key: one tenant, two credentials.
    assert_eq!(z.agents().get(&id).json().await?["description"], "managed by the tenant");
    let listed = t.tenant_agents().list(json!({ "q": slug })).json().await?;
    assert_eq!((listed["total"].as_i64(), items(&listed)[0]["id"].as_str()), (Some(1), Some(id.as_str())));
    let mut iter = t.tenant_agents().iter(json!({ "q": slug })).json();
    assert_eq!(iter.next().await.expect("the agent")?["id"], agent["id"]);

    // E116, E115, E114: attachments.
    let skill = t.tenant_agents().attach_skill(&id, json!({ "skillId": "translate", "key": "tr" })).json().await?;
    assert_eq!((skill["key"].as_str(), skill["name"].as_str()), (Some("tr"), Some("translate")));
    let kb = z.knowledge_bases().create(json!({ "name": ctx.slug("Tenant KB") })).json().await?;
    let kb_att = t
        .tenant_agents()
        .attach_knowledge_base(&id, json!({ "knowledgeBaseId": kb["id"], "key": "docs" }))
        .json()
        .await?;
    assert_eq!(kb_att["knowledgeBaseId"], kb["id"]);
    let (installation, sum) = builtin_tool(z, "sum").await?;
    let tool = t
        .tenant_agents()
        .attach_mcp_tool(
            &id,
            json!({ "tenantInstallationId": installation, "toolDefinitionId": sum, "approvalMode": "MANUAL" }),
        )
        .json()
        .await?;
    assert_eq!(tool["approvalMode"], "MANUAL");
    let read = t.tenant_agents().get(&id).json().await?;
    assert_eq!(
        (read["skills"].as_array().map(Vec::len), read["knowledgeBases"][0]["key"].as_str()),
        (Some(1), Some("docs"))
    );

    // E106: a test run of the draft.
    let test = t.tenant_agents().test_run(&id, json!({ "input": "draft check" })).json().await?;
    assert_eq!(
        (test["status"].as_str(), test["finalOutput"].as_str()),
        (Some("COMPLETED"), Some("You said: draft check"))
    );

    // E103 → E104 → E113: publish and deploy.
    let version = t.tenant_agents().publish(&id).json().await?;
    assert_eq!(version["version"], 1);
    let deployment = t
        .tenant_agents()
        .deploy(&id, json!({ "agentVersionId": version["id"], "environment": "PRODUCTION" }))
        .json()
        .await?;
    assert_eq!(deployment["status"], "PENDING");
    let dep_id = s(&deployment, "id").to_string();
    let prov = eventually("the tenant deployment to become ACTIVE", || async {
        match t.tenant_agents().get_deployment_provisioning(&dep_id).json().await {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.code() == Some("DEPLOYMENT_PROVISIONING_NOT_READY") => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    assert_eq!((prov["status"].as_str(), prov["environment"].as_str()), (Some("ACTIVE"), Some("PRODUCTION")));

    // E107 (synchronous) → E109 → E110.
    let run = t.tenant_agents().start_run(&id, json!({ "input": "hello tenant" })).json().await?;
    assert_eq!((run["status"].as_str(), run["deploymentId"].as_str()), (Some("COMPLETED"), Some(dep_id.as_str())));
    let run_id = s(&run, "runId").to_string();
    let progress = t.tenant_agents().get_run_progress(&run_id).json().await?;
    assert_eq!(progress["finalOutput"], "You said: hello tenant");
    let page = t.tenant_agents().list_run_events(&run_id, None).json().await?;
    assert_eq!(items(&page).last().map(|e| s(e, "event")), Some("RunFinished"));
    let mut iter = t.tenant_agents().iter_run_events(&run_id, json!({ "limit": 2 })).json();
    let mut n = 0u64;
    while let Some(e) = iter.next().await {
        e?;
        n += 1;
    }
    assert_eq!(Some(n), page["total"].as_u64());

    // E111 / E112: the tool waits for a decision on the tenant route.
    let approved = decide(&t, &id, "total please", true).await?;
    assert_eq!(approved["finalOutput"], "Tool sum returned: {\"sum\":9}");
    let rejected = decide(&t, &id, "total again", false).await?;
    assert!(s(&rejected, "finalOutput").contains("APPROVAL_REJECTED"), "{rejected}");

    // E108: the agent's runs (the test run included).
    let runs = t.tenant_agents().list_runs(&id, None).json().await?;
    assert_eq!(runs["total"], 4, "{runs}");
    let mut iter = t.tenant_agents().iter_runs(&id, json!({ "status": "COMPLETED", "limit": 1 })).json();
    let mut completed = 0;
    while let Some(r) = iter.next().await {
        assert_eq!(r?["status"], "COMPLETED");
        completed += 1;
    }
    assert_eq!(completed, 4);

    // E117: external apps of the tenant, seen with the tenant token.
    let app_slug = ctx.slug("tenant-app");
    let app = z.external_apps().create(json!({ "name": "Tenant app", "slug": app_slug })).json().await?;
    z.external_apps().bind_deployment(s(&app, "id"), json!({ "deploymentId": dep_id })).json().await?;
    let apps = t.tenant_agents().list_external_apps(json!({ "agentId": id })).json().await?;
    assert_eq!((apps["total"].as_i64(), items(&apps)[0]["id"].as_str()), (Some(1), app["id"].as_str()));
    let mut iter = t.tenant_agents().iter_external_apps(json!({ "agentId": id })).json();
    assert_eq!(iter.next().await.expect("the app")?["slug"], json!(app_slug));

    // E118: a playground token minted on the tenant route runs the agent.
    let play = t
        .tenant_agents()
        .mint_playground_runtime_token(&id, json!({ "deploymentId": dep_id, "externalUserId": "tenant-tester" }))
        .json()
        .await?;
    assert_eq!(play["externalAppId"], serde_json::Value::Null);
    let ran = ctx.runtime(&play).runs().start(json!({ "input": "from the playground" })).json().await?;
    assert_eq!(ran["finalOutput"], "You said: from the playground");

    // E105: redeploy takes the latest version and the newest environment.
    let again = t.tenant_agents().redeploy(&id, None).json().await?;
    assert_eq!(
        (again["agentVersionId"].clone(), again["environment"].as_str()),
        (version["id"].clone(), Some("PRODUCTION"))
    );
    assert_ne!(again["id"], deployment["id"]);

    // E102: deleting needs force while deployments are live.
    expect_err(t.tenant_agents().delete(&id, None), 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS").await;
    let gone = t.tenant_agents().delete(&id, json!({ "force": true })).json().await?;
    assert_eq!(gone, json!({ "id": id, "deleted": true }));
    expect_err(t.tenant_agents().get(&id), 404, "NOT_FOUND").await;
    Ok(())
}

/// Starts a run whose rule calls `sum`, decides its approval on the tenant route, and
/// returns the finished run.
async fn decide(t: &zaby::Zaby, agent_id: &str, input: &str, approve: bool) -> zaby::Result<serde_json::Value> {
    let run = t.tenant_agents().start_run(agent_id, json!({ "input": input })).json().await?;
    // The synchronous start answers once the run waits for the approval.
    assert_eq!(run["status"], "WAITING_FOR_APPROVAL", "{run}");
    let run_id = s(&run, "runId").to_string();
    let progress = t.tenant_agents().get_run_progress(&run_id).json().await?;
    let approval_id = s(&progress["pendingApproval"], "id").to_string();
    let decision = json!({ "reason": "tenant review", "decidedBy": "operator" });
    let decided = if approve {
        t.tenant_agents().approve_run_approval(&run_id, &approval_id, decision).json().await?
    } else {
        t.tenant_agents().reject_run_approval(&run_id, &approval_id, decision).json().await?
    };
    assert_eq!(decided["status"], if approve { "APPROVED" } else { "REJECTED" });
    assert_eq!(decided["decidedBy"], "operator");
    let finished = eventually("the run to end", || async {
        let r = t.tenant_agents().get_run_progress(&run_id).json().await?;
        Ok((r["status"] == "COMPLETED").then_some(r))
    })
    .await;
    Ok(finished)
}
