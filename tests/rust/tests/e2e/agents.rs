//! Agents and deployments: E2–E19.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::json;
use zaby::types::{
    AgentCategory, AgentInput, AgentRunInput, AgentStatus, AgentUpdateInput, ApprovalMode, AttachKnowledgeBaseInput,
    AttachMcpToolInput, AttachSkillInput, CancelRunInput, DeployInput, DeploymentEnvironment, DeploymentStatus,
    E3Query, E6Query, KnowledgeBaseInput, ListQuery, PlaygroundRuntimeTokenInput, RunEventName, RunStartInput,
    RunStartStatus, RunStatus,
};

use crate::support::{Ctx, builtin_tool, expect_err, finished_run, wait_active};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let slug = ctx.slug("agent");

    // E2: a new agent is a DRAFT; its slug is taken.
    let input = AgentInput {
        slug: slug.clone(),
        name: "Concierge".into(),
        category: Some(AgentCategory::Support),
        ..Default::default()
    };
    let agent = z.agents().create(input).await?;
    assert_eq!((agent.status, agent.slug.as_str()), (AgentStatus::Draft, slug.as_str()));
    let id = agent.id.clone();
    let other = AgentInput { slug: slug.clone(), name: "Other".into(), ..Default::default() };
    let dup = expect_err(z.agents().create(other), 409, "SLUG_ALREADY_EXISTS").await;
    assert!(dup.is("ZabyConflictError"), "{dup:?}");

    // E3: listed (and through the iterator), found by a substring of its slug.
    let listed = z.agents().list(E3Query { q: Some(slug.clone()), ..Default::default() }).await?;
    assert_eq!(listed.total, Some(1), "{listed:?}");
    assert_eq!(listed.items[0].id, agent.id);
    let mut iter = z.agents().iter(E3Query { q: Some(slug.clone()), limit: Some(1), ..Default::default() });
    let first = iter.next().await.expect("one agent")?;
    assert_eq!(first.id, agent.id);
    assert!(iter.next().await.is_none());

    // E5 then E4: a partial update changes only what was sent.
    let change = AgentUpdateInput {
        instructions: Some(Some("Be brief.".into())),
        tags: Some(vec!["e2e".into()]),
        ..Default::default()
    };
    let updated = z.agents().update(&id, change).await?;
    assert_eq!(updated.instructions.as_deref(), Some("Be brief."));
    let read = z.agents().get(&id).await?;
    assert_eq!((read.instructions.as_deref(), read.tags.clone()), (Some("Be brief."), vec!["e2e".to_string()]));
    assert_eq!(read.name, "Concierge");

    // E11, E10, E9: attachments, visible on the agent.
    let skill =
        z.agents().attach_skill(&id, AttachSkillInput { skill_id: "summarize".into(), ..Default::default() }).await?;
    assert_eq!((skill.key.as_str(), skill.enabled), ("summarize", true));
    let kb =
        z.knowledge_bases().create(KnowledgeBaseInput { name: ctx.slug("Agent KB"), ..Default::default() }).await?;
    let attach_kb = AttachKnowledgeBaseInput { knowledge_base_id: kb.id.clone(), ..Default::default() };
    let kb_att = z.agents().attach_knowledge_base(&id, attach_kb).await?;
    assert_eq!((kb_att.key.as_str(), kb_att.enabled), (kb.slug.as_str(), true));
    let (installation, sum) = builtin_tool(z, "sum").await?;
    let attach_tool = AttachMcpToolInput {
        tenant_installation_id: Some(installation),
        tool_definition_id: Some(sum.clone()),
        approval_mode: Some(ApprovalMode::Auto),
        ..Default::default()
    };
    let tool_att = z.agents().attach_mcp_tool(&id, attach_tool).await?;
    assert_eq!((tool_att.key.as_str(), tool_att.approval_mode), ("sum", ApprovalMode::Auto));
    let read = z.agents().get(&id).await?;
    assert_eq!(read.skills.as_deref().unwrap_or_default()[0].key, "summarize", "{read:?}");
    assert_eq!(read.knowledge_bases.as_deref().unwrap_or_default()[0].knowledge_base_id, kb.id, "{read:?}");
    assert_eq!(read.mcp_tools.as_deref().unwrap_or_default()[0].tool_definition_id, Some(sum), "{read:?}");

    // E12: a test run executes the draft; its tool call is only preflighted.
    let test_input = AgentRunInput { input: "/tool sum {\"numbers\": [2, 3]}".into(), ..Default::default() };
    let test = z.agents().test_run(&id, test_input).await?;
    assert_eq!((test.status, test.deployment_id.clone()), (RunStartStatus::Completed, None), "{test:?}");
    let events = z.agents().list_run_events(&test.run_id, None).await?;
    let result = events.items.iter().find(|e| e.event == RunEventName::ToolResult).expect("a tool_result");
    let data = &result.data;
    assert_eq!((data["simulated"].as_bool(), data["isError"].as_bool()), (Some(true), Some(false)), "{data:?}");
    assert_eq!((data["result"]["allowed"].as_bool(), data["result"]["toolName"].as_str()), (Some(true), Some("sum")));
    assert_eq!(z.agents().get_run_progress(&test.run_id).await?.is_test_run, Some(true));

    // E7: the first publish makes version 1 and the agent ACTIVE; unchanged, it is the same version.
    let v1 = z.agents().publish(&id).await?;
    assert_eq!(v1.version, Some(1));
    assert_eq!(z.agents().get(&id).await?.status, AgentStatus::Active);
    assert_eq!(z.agents().publish(&id).await?.id, v1.id);

    // E13 needs an active deployment.
    let hi = AgentRunInput { input: "hi".into(), ..Default::default() };
    expect_err(z.agents().start_run(&id, hi), 409, "NO_ACTIVE_DEPLOYMENT").await;
    // E8 (both names of it) → PENDING, then ACTIVE; E19 shows the provisioning.
    // One after the other, so that d2 is the newest by creation and by activation.
    let staging = DeployInput {
        agent_version_id: v1.id.clone(),
        environment: Some(DeploymentEnvironment::Staging),
        ..Default::default()
    };
    let d1 = z.agents().deploy(&id, staging).await?;
    assert_eq!(d1.status, DeploymentStatus::Pending);
    wait_active(z, &d1.id).await;
    let production = DeployInput {
        agent_version_id: v1.id.clone(),
        environment: Some(DeploymentEnvironment::Production),
        ..Default::default()
    };
    let d2 = z.deployments().create(&id, production).await?;
    assert_eq!((d2.status, d2.environment), (DeploymentStatus::Pending, DeploymentEnvironment::Production));
    let prov = wait_active(z, &d2.id).await;
    assert_eq!((prov.status.as_deref(), prov.agent_id.as_deref()), (Some("ACTIVE"), Some(id.as_str())));
    assert_eq!(prov.environment, Some(DeploymentEnvironment::Production));
    assert!(prov.runtime_url.as_deref().is_some_and(|u| u.starts_with("http")), "{prov:?}");
    let now = z.agents().get(&id).await?;
    assert_eq!(now.active_deployments.len(), 2, "other environments stay: {now:?}");

    // E15: a playground token for the newest ACTIVE deployment and a generated user.
    let play = z.agents().playground_runtime_tokens(&id, None).await?;
    assert_eq!((play.token_type.as_str(), play.external_app_id.clone()), ("Bearer", None));
    assert_eq!(play.deployment_id, d2.id);
    // E14: the same with chosen values; the token runs the agent.
    let chosen = PlaygroundRuntimeTokenInput {
        deployment_id: d1.id.clone(),
        external_user_id: Some("tester".into()),
        ..Default::default()
    };
    let minted = z.agents().playground_runtime_tokens(&id, chosen).await?;
    assert_eq!(minted.deployment_id, d1.id);
    let rt = ctx.runtime(&minted.token);
    let rt_run = rt.runs().start(RunStartInput { input: "ping".into(), ..Default::default() }).await?;
    assert_eq!((rt_run.status, rt_run.final_output.as_deref()), (RunStartStatus::Completed, Some("You said: ping")));
    assert_eq!(rt_run.deployment_id, Some(d1.id.clone()));

    // E13 (synchronous), E16 and E17: the run, its progress and its stored events.
    // `input` is free-form JSON (a string or an object), so it is written with json!.
    let hello = AgentRunInput { input: json!({ "message": "hello there" }), ..Default::default() };
    let run = z.agents().start_run(&id, hello).await?;
    assert_eq!((run.status, run.final_output.as_deref()), (RunStartStatus::Completed, Some("You said: hello there")));
    let run_id = run.run_id.clone();
    let progress = z.agents().get_run_progress(&run_id).await?;
    assert_eq!((progress.status, progress.is_test_run), (RunStatus::Completed, Some(false)));
    assert_eq!(progress.deployment_id, Some(d2.id.clone()), "the newest ACTIVE deployment");
    let page_query = ListQuery { cursor: Some("0".into()), limit: Some(500) };
    let page = z.agents().list_run_events(&run_id, page_query).await?;
    let names: Vec<RunEventName> = page.items.iter().map(|e| e.event).collect();
    assert_eq!(names.first(), Some(&RunEventName::RunStarted));
    assert_eq!(names.last(), Some(&RunEventName::RunFinished));
    assert_eq!(page.total, names.len() as i64);
    let mut all = z.agents().iter_run_events(&run_id, ListQuery { limit: Some(1), ..Default::default() });
    let mut seqs = Vec::new();
    while let Some(e) = all.next().await {
        seqs.push(e?.seq.expect("a stored event has a seq"));
    }
    assert_eq!(seqs, (1..=names.len() as i64).collect::<Vec<_>>(), "pages of one, in order");

    // E18: a slow run is cancelled and ends CANCELLED.
    let slow_input = AgentRunInput {
        input: json!({ "message": "slow", "simulate": { "delayMs": 2000 } }),
        respond_async: Some(true),
        ..Default::default()
    };
    let slow = z.agents().start_run(&id, slow_input).await?;
    let why = CancelRunInput { reason: Some("changed my mind".into()), ..Default::default() };
    let cancelled = z.agents().cancel_run(&slow.run_id, why).await?;
    assert_eq!(cancelled.run_id, slow.run_id);
    let ended = finished_run(z, &slow.run_id).await;
    assert_eq!(ended.status, RunStatus::Cancelled, "{ended:?}");

    // E6: deleting needs force while deployments are live; then the agent is gone.
    expect_err(z.agents().delete(&id, None), 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS").await;
    let gone = z.agents().delete(&id, E6Query { force: Some(true), ..Default::default() }).await?;
    assert_eq!((gone.id.as_str(), gone.deleted, gone.extra.len()), (id.as_str(), true, 0), "{gone:?}");
    expect_err(z.agents().get(&id), 404, "NOT_FOUND").await;
    let after = expect_err(z.deployments().get_provisioning(&d2.id), 409, "DEPLOYMENT_NOT_ACTIVE").await;
    // The error's details are the raw error body; no catalogue type describes them.
    assert_eq!(
        after.api().and_then(|a| a.details.as_ref()).map(|d| d["details"]["status"].clone()),
        Some(json!("INACTIVE"))
    );
    // The run stays readable by id.
    assert_eq!(z.agents().get_run_progress(&run_id).await?.status, RunStatus::Completed);
    Ok(())
}
