//! MCP tools in runs: attached tools offered to the development model (rules and
//! `/tool`), the real result in `tool_result`, approvals (approve, reject, double
//! decision), failed calls as `isError` results, and test runs that only preflight.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

use crate::mcp::everything;

on_both!(builtin_tool_by_rule, approvals_with_everything, failed_calls_and_test_runs);

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// Waits until at least 20 s are left in the current minute, so that calls counted
/// against a per-minute limit fall into one window.
async fn early_in_minute() {
    let into = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() % 60_000;
    if into > 40_000 {
        tokio::time::sleep(std::time::Duration::from_millis((60_000 - into) as u64 + 50)).await;
    }
}

fn named<'a>(ev: &'a [Value], name: &str) -> Vec<&'a Value> {
    ev.iter().filter(|e| e["event"] == name).collect()
}

/// The built-in installation and one of its tools.
async fn builtin_tool(z: &zaby::Zaby, name: &str) -> (String, Value) {
    let inst = z.mcp().list_installations(None).json().await.unwrap()["items"][0].clone();
    let tools = z.mcp().list_installation_tools(id(&inst), None).json().await.unwrap();
    let tool = tools["items"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap().clone();
    (id(&inst).to_string(), tool)
}

/// Publishes the agent's current configuration and waits for an ACTIVE deployment.
async fn publish_and_deploy(z: &zaby::Zaby, agent_id: &str) {
    let v = z.agents().publish(agent_id).json().await.unwrap();
    let d = z
        .agents()
        .deploy(agent_id, json!({"agentVersionId": v["id"], "environment": "PRODUCTION"}))
        .json()
        .await
        .unwrap();
    wait_active(z, id(&d)).await;
}

async fn builtin_tool_by_rule(s: TestServer) {
    let z = s.zaby();
    let (iid, sum) = builtin_tool(&z, "sum").await;
    let agent = z
        .agents()
        .create(json!({
            "slug": "adder", "name": "adder",
            "config": {"localModel": {"rules": [{"match": "add", "toolName": "plus", "arguments": {"numbers": [2, 3]}}]}},
        })).json()
        .await
        .unwrap();
    let aid = id(&agent).to_string();
    z.agents()
        .attach_mcp_tool(
            &aid,
            json!({"tenantInstallationId": iid, "toolDefinitionId": id(&sum), "key": "plus", "approvalMode": "AUTO"}),
        )
        .json()
        .await
        .unwrap();
    publish_and_deploy(&z, &aid).await;

    let r = z.agents().start_run(&aid, json!({"input": "please add these"})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["finalOutput"], r#"Tool plus returned: {"sum":5}"#);
    let ev = events(&z, r["runId"].as_str().unwrap()).await;
    let names: Vec<&str> = ev.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(&names[..3], ["RunStarted", "tool_call", "tool_result"]);
    assert_eq!(names.last(), Some(&"RunFinished"));
    let call = &named(&ev, "tool_call")[0]["data"];
    assert_eq!((call["toolName"].clone(), call["arguments"].clone()), (json!("plus"), json!({"numbers": [2, 3]})));
    let result = &named(&ev, "tool_result")[0]["data"];
    assert_eq!(result["toolCallId"], call["toolCallId"]);
    assert_eq!((result["isError"].clone(), result["result"].clone()), (json!(false), json!({"sum": 5})));
    assert_eq!(result["simulated"], false);

    // `/tool` with the MCP name under an "all tools" attachment of the installation.
    let other = z.agents().create(json!({"slug": "all-tools", "name": "all"})).json().await.unwrap();
    z.agents().attach_mcp_tool(id(&other), json!({"toolId": iid, "approvalMode": "AUTO"})).json().await.unwrap();
    publish_and_deploy(&z, id(&other)).await;
    let r = z
        .agents()
        .start_run(id(&other), json!({"input": {"message": "/tool echo {\"say\": \"hi\"}"}}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["finalOutput"], r#"Tool echo returned: {"say":"hi"}"#, "{r}");
    // A name no attachment offers fails the run.
    let r = z.agents().start_run(id(&other), json!({"input": "/tool plus {}"})).json().await.unwrap();
    assert_eq!(r["status"], "FAILED");
    let p = z.agents().get_run_progress(r["runId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(p["error"]["code"], "AGENT_TOOL_NOT_ATTACHED");
}

async fn approvals_with_everything(s: TestServer) {
    let z = s.zaby();
    let ev = everything::Everything::start("streamableHttp").await;
    let server = z
        .mcp()
        .create_server(json!({"name": "everything", "endpointUrl": format!("http://127.0.0.1:{}/mcp", ev.port)}))
        .json()
        .await
        .unwrap();
    let inst = z.mcp().install_server(json!({"serverDefinitionId": id(&server)})).json().await.unwrap();
    let agent = z.agents().create(json!({"slug": "weather", "name": "weather"})).json().await.unwrap();
    let aid = id(&agent).to_string();
    z.agents().attach_mcp_tool(&aid, json!({"toolId": id(&inst), "approvalMode": "MANUAL"})).json().await.unwrap();
    publish_and_deploy(&z, &aid).await;
    let message = r#"/tool get-structured-content {"location": "Chicago"}"#;

    // Approve: the call runs after the decision and its real result feeds the reply.
    let r = z.agents().start_run(&aid, json!({"input": message})).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_APPROVAL", "{r}");
    let run_id = r["runId"].as_str().unwrap().to_string();
    let evs = events(&z, &run_id).await;
    let required = named(&evs, "approval_required")[0]["data"].clone();
    assert_eq!(required["toolName"], "get-structured-content");
    assert!(named(&evs, "tool_result").is_empty(), "nothing runs before the decision");
    let approval_id = required["approvalId"].as_str().unwrap().to_string();
    let a = z.approvals().approve(&run_id, &approval_id, None).json().await.unwrap();
    assert_eq!(a["status"], "APPROVED");
    expect_err(z.approvals().approve(&run_id, &approval_id, None), 409, "APPROVAL_ALREADY_DECIDED").await;
    expect_err(z.approvals().reject(&run_id, &approval_id, None), 409, "APPROVAL_ALREADY_DECIDED").await;
    let done = wait_terminal(&z, &run_id).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let evs = events(&z, &run_id).await;
    let result = &named(&evs, "tool_result")[0]["data"];
    assert_eq!(result["isError"], false);
    assert_eq!(result["result"]["temperature"], 36);
    assert!(done["finalOutput"].as_str().unwrap().starts_with("Tool get-structured-content returned: {"), "{done}");

    // Reject: the tool is not called; the refusal is fed to the model.
    let r = z.agents().start_run(&aid, json!({"input": message, "respondAsync": true})).json().await.unwrap();
    let run_id = r["runId"].as_str().unwrap().to_string();
    wait_status(&z, &run_id, "WAITING_FOR_APPROVAL").await;
    let evs = events(&z, &run_id).await;
    let approval_id = named(&evs, "approval_required")[0]["data"]["approvalId"].as_str().unwrap().to_string();
    let a = z.approvals().reject(&run_id, &approval_id, json!({"reason": "not today"})).json().await.unwrap();
    assert_eq!(a["status"], "REJECTED");
    expect_err(z.approvals().approve(&run_id, &approval_id, None), 409, "APPROVAL_ALREADY_DECIDED").await;
    let done = wait_terminal(&z, &run_id).await;
    assert_eq!(done["status"], "COMPLETED");
    let evs = events(&z, &run_id).await;
    let result = &named(&evs, "tool_result")[0]["data"];
    assert_eq!(result["isError"], true);
    assert_eq!(
        result["result"],
        json!({"code": "APPROVAL_REJECTED", "message": "rejected by a human", "reason": "not today"})
    );

    // TENANT_POLICY follows the tool policy: no approval unless the policy asks.
    let auto = z.agents().create(json!({"slug": "policy", "name": "policy"})).json().await.unwrap();
    z.agents().attach_mcp_tool(id(&auto), json!({"toolId": id(&inst)})).json().await.unwrap();
    publish_and_deploy(&z, id(&auto)).await;
    let r = z.agents().start_run(id(&auto), json!({"input": message})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED", "{r}");
    z.mcp()
        .update_tool_policy(id(&inst), "get-structured-content", json!({"requiresApproval": true}))
        .json()
        .await
        .unwrap();
    let r = z.agents().start_run(id(&auto), json!({"input": message})).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_APPROVAL");
    z.agents().cancel_run(r["runId"].as_str().unwrap(), None).json().await.unwrap();
}

async fn failed_calls_and_test_runs(s: TestServer) {
    let z = s.zaby();
    let (iid, sum) = builtin_tool(&z, "sum").await;
    let agent = z.agents().create(json!({"slug": "careful", "name": "careful"})).json().await.unwrap();
    let aid = id(&agent).to_string();
    z.agents()
        .attach_mcp_tool(
            &aid,
            json!({"tenantInstallationId": iid, "toolDefinitionId": id(&sum), "approvalMode": "MANUAL"}),
        )
        .json()
        .await
        .unwrap();

    // Test runs only preflight: `simulated: true`, no approval, no call.
    let r = z.agents().test_run(&aid, json!({"input": "/tool sum {\"numbers\": [1, 2]}"})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED", "{r}");
    let evs = events(&z, r["runId"].as_str().unwrap()).await;
    assert!(named(&evs, "approval_required").is_empty());
    let result = &named(&evs, "tool_result")[0]["data"];
    assert_eq!(result["simulated"], true);
    assert_eq!(result["isError"], false);
    assert_eq!(result["result"]["allowed"], true);
    assert_eq!(result["result"]["toolName"], "sum");
    assert_eq!(result["result"]["requiresApproval"], false);
    let r = z.agents().test_run(&aid, json!({"input": "/tool sum {\"numbers\": \"x\"}"})).json().await.unwrap();
    let evs = events(&z, r["runId"].as_str().unwrap()).await;
    let result = &named(&evs, "tool_result")[0]["data"];
    assert_eq!((result["simulated"].clone(), result["isError"].clone()), (json!(true), json!(true)));
    assert_eq!(result["result"]["reasons"], json!(["INVALID_ARGUMENTS"]));
    assert_eq!(result["result"]["validationErrors"][0]["field"], "/numbers");

    // Invalid arguments in a real run: an isError result, and the run goes on.
    z.agents()
        .attach_mcp_tool(
            &aid,
            json!({"tenantInstallationId": iid, "toolDefinitionId": id(&sum), "approvalMode": "AUTO"}),
        )
        .json()
        .await
        .unwrap();
    publish_and_deploy(&z, &aid).await;
    let r = z.agents().start_run(&aid, json!({"input": "/tool sum {\"numbers\": \"x\"}"})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED", "{r} {:?}", events(&z, r["runId"].as_str().unwrap()).await);
    let evs = events(&z, r["runId"].as_str().unwrap()).await;
    let result = &named(&evs, "tool_result")[0]["data"];
    assert_eq!(result["isError"], true);
    assert_eq!(result["result"]["code"], "INVALID_ARGUMENTS");

    // Access denied once the installation has grants the agent lacks.
    let other = z.agents().create(json!({"slug": "other", "name": "other"})).json().await.unwrap();
    z.mcp().grant_access(&iid, json!({"agentId": id(&other)})).json().await.unwrap();
    let r = z.agents().start_run(&aid, json!({"input": "/tool sum {\"numbers\": [1]}"})).json().await.unwrap();
    let evs = events(&z, r["runId"].as_str().unwrap()).await;
    assert_eq!(named(&evs, "tool_result")[0]["data"]["result"]["code"], "ACCESS_DENIED");
    z.mcp().grant_access(&iid, json!({"agentId": aid})).json().await.unwrap();

    // Rate limit counts run calls too; revoked installations fail the call cleanly.
    early_in_minute().await;
    z.mcp().update_installation(&iid, json!({"rateLimitPerMinute": 1})).json().await.unwrap();
    let mut codes = Vec::new();
    for _ in 0..2 {
        let r = z.agents().start_run(&aid, json!({"input": "/tool sum {\"numbers\": [1]}"})).json().await.unwrap();
        let p = z.agents().get_run_progress(r["runId"].as_str().unwrap()).json().await.unwrap();
        assert_eq!(r["status"], "COMPLETED", "{p}");
        let evs = events(&z, r["runId"].as_str().unwrap()).await;
        codes.push(named(&evs, "tool_result")[0]["data"]["result"]["code"].clone());
    }
    assert_eq!(codes, [Value::Null, json!("RATE_LIMITED")]);
    z.mcp().revoke_installation(&iid).json().await.unwrap();
    let r = z.agents().start_run(&aid, json!({"input": "/tool sum {\"numbers\": [1]}"})).json().await.unwrap();
    assert_eq!(r["status"], "COMPLETED");
    let evs = events(&z, r["runId"].as_str().unwrap()).await;
    let result = &named(&evs, "tool_result")[0]["data"];
    assert_eq!(
        (result["isError"].clone(), result["result"]["code"].clone()),
        (json!(true), json!("INSTALLATION_REVOKED"))
    );
    let p = z.agents().get_run_progress(r["runId"].as_str().unwrap()).json().await.unwrap();
    assert!(
        p["finalOutput"].as_str().unwrap().starts_with("Tool sum returned: {\"code\":\"INSTALLATION_REVOKED\""),
        "{p}"
    );
}
