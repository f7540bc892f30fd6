//! Runs, streams, approvals, feedback and agent usage: the runtime routes E119–E125 and
//! the provisioning side E28, E37–E40.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::json;
use zaby::RunEvent;
use zaby::types::{
    AgentInput, AgentRunInput, Approval, ApprovalDecisionInput, ApprovalMode, ApprovalStatus, AttachMcpToolInput,
    BindDeploymentInput, CancelRunInput, DeployInput, E37Query, E40Query, FeedbackInput, FeedbackSource, ListQuery,
    RunStartInput, RunStartStatus, RunStatus,
};

use crate::support::{
    Ctx, app_token, builtin_tool, eventually, expect_err, finished, finished_run, names, object, stream_all,
};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let (installation, sum) = builtin_tool(z, "sum").await?;
    // An agent whose `add` rule calls the built-in `sum` behind a manual approval.
    let input = AgentInput {
        slug: ctx.slug("runner"),
        name: "Runner".into(),
        config: Some(object(json!({ "localModel": { "rules": [
            { "match": "add", "toolName": "sum", "arguments": { "numbers": [30, 5] } }
        ] } }))),
        ..Default::default()
    };
    let agent = z.agents().create(input).await?;
    let agent_id = agent.id.clone();
    let manual = AttachMcpToolInput {
        tenant_installation_id: Some(installation),
        tool_definition_id: Some(sum),
        approval_mode: Some(ApprovalMode::Manual),
        ..Default::default()
    };
    z.agents().attach_mcp_tool(&agent_id, manual).await?;
    let version = z.agents().publish(&agent_id).await?;
    let deploy = DeployInput { agent_version_id: version.id, ..Default::default() };
    let deployment_id = z.agents().deploy(&agent_id, deploy).await?.id;
    crate::support::wait_active(z, &deployment_id).await;
    let approvals = BindDeploymentInput { allow_approvals: Some(true), ..Default::default() };
    let granted = app_token(&ctx, &deployment_id, approvals, "shopper-1").await?;
    let rt = ctx.runtime(&granted.token.token);

    // E119 + E121 + E123: the stream shows the tool call, waits for the approval given
    // by the end user, and finishes with the tool's result.
    let start = RunStartInput {
        input: json!({ "message": "please add my orders" }),
        respond_async: Some(true),
        ..Default::default()
    };
    let started = rt.runs().start(start).await?;
    assert_eq!(started.status, RunStartStatus::Pending);
    assert_eq!(started.external_app_id, Some(granted.app_id.clone()));
    let run_id = started.run_id.clone();
    let events = stream_all(&rt, &run_id, |approval_id| {
        let (rt, run_id) = (rt.clone(), run_id.clone());
        async move {
            let fine = ApprovalDecisionInput { reason: Some("fine".into()), ..Default::default() };
            let decided = rt.approvals().approve(&run_id, &approval_id, fine).await?;
            assert_eq!((decided.status, decided.decided_by.as_deref()), (ApprovalStatus::Approved, Some("runtime")));
            Ok(())
        }
    })
    .await?;
    let seen = names(&events);
    let expected_prefix = ["RunStarted", "tool_call", "approval_required", "tool_result"];
    assert_eq!(seen[..4], expected_prefix, "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("RunFinished"), "{seen:?}");
    assert_eq!(finished(&events).final_output.as_deref(), Some("Tool sum returned: {\"sum\":35}"));
    let RunEvent::ToolResult { data: result, .. } = &events[3] else { panic!("{:?}", events[3]) };
    // A tool's result is whatever the tool answered: free-form JSON.
    assert_eq!(result.result, json!({ "sum": 35 }));

    // E120: the stored events are the streamed ones, in seq order.
    let page = rt.runs().events(&run_id, ListQuery { limit: Some(500), ..Default::default() }).await?;
    let stored: Vec<&str> = page.items.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(stored, seen.iter().map(String::as_str).collect::<Vec<_>>());
    let ids: Vec<Option<&str>> = events.iter().map(|e| e.id()).collect();
    let stored_ids: Vec<Option<&str>> = page.items.iter().map(|e| Some(e.id.as_str())).collect();
    assert_eq!(ids, stored_ids, "SSE ids are the stored seqs");
    let mut iter = rt.runs().iter_events(&run_id, ListQuery { limit: Some(2), ..Default::default() });
    let mut count = 0;
    while let Some(e) = iter.next().await {
        e?;
        count += 1;
    }
    assert_eq!(count, stored.len());

    // E125: the end user's feedback.
    let spot_on = FeedbackInput { rating: Some(5), comment: Some("spot on".into()), ..Default::default() };
    let fb = rt.feedback().create(&run_id, spot_on).await?;
    assert_eq!((fb.rating, fb.source), (Some(5), Some(FeedbackSource::Runtime)));
    assert_eq!(fb.run_id, Some(run_id.clone()));

    // E124: a rejected approval is fed back to the model as a refused tool call.
    let again = RunStartInput { input: "add again".into(), respond_async: Some(true), ..Default::default() };
    let second_id = rt.runs().start(again).await?.run_id;
    let events = stream_all(&rt, &second_id, |approval_id| {
        let (rt, run_id) = (rt.clone(), second_id.clone());
        async move {
            let not_now = ApprovalDecisionInput { reason: Some("not now".into()), ..Default::default() };
            let decided = rt.approvals().reject(&run_id, &approval_id, not_now).await?;
            assert_eq!(decided.status, ApprovalStatus::Rejected);
            Ok(())
        }
    })
    .await?;
    let result = events
        .iter()
        .find_map(|e| match e {
            RunEvent::ToolResult { data, .. } => Some(data),
            _ => None,
        })
        .expect("a tool_result");
    assert!(result.is_error);
    assert_eq!(
        (result.result["code"].as_str(), result.result["reason"].as_str()),
        (Some("APPROVAL_REJECTED"), Some("not now"))
    );
    assert_eq!(finished(&events).status, "COMPLETED");
    // Deciding twice is a documented conflict.
    let approval_id = events
        .iter()
        .find_map(|e| match e {
            RunEvent::ApprovalRequired { data, .. } => Some(data.approval_id.clone()),
            _ => None,
        })
        .expect("an approval_required");
    let twice =
        expect_err(rt.approvals().approve(&second_id, &approval_id, None), 409, "APPROVAL_ALREADY_DECIDED").await;
    assert!(twice.is("ZabyConflictError"));

    // E122: the end user cancels a slow run.
    let slow = RunStartInput {
        input: json!({ "message": "slow", "simulate": { "delayMs": 2000 } }),
        respond_async: Some(true),
        ..Default::default()
    };
    let slow_id = rt.runs().start(slow).await?.run_id;
    let left = CancelRunInput { reason: Some("left the page".into()), ..Default::default() };
    let cancelled = rt.runs().cancel(&slow_id, left).await?;
    assert_eq!(cancelled.run_id, slow_id);
    assert_eq!(finished_run(z, &slow_id).await.status, RunStatus::Cancelled);

    // E37 + E38: approvals answered with the API key, on a management run.
    let add_it_up = AgentRunInput { input: "add it up".into(), respond_async: Some(true), ..Default::default() };
    let mgmt_id = z.agents().start_run(&agent_id, add_it_up).await?.run_id;
    let pending = wait_pending(z, &mgmt_id).await;
    assert_eq!((pending.tool_name.as_str(), pending.agent_id.as_deref()), ("sum", Some(agent_id.as_str())));
    assert_eq!(pending.arguments, object(json!({ "numbers": [30, 5] })));
    let mut iter = z.approvals().iter(E37Query { run_id: Some(mgmt_id.clone()), ..Default::default() });
    assert_eq!(iter.next().await.expect("the approval")?.id, pending.id);
    let lead = ApprovalDecisionInput { decided_by: Some("ops-lead".into()), ..Default::default() };
    let ok = z.approvals().approve(&mgmt_id, &pending.id, lead).await?;
    assert_eq!((ok.status, ok.decided_by.as_deref()), (ApprovalStatus::Approved, Some("ops-lead")));
    let run = finished_run(z, &mgmt_id).await;
    assert_eq!(run.final_output.as_deref(), Some("Tool sum returned: {\"sum\":35}"));
    let approved =
        E37Query { run_id: Some(mgmt_id.clone()), status: Some(ApprovalStatus::Approved), ..Default::default() };
    let decided = z.approvals().list(approved).await?;
    assert_eq!(decided.total, Some(1));

    // E39: rejected with the API key.
    let add_more = AgentRunInput { input: "add more".into(), respond_async: Some(true), ..Default::default() };
    let mgmt2_id = z.agents().start_run(&agent_id, add_more).await?.run_id;
    let pending = wait_pending(z, &mgmt2_id).await;
    let costly = ApprovalDecisionInput { reason: Some("too costly".into()), ..Default::default() };
    let no = z.approvals().reject(&mgmt2_id, &pending.id, costly).await?;
    assert_eq!((no.status, no.decided_by.as_deref()), (ApprovalStatus::Rejected, Some("api-key")));
    let run = finished_run(z, &mgmt2_id).await;
    assert!(run.final_output.as_deref().unwrap_or_default().contains("APPROVAL_REJECTED"), "{run:?}");

    // E28: feedback with the API key is recorded as PROVISIONING. The word rating
    // ("positive", read as 5) is sent raw: FeedbackInput types `rating` as a number.
    let fb = z.runtime_tokens().record_feedback(&mgmt_id, json!({ "rating": "positive", "label": "helpful" })).await?;
    assert_eq!((fb.rating, fb.source), (Some(5), Some(FeedbackSource::Provisioning)));

    // E40: the agent's usage counts these runs, tool calls, approvals and ratings.
    let usage = z.usage().get_agent_usage(E40Query { agent_id: Some(agent_id.clone()), ..Default::default() }).await?;
    assert_eq!(usage.agent_id, Some(agent_id));
    let t = usage.totals.as_ref().expect("usage totals");
    assert_eq!((t.runs, t.completed_runs, t.cancelled_runs), (5, 4, 1), "{usage:?}");
    assert_eq!((t.tool_calls, t.approvals_requested), (4, 4), "{usage:?}");
    assert_eq!((t.feedback_count, t.average_rating), (2, Some(5.0)), "{usage:?}");
    Ok(())
}

/// The run's pending approval, once the run waits for it (E37).
async fn wait_pending(z: &zaby::Zaby, run_id: &str) -> Approval {
    eventually("an approval to be requested", || async {
        let list = z.approvals().list(E37Query { run_id: Some(run_id.into()), ..Default::default() }).await?;
        Ok(list.items.into_iter().next())
    })
    .await
}
