//! The approval path of runs with the built-in MCP server's `echo` tool
//! (`approvalMode: MANUAL`): pending approvals in progress and lists, runtime
//! decisions and `allowApprovals`, tenant rejection, cancel while waiting, expiry,
//! and the approval signals.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

on_both!(approval_decisions);
on_both!(waiting_runs_hold_a_concurrency_slot);

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// An agent whose `echo` tool needs approval, deployed, with an app bound to it.
pub(crate) async fn echo_setup(z: &zaby::Zaby, slug: &str) -> Setup {
    let inst = z.mcp().list_installations(None).json().await.unwrap()["items"][0].clone();
    let tools = z.mcp().list_installation_tools(id(&inst), None).json().await.unwrap();
    let echo = tools["items"].as_array().unwrap().iter().find(|t| t["name"] == "echo").unwrap().clone();
    let agent = z.agents().create(json!({"slug": slug, "name": slug})).json().await.unwrap();
    z.agents()
        .attach_mcp_tool(
            id(&agent),
            json!({"tenantInstallationId": id(&inst), "toolDefinitionId": id(&echo), "approvalMode": "MANUAL"}),
        )
        .json()
        .await
        .unwrap();
    let version = z.agents().publish(id(&agent)).json().await.unwrap();
    let deployment = z
        .agents()
        .deploy(id(&agent), json!({"agentVersionId": version["id"], "environment": "PRODUCTION"}))
        .json()
        .await
        .unwrap();
    wait_active(z, id(&deployment)).await;
    let app = z.external_apps().create(json!({"name": slug, "slug": format!("{slug}-app")})).json().await.unwrap();
    z.external_apps().bind_deployment(id(&app), json!({"deploymentId": id(&deployment)})).json().await.unwrap();
    let policy = z
        .runtime_token_policies()
        .create(json!({"name": "p", "externalAppId": id(&app), "deploymentId": id(&deployment)}))
        .json()
        .await
        .unwrap();
    Setup { deployed: Deployed { agent, version, deployment }, app, policy }
}

pub(crate) const MESSAGE: &str = r#"/tool echo {"say": "hi"}"#;

/// A run waiting for a human still counts against the policy's `maxConcurrentRuns`;
/// its decision and completion free the slot.
async fn waiting_runs_hold_a_concurrency_slot(s: TestServer) {
    let z = s.zaby();
    let st = echo_setup(&z, "slot").await;
    z.runtime_token_policies().update(st.policy_id(), json!({"maxConcurrentRuns": 1})).json().await.unwrap();
    z.external_apps()
        .bind_deployment(st.app_id(), json!({"deploymentId": st.deployment_id(), "allowApprovals": true}))
        .json()
        .await
        .unwrap();
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-slot"}))).json().await.unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());

    let waiting = rt.runs().start(json!({"input": MESSAGE})).json().await.unwrap();
    assert_eq!(waiting["status"], "WAITING_FOR_APPROVAL", "{waiting}");
    let run_id = waiting["runId"].as_str().unwrap().to_string();
    expect_err(rt.runs().start(json!({"input": "hello"})), 429, "RUNTIME_CONCURRENCY_LIMIT_EXCEEDED").await;

    let pending = z.agents().get_run_progress(&run_id).json().await.unwrap()["pendingApproval"].clone();
    rt.approvals().approve(&run_id, id(&pending), None).json().await.unwrap();
    wait_status(&z, &run_id, "COMPLETED").await;
    let next = rt.runs().start(json!({"input": "hello"})).json().await.unwrap();
    assert_eq!(next["status"], "COMPLETED", "{next}");
}

async fn approval_decisions(s: TestServer) {
    let z = s.zaby();
    let st = echo_setup(&z, "gate").await;
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-gate"}))).json().await.unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());

    // A synchronous start answers as soon as the run waits.
    let r = rt.runs().start(json!({"input": MESSAGE})).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_APPROVAL", "{r}");
    let run_id = r["runId"].as_str().unwrap().to_string();
    let p = z.agents().get_run_progress(&run_id).json().await.unwrap();
    let pending = p["pendingApproval"].clone();
    assert_eq!(pending["status"], "PENDING");
    assert_eq!(pending["toolName"], "echo");
    assert_eq!(pending["arguments"], json!({"say": "hi"}));
    assert_eq!(pending["externalAppId"], st.app_id());
    let ev = events(&z, &run_id).await;
    let names: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["RunStarted", "tool_call", "approval_required"]);
    assert_eq!(ev[2]["data"]["approvalId"], pending["id"]);
    assert_eq!(ev[2]["data"]["toolCallId"], ev[1]["data"]["toolCallId"]);
    let approval_id = pending["id"].as_str().unwrap().to_string();

    // E37 lists PENDING by default.
    let list = z.approvals().list(None).json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], approval_id.as_str());
    assert_eq!(z.approvals().list(json!({"status": "APPROVED"})).json().await.unwrap()["total"], 0);
    assert_eq!(z.approvals().list(json!({"runId": run_id})).json().await.unwrap()["total"], 1);
    expect_err(z.approvals().list(json!({"status": "MAYBE"})), 422, "VALIDATION_ERROR").await;

    // The binding does not allow runtime approvals yet.
    expect_err(rt.approvals().approve(&run_id, &approval_id, None), 403, "APPROVALS_NOT_ALLOWED").await;
    z.external_apps()
        .bind_deployment(st.app_id(), json!({"deploymentId": st.deployment_id(), "allowApprovals": true}))
        .json()
        .await
        .unwrap();
    expect_err(rt.approvals().approve(&run_id, "00000000-0000-4000-8000-000000000000", None), 404, "NOT_FOUND").await;
    let a = rt.approvals().approve(&run_id, &approval_id, None).json().await.unwrap();
    assert_eq!((a["status"].as_str(), a["decidedBy"].as_str()), (Some("APPROVED"), Some("runtime")));
    expect_err(rt.approvals().reject(&run_id, &approval_id, None), 409, "APPROVAL_ALREADY_DECIDED").await;
    let done = wait_status(&z, &run_id, "COMPLETED").await;
    assert_eq!(done["finalOutput"], r#"Tool echo returned: {"say":"hi"}"#);
    let ev = events(&z, &run_id).await;
    let names: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(&names[..4], ["RunStarted", "tool_call", "approval_required", "tool_result"]);
    assert_eq!(ev[3]["data"]["isError"], false);

    // Tenant rejection feeds the refusal to the model.
    let r = rt.runs().start(json!({"input": MESSAGE})).json().await.unwrap();
    let run2 = r["runId"].as_str().unwrap().to_string();
    let a2 =
        z.agents().get_run_progress(&run2).json().await.unwrap()["pendingApproval"]["id"].as_str().unwrap().to_string();
    let tenant = s.default_tenant().await;
    let tz = s.tenant_client(&s.tenant_token(&tenant, "boss").await);
    let a = tz.tenant_agents().reject_run_approval(&run2, &a2, json!({"reason": "no"})).json().await.unwrap();
    assert_eq!((a["status"].as_str(), a["decidedBy"].as_str()), (Some("REJECTED"), Some("tenant")));
    wait_status(&z, &run2, "COMPLETED").await;
    let ev = events(&z, &run2).await;
    let result = ev.iter().find(|e| e["event"] == "tool_result").unwrap();
    assert_eq!(result["data"]["isError"], true);
    assert_eq!(
        result["data"]["result"],
        json!({"code": "APPROVAL_REJECTED", "message": "rejected by a human", "reason": "no"})
    );
    let mut conn = s.ctx().db.read().await.unwrap();
    let sigs = zaby_server::testing::runs::signals_of_run(&mut conn, &run2).await.unwrap();
    let mut kinds: Vec<&str> = sigs.iter().map(|s| s.0.as_str()).collect();
    kinds.sort();
    assert_eq!(kinds, ["approval_rejected", "approval_waited", "run_completed", "tool_error"]);
    let of = |k: &str| sigs.iter().find(|s| s.0 == k).unwrap().clone();
    assert_eq!(of("approval_waited").2["status"], "REJECTED");
    assert!(of("approval_waited").1.is_some());
    assert_eq!(of("run_completed").2["toolCalls"], 1);
    drop(conn);

    // Cancel while waiting cancels the approval.
    let r = rt.runs().start(json!({"input": MESSAGE})).json().await.unwrap();
    let run3 = r["runId"].as_str().unwrap().to_string();
    let c = rt.runs().cancel(&run3, None).json().await.unwrap();
    assert_eq!(c["status"], "CANCELLED");
    assert_eq!(c["pendingApproval"], Value::Null);
    let list = z.approvals().list(json!({"runId": run3, "status": "CANCELLED"})).json().await.unwrap();
    assert_eq!(list["total"], 1);
    let approval3 = list["items"][0]["id"].as_str().unwrap().to_string();
    expect_err(z.approvals().approve(&run3, &approval3, None), 409, "APPROVAL_ALREADY_DECIDED").await;
    let usage = z.usage().get_agent_usage(json!({"agentId": st.deployed.agent_id()})).json().await.unwrap();
    assert_eq!(usage["totals"]["approvalsRequested"], 3);
    assert_eq!(usage["totals"]["cancelledRuns"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_expiry_sqlite() {
    approval_expiry(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approval_expiry_postgres() {
    approval_expiry(Backend::Postgres).await;
}

/// With `ZABY_APPROVAL_TTL_S = 1` the approval expires and the run goes on as if
/// rejected, with `APPROVAL_EXPIRED`.
async fn approval_expiry(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |st| st.approval_ttl_s = 1).await else { return };
    let z = s.zaby();
    let st = echo_setup(&z, "expiry").await;
    let r = z.agents().start_run(st.deployed.agent_id(), json!({"input": MESSAGE})).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_APPROVAL");
    let run_id = r["runId"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let done = wait_status(&z, &run_id, "COMPLETED").await;
    assert!(done["finalOutput"].as_str().unwrap().contains("APPROVAL_EXPIRED"), "{done}");
    let ev = events(&z, &run_id).await;
    let result = ev.iter().find(|e| e["event"] == "tool_result").unwrap();
    assert_eq!(
        result["data"]["result"],
        json!({"code": "APPROVAL_EXPIRED", "message": "rejected by a human", "reason": "expired"})
    );
    let list = z.approvals().list(json!({"status": "EXPIRED"})).json().await.unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["reason"], "expired");
    s.stop().await;
}
