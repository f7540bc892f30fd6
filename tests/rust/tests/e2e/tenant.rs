//! Tenant routes with a tenant access token issued by `zaby-server tokens
//! issue-tenant` (E98–E118).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::json;
use zaby::types::{
    AgentInput, AgentRunInput, AgentStatus, AgentUpdateInput, ApprovalDecisionInput, ApprovalMode, ApprovalStatus,
    AttachKnowledgeBaseInput, AttachMcpToolInput, AttachSkillInput, BindDeploymentInput, DeployInput,
    DeploymentEnvironment, DeploymentStatus, E98Query, E102Query, E108Query, E117Query, ExternalAppInput,
    KnowledgeBaseInput, ListQuery, PlaygroundRuntimeTokenInput, Run, RunEventName, RunStartInput, RunStartStatus,
    RunStatus,
};

use crate::support::{Ctx, builtin_tool, eventually, expect_err, object};

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
    let input = AgentInput {
        slug: slug.clone(),
        name: "Tenant agent".into(),
        config: Some(object(json!({ "localModel": { "rules": [
            { "match": "total", "toolName": "sum", "arguments": { "numbers": [4, 5] } }
        ] } }))),
        ..Default::default()
    };
    let agent = t.tenant_agents().create(input).await?;
    assert_eq!(agent.status, AgentStatus::Draft);
    let id = agent.id.clone();
    let taken = AgentInput { slug: slug.clone(), name: "x".into(), ..Default::default() };
    expect_err(t.tenant_agents().create(taken), 409, "SLUG_ALREADY_EXISTS").await;
    let describe = AgentUpdateInput { description: Some(Some("managed by the tenant".into())), ..Default::default() };
    t.tenant_agents().update(&id, describe).await?;
    let read = t.tenant_agents().get(&id).await?;
    assert_eq!(read.description.as_deref(), Some("managed by the tenant"));
    // The same agent through the API key: one tenant, two credentials.
    assert_eq!(z.agents().get(&id).await?.description.as_deref(), Some("managed by the tenant"));
    let by_slug = E98Query { q: Some(slug.clone()), ..Default::default() };
    let listed = t.tenant_agents().list(by_slug.clone()).await?;
    assert_eq!((listed.total, listed.items[0].id.as_str()), (Some(1), id.as_str()));
    let mut iter = t.tenant_agents().iter(by_slug);
    assert_eq!(iter.next().await.expect("the agent")?.id, agent.id);

    // E116, E115, E114: attachments.
    let translate = AttachSkillInput { skill_id: "translate".into(), key: Some("tr".into()), ..Default::default() };
    let skill = t.tenant_agents().attach_skill(&id, translate).await?;
    assert_eq!((skill.key.as_str(), skill.name.as_str()), ("tr", "translate"));
    let kb =
        z.knowledge_bases().create(KnowledgeBaseInput { name: ctx.slug("Tenant KB"), ..Default::default() }).await?;
    let docs =
        AttachKnowledgeBaseInput { knowledge_base_id: kb.id.clone(), key: Some("docs".into()), ..Default::default() };
    let kb_att = t.tenant_agents().attach_knowledge_base(&id, docs).await?;
    assert_eq!(kb_att.knowledge_base_id, kb.id);
    let (installation, sum) = builtin_tool(z, "sum").await?;
    let manual = AttachMcpToolInput {
        tenant_installation_id: Some(installation),
        tool_definition_id: Some(sum),
        approval_mode: Some(ApprovalMode::Manual),
        ..Default::default()
    };
    let tool = t.tenant_agents().attach_mcp_tool(&id, manual).await?;
    assert_eq!(tool.approval_mode, ApprovalMode::Manual);
    let read = t.tenant_agents().get(&id).await?;
    let kb_keys: Vec<&str> = read.knowledge_bases.iter().flatten().map(|k| k.key.as_str()).collect();
    assert_eq!((read.skills.as_ref().map(Vec::len), kb_keys.first().copied()), (Some(1), Some("docs")));

    // E106: a test run of the draft.
    let draft_check = AgentRunInput { input: "draft check".into(), ..Default::default() };
    let test = t.tenant_agents().test_run(&id, draft_check).await?;
    assert_eq!((test.status, test.final_output.as_deref()), (RunStartStatus::Completed, Some("You said: draft check")));

    // E103 → E104 → E113: publish and deploy.
    let version = t.tenant_agents().publish(&id).await?;
    assert_eq!(version.version, Some(1));
    let production = DeployInput {
        agent_version_id: version.id.clone(),
        environment: Some(DeploymentEnvironment::Production),
        ..Default::default()
    };
    let deployment = t.tenant_agents().deploy(&id, production).await?;
    assert_eq!(deployment.status, DeploymentStatus::Pending);
    let dep_id = deployment.id.clone();
    let prov = eventually("the tenant deployment to become ACTIVE", || async {
        match t.tenant_agents().get_deployment_provisioning(&dep_id).await {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.code() == Some("DEPLOYMENT_PROVISIONING_NOT_READY") => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    assert_eq!((prov.status.as_deref(), prov.environment), (Some("ACTIVE"), Some(DeploymentEnvironment::Production)));

    // E107 (synchronous) → E109 → E110.
    let hello = AgentRunInput { input: "hello tenant".into(), ..Default::default() };
    let run = t.tenant_agents().start_run(&id, hello).await?;
    assert_eq!((run.status, run.deployment_id.as_deref()), (RunStartStatus::Completed, Some(dep_id.as_str())));
    let run_id = run.run_id.clone();
    let progress = t.tenant_agents().get_run_progress(&run_id).await?;
    assert_eq!(progress.final_output.as_deref(), Some("You said: hello tenant"));
    let page = t.tenant_agents().list_run_events(&run_id, None).await?;
    assert_eq!(page.items.last().map(|e| e.event), Some(RunEventName::RunFinished));
    let mut iter = t.tenant_agents().iter_run_events(&run_id, ListQuery { limit: Some(2), ..Default::default() });
    let mut n = 0i64;
    while let Some(e) = iter.next().await {
        e?;
        n += 1;
    }
    assert_eq!(n, page.total);

    // E111 / E112: the tool waits for a decision on the tenant route.
    let approved = decide(&t, &id, "total please", true).await?;
    assert_eq!(approved.final_output.as_deref(), Some("Tool sum returned: {\"sum\":9}"));
    let rejected = decide(&t, &id, "total again", false).await?;
    assert!(rejected.final_output.as_deref().unwrap_or_default().contains("APPROVAL_REJECTED"), "{rejected:?}");

    // E108: the agent's runs (the test run included).
    let runs = t.tenant_agents().list_runs(&id, None).await?;
    assert_eq!(runs.total, Some(4), "{runs:?}");
    let completed_runs = E108Query { status: Some(RunStatus::Completed), limit: Some(1), ..Default::default() };
    let mut iter = t.tenant_agents().iter_runs(&id, completed_runs);
    let mut completed = 0;
    while let Some(r) = iter.next().await {
        assert_eq!(r?.status, RunStatus::Completed);
        completed += 1;
    }
    assert_eq!(completed, 4);

    // E117: external apps of the tenant, seen with the tenant token.
    let app_slug = ctx.slug("tenant-app");
    let app_input = ExternalAppInput { name: "Tenant app".into(), slug: app_slug.clone(), ..Default::default() };
    let app = z.external_apps().create(app_input).await?;
    let bind = BindDeploymentInput { deployment_id: dep_id.clone(), ..Default::default() };
    z.external_apps().bind_deployment(&app.id, bind).await?;
    let of_agent = E117Query { agent_id: Some(id.clone()), ..Default::default() };
    let apps = t.tenant_agents().list_external_apps(of_agent.clone()).await?;
    assert_eq!((apps.total, apps.items[0].id.as_str()), (Some(1), app.id.as_str()));
    let mut iter = t.tenant_agents().iter_external_apps(of_agent);
    assert_eq!(iter.next().await.expect("the app")?.slug, app_slug);

    // E118: a playground token minted on the tenant route runs the agent.
    let mint = PlaygroundRuntimeTokenInput {
        deployment_id: dep_id.clone(),
        external_user_id: Some("tenant-tester".into()),
        ..Default::default()
    };
    let play = t.tenant_agents().mint_playground_runtime_token(&id, mint).await?;
    assert_eq!(play.external_app_id, None);
    let from_playground = RunStartInput { input: "from the playground".into(), ..Default::default() };
    let ran = ctx.runtime(&play.token).runs().start(from_playground).await?;
    assert_eq!(ran.final_output.as_deref(), Some("You said: from the playground"));

    // E105: redeploy takes the latest version and the newest environment.
    let again = t.tenant_agents().redeploy(&id, None).await?;
    assert_eq!(
        (again.agent_version_id.as_str(), again.environment),
        (version.id.as_str(), DeploymentEnvironment::Production)
    );
    assert_ne!(again.id, deployment.id);

    // E102: deleting needs force while deployments are live.
    expect_err(t.tenant_agents().delete(&id, None), 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS").await;
    let gone = t.tenant_agents().delete(&id, E102Query { force: Some(true), ..Default::default() }).await?;
    assert_eq!((gone.id.as_str(), gone.deleted, gone.extra.len()), (id.as_str(), true, 0), "{gone:?}");
    expect_err(t.tenant_agents().get(&id), 404, "NOT_FOUND").await;
    Ok(())
}

/// Starts a run whose rule calls `sum`, decides its approval on the tenant route, and
/// returns the finished run.
async fn decide(t: &zaby::Zaby, agent_id: &str, input: &str, approve: bool) -> zaby::Result<Run> {
    let start = AgentRunInput { input: input.into(), ..Default::default() };
    let run = t.tenant_agents().start_run(agent_id, start).await?;
    // The synchronous start answers once the run waits for the approval.
    assert_eq!(run.status, RunStartStatus::WaitingForApproval, "{run:?}");
    let run_id = run.run_id.clone();
    let progress = t.tenant_agents().get_run_progress(&run_id).await?;
    let approval_id = progress.pending_approval.expect("a pending approval").id;
    let decision = ApprovalDecisionInput {
        reason: Some("tenant review".into()),
        decided_by: Some("operator".into()),
        ..Default::default()
    };
    let decided = if approve {
        t.tenant_agents().approve_run_approval(&run_id, &approval_id, decision).await?
    } else {
        t.tenant_agents().reject_run_approval(&run_id, &approval_id, decision).await?
    };
    let expected = if approve { ApprovalStatus::Approved } else { ApprovalStatus::Rejected };
    assert_eq!(decided.status, expected);
    assert_eq!(decided.decided_by.as_deref(), Some("operator"));
    let finished = eventually("the run to end", || async {
        let r = t.tenant_agents().get_run_progress(&run_id).await?;
        Ok((r.status == RunStatus::Completed).then_some(r))
    })
    .await;
    Ok(finished)
}
