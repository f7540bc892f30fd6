//! Function tools with `client` execution (docs/function-tools.md): declared on a run
//! start (`tools`) or on the agent (`functionTools`, frozen into its versions), the
//! run waiting in WAITING_FOR_TOOL_RESULT, results from the runtime side (E126) and the
//! API key side (E127), replays and conflicts, timeouts, argument validation, manual
//! approval first, and the start's refusals.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

on_both!(client_results_from_both_sides);
on_both!(every_call_of_a_step_is_answered_or_times_out);
on_both!(bad_arguments_and_bad_declarations);
on_both!(agent_tools_are_versioned_and_approved_first);

fn weather() -> Value {
    json!({
        "name": "get_weather",
        "description": "The weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    })
}

fn of_kind<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).map(|e| &e["data"]).collect()
}

async fn client_results_from_both_sides(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "client-tools", json!({}), json!({})).await;
    let t = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-1"}))).json().await.unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());

    // A synchronous runtime start answers when the run waits for the client.
    let start = json!({"input": r#"/tool get_weather {"city": "Paris"}"#, "tools": [weather()]});
    let r = rt.runs().start(start.clone()).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_TOOL_RESULT", "{r}");
    let run_id = r["runId"].as_str().unwrap().to_string();
    let ev = events(&z, &run_id).await;
    let call = of_kind(&ev, "tool_call")[0].clone();
    assert_eq!(call["execution"], "client");
    assert_eq!(call["toolName"], "get_weather");
    assert_eq!(call["arguments"], json!({"city": "Paris"}));
    let call_id = call["toolCallId"].as_str().unwrap().to_string();
    // The development model names its calls after the run, so ids never repeat across runs.
    assert_eq!(call_id, format!("call_{run_id}_1"));

    // Another end user's token does not see the run.
    let other = z.runtime_tokens().create(st.mint(json!({"externalUserId": "u-2"}))).json().await.unwrap();
    let other = s.runtime(other["token"].as_str().unwrap());
    let answer = json!({"toolCallId": call_id, "result": {"temperature": 21}});
    expect_err(other.runs().submit_tool_result(&run_id, answer.clone()), 404, "NOT_FOUND").await;
    expect_err(rt.runs().submit_tool_result(&run_id, json!({"toolCallId": call_id})), 422, "VALIDATION_ERROR").await;

    let run = rt.runs().submit_tool_result(&run_id, answer.clone()).json().await.unwrap();
    assert_eq!(run["runId"], run_id.as_str());
    // The same result again is a replay; another one is refused: the first wins.
    rt.runs().submit_tool_result(&run_id, answer.clone()).json().await.unwrap();
    let different = json!({"toolCallId": call_id, "result": {"temperature": 5}});
    expect_err(rt.runs().submit_tool_result(&run_id, different), 409, "TOOL_RESULT_ALREADY_SUBMITTED").await;
    let done = wait_status(&z, &run_id, "COMPLETED").await;
    assert!(done["finalOutput"].as_str().unwrap().contains("temperature"), "{done}");
    let ev = events(&z, &run_id).await;
    let results = of_kind(&ev, "tool_result");
    assert_eq!(results.len(), 1);
    assert_eq!((&results[0]["result"], &results[0]["isError"]), (&json!({"temperature": 21}), &json!(false)));
    // A finished run waits for nothing; the stored result still replays.
    expect_err(
        rt.runs().submit_tool_result(&run_id, json!({"toolCallId": "call_9", "result": 1})),
        409,
        "RUN_NOT_WAITING_FOR_TOOL_RESULT",
    )
    .await;
    rt.runs().submit_tool_result(&run_id, answer).json().await.unwrap();

    // The API key side (E127), on a run it started without waiting.
    let mut start = start;
    start["respondAsync"] = json!(true);
    let r = z.agents().start_run(st.deployed.agent_id(), start).json().await.unwrap();
    let run_id = r["runId"].as_str().unwrap().to_string();
    wait_status(&z, &run_id, "WAITING_FOR_TOOL_RESULT").await;
    let missing = json!({"toolCallId": call_id, "result": 1});
    expect_err(z.agents().submit_tool_result(&run_id, missing), 404, "TOOL_CALL_NOT_FOUND").await;
    let call_id = of_kind(&events(&z, &run_id).await, "tool_call")[0]["toolCallId"].clone();
    assert_eq!(call_id, format!("call_{run_id}_1"));
    let failed = json!({"toolCallId": call_id, "isError": true, "message": "the weather service is down"});
    z.agents().submit_tool_result(&run_id, failed).json().await.unwrap();
    wait_status(&z, &run_id, "COMPLETED").await;
    let ev = events(&z, &run_id).await;
    let result = of_kind(&ev, "tool_result")[0].clone();
    assert_eq!(result["isError"], true);
    assert_eq!(result["result"]["message"], "the weather service is down");
    // A run of another tenant is not found.
    let (_, key) = s.second_tenant().await;
    let stranger = s.zaby_with_key(&key);
    let any = json!({"toolCallId": call_id, "result": 1});
    expect_err(stranger.agents().submit_tool_result(&run_id, any), 404, "NOT_FOUND").await;
}

async fn every_call_of_a_step_is_answered_or_times_out(s: TestServer) {
    let z = s.zaby();
    let d = deployed_agent(&z, "two-calls").await;
    let mut slow = weather();
    slow["name"] = json!("slow_lookup");
    slow["timeoutMs"] = json!(300);
    let input = json!({"message": "both", "simulate": {"toolCalls": [
        {"toolName": "get_weather", "arguments": {"city": "Oslo"}},
        {"toolName": "slow_lookup", "arguments": {"city": "Rome"}},
    ]}});
    let r =
        z.agents().start_run(d.agent_id(), json!({"input": input, "tools": [weather(), slow]})).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_TOOL_RESULT", "{r}");
    let run_id = r["runId"].as_str().unwrap().to_string();
    // Both calls are announced before the run waits.
    let calls: Vec<Value> = of_kind(&events(&z, &run_id).await, "tool_call").into_iter().cloned().collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c["execution"] == "client"));
    // A tool that returned nothing: `null` is its result, not a missing one.
    let answer = json!({"toolCallId": calls[0]["toolCallId"], "result": null});
    z.agents().submit_tool_result(&run_id, answer).json().await.unwrap();
    // The other one is answered by its timeout, and the run goes on.
    wait_status(&z, &run_id, "COMPLETED").await;
    let ev = events(&z, &run_id).await;
    let results = of_kind(&ev, "tool_result");
    assert_eq!(results.len(), 2);
    assert_eq!((&results[0]["result"], &results[0]["isError"]), (&Value::Null, &json!(false)), "{}", results[0]);
    assert_eq!((&results[1]["toolCallId"], &results[1]["isError"]), (&calls[1]["toolCallId"], &json!(true)));
    assert_eq!(results[1]["result"]["code"], "TOOL_RESULT_TIMEOUT");
    expect_err(
        z.agents().submit_tool_result(&run_id, json!({"toolCallId": calls[1]["toolCallId"], "result": "late"})),
        409,
        "TOOL_RESULT_ALREADY_SUBMITTED",
    )
    .await;
}

async fn bad_arguments_and_bad_declarations(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "bad-tools", json!({}), json!({})).await;
    let t = z.runtime_tokens().create(st.mint(json!({}))).json().await.unwrap();
    let rt = s.runtime(t["token"].as_str().unwrap());

    // Arguments that fail `parameters` are an INVALID_ARGUMENTS result; the run goes on.
    let r = rt
        .runs()
        .start(json!({"input": r#"/tool get_weather {"town": 1}"#, "tools": [weather()]}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "COMPLETED", "{r}");
    let ev = events(&z, r["runId"].as_str().unwrap()).await;
    assert_eq!(of_kind(&ev, "tool_call")[0].get("execution"), None, "not handed to the client");
    let result = of_kind(&ev, "tool_result")[0].clone();
    assert_eq!((&result["isError"], &result["result"]["code"]), (&json!(true), &json!("INVALID_ARGUMENTS")));
    assert_eq!(result["result"]["errors"][0]["field"], "");

    let twice = json!({"input": "hi", "tools": [weather(), weather()]});
    let e = expect_err(rt.runs().start(twice), 422, "TOOL_NAME_CONFLICT").await;
    assert!(e.message().contains("tools.1.name") && e.message().contains("tools.0"), "{e:?}");
    let http = json!({"name": "hook", "execution": "http", "url": "https://example.com/tool"});
    let e = expect_err(rt.runs().start(json!({"input": "hi", "tools": [http]})), 422, "HTTP_TOOLS_NOT_ALLOWED").await;
    assert!(e.message().contains("tools.0.execution"), "{e:?}");
    let nameless = json!({"input": "hi", "tools": [{"name": "no spaces"}]});
    let e = expect_err(rt.runs().start(nameless), 422, "VALIDATION_ERROR").await;
    assert!(e.message().contains("tools.0.name"), "{e:?}");
}

async fn agent_tools_are_versioned_and_approved_first(s: TestServer) {
    let z = s.zaby();
    let mut gated = weather();
    gated["approvalMode"] = json!("manual");
    let agent = z
        .agents()
        .create(json!({"slug": "versioned-tools", "name": "Versioned", "functionTools": [gated]}))
        .json()
        .await
        .unwrap();
    let agent_id = agent["id"].as_str().unwrap().to_string();
    assert_eq!(agent["functionTools"][0]["name"], "get_weather");
    let v1 = z.agents().publish(&agent_id).json().await.unwrap();
    assert_eq!(v1["snapshot"]["functionTools"][0]["approvalMode"], "manual");
    let deployment = z
        .agents()
        .deploy(&agent_id, json!({"agentVersionId": v1["id"], "environment": "PRODUCTION"}))
        .json()
        .await
        .unwrap();
    wait_active(&z, deployment["id"].as_str().unwrap()).await;
    // The draft changes; the deployed version keeps what it froze.
    let mut other = weather();
    other["name"] = json!("get_time");
    let updated = z.agents().update(&agent_id, json!({"functionTools": [other]})).json().await.unwrap();
    assert_eq!(updated["functionTools"][0]["name"], "get_time");
    let dup = json!({"functionTools": [weather(), weather()]});
    expect_err(z.agents().update(&agent_id, dup), 422, "TOOL_NAME_CONFLICT").await;

    let start = json!({"input": r#"/tool get_weather {"city": "Lima"}"#});
    let r = z.agents().start_run(&agent_id, start).json().await.unwrap();
    assert_eq!(r["status"], "WAITING_FOR_APPROVAL", "{r}");
    let run_id = r["runId"].as_str().unwrap().to_string();
    // Not handed to the client before the decision.
    let call = of_kind(&events(&z, &run_id).await, "tool_call")[0].clone();
    assert_eq!(call.get("execution"), None);
    let any = json!({"toolCallId": call["toolCallId"], "result": 1});
    expect_err(z.agents().submit_tool_result(&run_id, any), 409, "RUN_NOT_WAITING_FOR_TOOL_RESULT").await;
    let pending = z.agents().get_run_progress(&run_id).json().await.unwrap()["pendingApproval"].clone();
    z.approvals().approve(&run_id, pending["id"].as_str().unwrap(), None).json().await.unwrap();
    wait_status(&z, &run_id, "WAITING_FOR_TOOL_RESULT").await;
    let calls: Vec<Value> = of_kind(&events(&z, &run_id).await, "tool_call").into_iter().cloned().collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["execution"], "client");
    assert_eq!(calls[1]["toolCallId"], call["toolCallId"], "the approved call keeps its id");
    let answer = json!({"toolCallId": calls[1]["toolCallId"], "result": "dry"});
    z.agents().submit_tool_result(&run_id, answer).json().await.unwrap();
    wait_status(&z, &run_id, "COMPLETED").await;
}
