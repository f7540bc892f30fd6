//! Runs, streams, approvals, feedback and agent usage: the runtime routes E119–E125 and
//! the provisioning side E28, E37–E40.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};
use zaby::RunEvent;

use crate::support::{
    Ctx, app_token, builtin_tool, eventually, expect_err, finished, finished_run, items, names, s, stream_all,
};

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let (installation, sum) = builtin_tool(z, "sum").await?;
    // An agent whose `add` rule calls the built-in `sum` behind a manual approval.
    let slug = ctx.slug("runner");
    let agent = z
        .agents()
        .create(json!({
            "slug": slug, "name": "Runner",
            "config": { "localModel": { "rules": [
                { "match": "add", "toolName": "sum", "arguments": { "numbers": [30, 5] } }
            ] } },
        }))
        .json()
        .await?;
    let agent_id = s(&agent, "id").to_string();
    z.agents()
        .attach_mcp_tool(
            &agent_id,
            json!({ "tenantInstallationId": installation, "toolDefinitionId": sum, "approvalMode": "MANUAL" }),
        )
        .json()
        .await?;
    let version = z.agents().publish(&agent_id).json().await?;
    let deployment = z.agents().deploy(&agent_id, json!({ "agentVersionId": version["id"] })).json().await?;
    let deployment_id = s(&deployment, "id").to_string();
    crate::support::wait_active(z, &deployment_id).await;
    let granted = app_token(&ctx, &deployment_id, json!({ "allowApprovals": true }), "shopper-1").await?;
    let rt = ctx.runtime(&granted.token);

    // E119 + E121 + E123: the stream shows the tool call, waits for the approval given
    // by the end user, and finishes with the tool's result.
    let started =
        rt.runs().start(json!({ "input": { "message": "please add my orders" }, "respondAsync": true })).json().await?;
    assert_eq!(started["status"], "PENDING");
    assert_eq!(started["externalAppId"], json!(granted.app_id));
    let run_id = s(&started, "runId").to_string();
    let events = stream_all(&rt, &run_id, |approval_id| {
        let (rt, run_id) = (rt.clone(), run_id.clone());
        async move {
            let decided = rt.approvals().approve(&run_id, &approval_id, json!({ "reason": "fine" })).json().await?;
            assert_eq!(
                (decided["status"].as_str(), decided["decidedBy"].as_str()),
                (Some("APPROVED"), Some("runtime"))
            );
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
    assert_eq!(result.result, json!({ "sum": 35 }));

    // E120: the stored events are the streamed ones, in seq order.
    let page = rt.runs().events(&run_id, json!({ "limit": 500 })).json().await?;
    let stored: Vec<&str> = items(&page).iter().map(|e| s(e, "event")).collect();
    assert_eq!(stored, seen.iter().map(String::as_str).collect::<Vec<_>>());
    let ids: Vec<Option<String>> = events.iter().map(|e| e.id().map(str::to_owned)).collect();
    let stored_ids: Vec<Option<String>> = items(&page).iter().map(|e| e["id"].as_str().map(str::to_string)).collect();
    assert_eq!(ids, stored_ids, "SSE ids are the stored seqs");
    let mut iter = rt.runs().iter_events(&run_id, json!({ "limit": 2 })).json();
    let mut count = 0;
    while let Some(e) = iter.next().await {
        e?;
        count += 1;
    }
    assert_eq!(count, stored.len());

    // E125: the end user's feedback.
    let fb = rt.feedback().create(&run_id, json!({ "rating": 5, "comment": "spot on" })).json().await?;
    assert_eq!((fb["rating"].as_i64(), fb["source"].as_str()), (Some(5), Some("RUNTIME")));
    assert_eq!(fb["runId"], json!(run_id));

    // E124: a rejected approval is fed back to the model as a refused tool call.
    let second = rt.runs().start(json!({ "input": "add again", "respondAsync": true })).json().await?;
    let second_id = s(&second, "runId").to_string();
    let events = stream_all(&rt, &second_id, |approval_id| {
        let (rt, run_id) = (rt.clone(), second_id.clone());
        async move {
            let decided = rt.approvals().reject(&run_id, &approval_id, json!({ "reason": "not now" })).json().await?;
            assert_eq!(decided["status"], "REJECTED");
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
        (result.result["code"].clone(), result.result["reason"].clone()),
        (json!("APPROVAL_REJECTED"), json!("not now"))
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
    let slow = rt
        .runs()
        .start(json!({ "input": { "message": "slow", "simulate": { "delayMs": 2000 } }, "respondAsync": true }))
        .json()
        .await?;
    let slow_id = s(&slow, "runId").to_string();
    let cancelled = rt.runs().cancel(&slow_id, json!({ "reason": "left the page" })).json().await?;
    assert_eq!(cancelled["runId"], json!(slow_id));
    assert_eq!(finished_run(z, &slow_id).await["status"], "CANCELLED");

    // E37 + E38: approvals answered with the API key, on a management run.
    let mgmt = z.agents().start_run(&agent_id, json!({ "input": "add it up", "respondAsync": true })).json().await?;
    let mgmt_id = s(&mgmt, "runId").to_string();
    let pending = wait_pending(z, &mgmt_id).await;
    assert_eq!((pending["toolName"].as_str(), pending["agentId"].as_str()), (Some("sum"), Some(agent_id.as_str())));
    assert_eq!(pending["arguments"], json!({ "numbers": [30, 5] }));
    let mut iter = z.approvals().iter(json!({ "runId": mgmt_id })).json();
    assert_eq!(iter.next().await.expect("the approval")?["id"], pending["id"]);
    let ok = z.approvals().approve(&mgmt_id, s(&pending, "id"), json!({ "decidedBy": "ops-lead" })).json().await?;
    assert_eq!((ok["status"].as_str(), ok["decidedBy"].as_str()), (Some("APPROVED"), Some("ops-lead")));
    let run = finished_run(z, &mgmt_id).await;
    assert_eq!(run["finalOutput"], "Tool sum returned: {\"sum\":35}");
    let decided = z.approvals().list(json!({ "runId": mgmt_id, "status": "APPROVED" })).json().await?;
    assert_eq!(decided["total"], 1);

    // E39: rejected with the API key.
    let mgmt2 = z.agents().start_run(&agent_id, json!({ "input": "add more", "respondAsync": true })).json().await?;
    let mgmt2_id = s(&mgmt2, "runId").to_string();
    let pending = wait_pending(z, &mgmt2_id).await;
    let no = z.approvals().reject(&mgmt2_id, s(&pending, "id"), json!({ "reason": "too costly" })).json().await?;
    assert_eq!((no["status"].as_str(), no["decidedBy"].as_str()), (Some("REJECTED"), Some("api-key")));
    let run = finished_run(z, &mgmt2_id).await;
    assert!(s(&run, "finalOutput").contains("APPROVAL_REJECTED"), "{run}");

    // E28: feedback with the API key is recorded as PROVISIONING.
    let fb = z
        .runtime_tokens()
        .record_feedback(&mgmt_id, json!({ "rating": "positive", "label": "helpful" }))
        .json()
        .await?;
    assert_eq!((fb["rating"].as_i64(), fb["source"].as_str()), (Some(5), Some("PROVISIONING")));

    // E40: the agent's usage counts these runs, tool calls, approvals and ratings.
    let usage = z.usage().get_agent_usage(json!({ "agentId": agent_id })).json().await?;
    let t = &usage["totals"];
    assert_eq!(usage["agentId"], json!(agent_id));
    assert_eq!(
        (t["runs"].as_i64(), t["completedRuns"].as_i64(), t["cancelledRuns"].as_i64()),
        (Some(5), Some(4), Some(1)),
        "{usage}"
    );
    assert_eq!((t["toolCalls"].as_i64(), t["approvalsRequested"].as_i64()), (Some(4), Some(4)), "{usage}");
    assert_eq!((t["feedbackCount"].as_i64(), t["averageRating"].as_f64()), (Some(2), Some(5.0)), "{usage}");
    Ok(())
}

/// The run's pending approval, once the run waits for it (E37).
async fn wait_pending(z: &zaby::Zaby, run_id: &str) -> Value {
    eventually("an approval to be requested", || async {
        let list = z.approvals().list(json!({ "runId": run_id })).json().await?;
        Ok(items(&list).first().cloned())
    })
    .await
}
