//! The generated `zaby::types`: wire names, unknown members, open enums, inputs that
//! serialize exactly what the caller set, and payloads copied from `docs/api/README.md`.

use serde_json::{Value, json};
use zaby::types::*;

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(v: &Value) -> (T, Value) {
    let typed: T = serde_json::from_value(v.clone()).expect("deserializes");
    let back = serde_json::to_value(&typed).expect("serializes");
    (typed, back)
}

#[test]
fn run_finished_payload_of_section_5_3_round_trips() {
    let wire = json!({"runId":"run_1","status":"COMPLETED","finalOutput":"You said: hello","citations":[]});
    let (ev, back): (RunFinished, _) = round_trip(&wire);
    assert_eq!(ev.run_id, "run_1");
    assert_eq!(ev.status, "COMPLETED");
    assert_eq!(ev.final_output.as_deref(), Some("You said: hello"));
    assert_eq!(ev.citations, Some(vec![]));
    assert_eq!(back, wire);
}

#[test]
fn citations_and_nullable_members_keep_their_nulls() {
    let wire = json!({"runId":"r","status":"CANCELLED","finalOutput":null,"citations":[
        {"kind":"chunk","documentId":"d","chunkId":"c","memoryItemId":null,"title":"T","score":0.5}
    ]});
    let (ev, back): (RunFinished, _) = round_trip(&wire);
    let c = &ev.citations.as_ref().unwrap()[0];
    assert_eq!((c.kind.as_str(), c.memory_item_id.as_deref(), c.score), ("chunk", None, 0.5));
    assert_eq!(back, wire);
}

#[test]
fn unknown_members_of_an_agent_are_kept_in_extra_and_written_back() {
    let wire = json!({
        "id": "agt_1", "slug": "helper", "name": "Helper", "description": null,
        "defaultModel": "zaby", "instructions": null, "category": null, "visibility": "PRIVATE",
        "config": {"communicationStyle": {"warmth": "HIGH"}}, "metadata": {}, "tags": ["a"],
        "provider": null, "status": "DRAFT", "latestVersionId": null, "latestVersion": null,
        "activeDeployments": [{"id": "dep_1", "status": "ACTIVE", "runtimeUrl": "http://x/api/v1/agent-runtime",
                               "environment": "TEST", "agentVersionId": "v1", "region": "eu"}],
        "mcpTools": [], "knowledgeBases": [], "skills": [],
        "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
        "futureField": {"nested": [1, 2]}
    });
    let (agent, back): (Agent, _) = round_trip(&wire);
    assert_eq!(agent.extra.get("futureField"), Some(&json!({"nested": [1, 2]})));
    assert_eq!(agent.active_deployments[0].extra.get("region"), Some(&json!("eu")));
    assert_eq!(agent.config["communicationStyle"]["warmth"], "HIGH");
    assert_eq!(back, wire);
}

#[test]
fn enumerations_read_and_write_the_spec_strings() {
    let statuses: Vec<AgentStatus> = serde_json::from_value(json!(["DRAFT", "ACTIVE", "PAUSED", "DISABLED"])).unwrap();
    assert_eq!(statuses, [AgentStatus::Draft, AgentStatus::Active, AgentStatus::Paused, AgentStatus::Disabled]);
    assert_eq!(serde_json::to_value(&statuses).unwrap(), json!(["DRAFT", "ACTIVE", "PAUSED", "DISABLED"]));
    assert_eq!(RunEventName::ToolCall.as_str(), "tool_call");
    assert_eq!(RuntimeScope::ManagedAgentsRuntimeRun.to_string(), "managed-agents:runtime:run");
    assert_eq!("WAITING_FOR_APPROVAL".parse::<RunStatus>(), Ok(RunStatus::WaitingForApproval));
    assert_eq!(AgentModel::ZabyMax, "zaby-max");
}

#[test]
fn a_closed_enumeration_refuses_a_value_it_does_not_know() {
    let wire = json!({"id": "x", "status": "ARCHIVED", "runId": "r", "workflowId": "w", "deploymentId": null,
                      "externalAppId": null, "agentSessionId": "s", "finalOutput": null, "latestSeq": 3,
                      "createdAt": "t"});
    let err = serde_json::from_value::<Run>(wire).unwrap_err().to_string();
    assert!(err.contains("ARCHIVED") && err.contains("WAITING_FOR_APPROVAL"), "{err}");
    let err = "archived".parse::<RunStatus>().unwrap_err();
    assert_eq!((err.enumeration, err.value.as_str()), ("RunStatus", "archived"));
    assert!(err.to_string().contains("\"archived\" is not a RunStatus"), "{err}");
}

#[test]
fn an_open_enumeration_keeps_a_value_it_does_not_know() {
    let wire = json!({"runId": "r", "message": "boom", "code": "QUOTA_EXCEEDED"});
    let (error, back): (RunError, _) = round_trip(&wire);
    assert_eq!(error.code, RunErrorCode::Unknown("QUOTA_EXCEEDED".into()));
    assert_eq!(error.code.as_str(), "QUOTA_EXCEEDED");
    assert_eq!(back, wire);
    let known: RunError = serde_json::from_value(json!({"runId": "r", "message": "m", "code": "MODEL_ERROR"})).unwrap();
    assert_eq!(known.code, RunErrorCode::ModelError);
    assert_eq!("gpt-5".parse::<AgentModel>(), Ok(AgentModel::Unknown("gpt-5".into())));
}

#[test]
fn members_added_by_this_contract_may_be_absent() {
    // A base-platform answer without the ‡ members.
    let wire = json!({"workflowId": "w", "runId": "r", "deploymentId": null, "externalAppId": null,
                      "agentSessionId": "s", "status": "RUNNING", "finalOutput": null, "latestSeq": 0,
                      "createdAt": "t"});
    let (run, back): (Run, _) = round_trip(&wire);
    assert_eq!((run.id, run.is_test_run, run.usage, run.error), (None, None, None, None));
    // Written back: what was read, plus `null` for the absent nullable members
    // (`error`, `startedAt`, …); absent non-nullable ones stay absent.
    for (k, v) in wire.as_object().unwrap() {
        assert_eq!(&back[k], v, "{k}");
    }
    assert_eq!(back["error"], Value::Null);
    assert!(back.get("isTestRun").is_none() && back.get("usage").is_none());
}

#[test]
fn a_missing_required_member_is_an_error_naming_it() {
    let err = serde_json::from_value::<RunStartResponse>(json!({"runId": "r"})).unwrap_err();
    assert!(err.to_string().contains("workflowId"), "{err}");
}

#[test]
fn inputs_serialize_exactly_the_members_the_caller_set() {
    let input = AgentInput { slug: "x".into(), name: "X".into(), ..Default::default() };
    assert_eq!(serde_json::to_value(&input).unwrap(), json!({"slug": "x", "name": "X"}));

    let input = RuntimeTokenCreateInput {
        external_app_id: "app".into(),
        deployment_id: "dep".into(),
        quota_policy_id: "pol".into(),
        unique_id: Some("u-1".into()),
        scopes: Some(vec![RuntimeScope::ManagedAgentsRuntimeRun]),
        ttl_seconds: Some(60),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&input).unwrap(),
        json!({"externalAppId": "app", "deploymentId": "dep", "quotaPolicyId": "pol", "uniqueId": "u-1",
               "scopes": ["managed-agents:runtime:run"], "ttlSeconds": 60})
    );

    assert_eq!(serde_json::to_value(CancelRunInput::default()).unwrap(), json!({}));
    let run = RunStartInput { input: json!({"message": "hi"}), request_id: Some("req-1".into()), ..Default::default() };
    assert_eq!(serde_json::to_value(&run).unwrap(), json!({"input": {"message": "hi"}, "requestId": "req-1"}));
}

#[test]
fn partial_updates_tell_clear_from_leave() {
    let clear = AgentUpdateInput { description: Some(None), status: Some(AgentStatus::Paused), ..Default::default() };
    assert_eq!(serde_json::to_value(&clear).unwrap(), json!({"description": null, "status": "PAUSED"}));
    let set = AgentUpdateInput { description: Some(Some("d".into())), ..Default::default() };
    assert_eq!(serde_json::to_value(&set).unwrap(), json!({"description": "d"}));

    let read: AgentUpdateInput = serde_json::from_value(json!({"description": null})).unwrap();
    assert_eq!(read.description, Some(None));
    let read: AgentUpdateInput = serde_json::from_value(json!({})).unwrap();
    assert_eq!(read.description, None);
}

/// A tool that returned nothing answers `"result": null`: that is a result, not a
/// missing one, and it goes back on the wire as `null`.
#[test]
fn an_any_member_keeps_null_apart_from_absent() {
    let (given, wire): (ToolResultInput, Value) = round_trip(&json!({"toolCallId": "c1", "result": null}));
    assert_eq!(given.result, Some(Value::Null));
    assert_eq!(wire, json!({"toolCallId": "c1", "result": null}));
    let (absent, wire): (ToolResultInput, Value) = round_trip(&json!({"toolCallId": "c1", "isError": true}));
    assert_eq!(absent.result, None);
    assert_eq!(wire, json!({"toolCallId": "c1", "isError": true}));
}

#[test]
fn extra_lets_a_caller_send_members_the_sdk_does_not_model() {
    let mut input = RetrieveInput { query: "refund".into(), ..Default::default() };
    input.extra.insert("limit".into(), json!(3));
    assert_eq!(serde_json::to_value(&input).unwrap(), json!({"query": "refund", "limit": 3}));
}

#[test]
fn keywords_and_irregular_names_keep_their_wire_spelling() {
    let query = E93Query { r#type: Some(SignalType::ToolError), ..Default::default() };
    assert_eq!(serde_json::to_value(&query).unwrap(), json!({"type": "tool_error"}));
    let report: UsageReport = serde_json::from_value(json!({
        "agentId": null, "from": "a", "to": "b",
        "totals": {"runs": 1, "completedRuns": 1, "failedRuns": 0, "cancelledRuns": 0, "testRuns": 0, "events": 3,
                   "toolCalls": 0, "approvalsRequested": 0, "feedbackCount": 0, "averageRating": null,
                   "inputTokens": 1, "outputTokens": 2, "avgLatencyMs": 12.5, "p95LatencyMs": 12.5}
    }))
    .unwrap();
    assert_eq!((report.from.as_str(), report.totals.unwrap().p95_latency_ms), ("a", Some(12.5)));
}

#[test]
fn list_responses_are_generic_over_their_items() {
    let wire =
        json!({"items": [{"id": "e1", "event": "text", "data": {"content": "hi"}}], "nextCursor": null, "total": 1});
    let page: ListResponse<StoredRunEvent> = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(page.items[0].data["content"], "hi");
    assert_eq!(serde_json::to_value(&page).unwrap(), wire);
    let untyped: ListResponse = serde_json::from_value(wire).unwrap();
    assert_eq!(untyped.items[0]["event"], "text");
}

#[test]
fn run_events_carry_typed_payloads() {
    let page: RunEventPage = serde_json::from_value(json!({
        "runId": "r", "items": [
            {"id": "1", "seq": 1, "runId": "r", "event": "RunStarted", "data": {"runId": "r", "workflowId": "w", "deploymentId": null, "agentSessionId": "s"}, "createdAt": "t"},
            {"id": "2", "seq": 2, "runId": "r", "event": "tool_result", "data": {"toolCallId": "c", "toolName": "sum", "result": {"sum": 3}, "isError": false, "simulated": false}, "createdAt": "t"}
        ],
        "events": [], "nextCursor": null, "total": 2, "latestSeq": 2, "status": "COMPLETED"
    }))
    .unwrap();
    let started: RunStarted = serde_json::from_value(Value::Object(page.items[0].data.clone())).unwrap();
    assert_eq!(started.deployment_id, None);
    let result: ToolResult = serde_json::from_value(Value::Object(page.items[1].data.clone())).unwrap();
    assert_eq!((result.result["sum"].as_i64(), result.simulated), (Some(3), Some(false)));
}

#[test]
fn runtime_token_response_reads_the_documented_shape() {
    let wire = json!({"token": "eyJ", "tokenType": "Bearer", "expiresAt": "t", "scopes": ["managed-agents:runtime:run"],
                      "grantId": "g", "tokenFamilyId": "f", "quotaPolicyId": null, "uniqueIdHash": null,
                      "rotateAfterSeconds": null, "remainingUses": 5, "agentSessionId": "s", "externalAppId": null,
                      "deploymentId": "d"});
    let (tok, back): (RuntimeTokenResponse, _) = round_trip(&wire);
    assert_eq!((tok.remaining_uses, tok.quota_policy_id), (Some(5), None));
    assert_eq!(back, wire);
}

#[test]
fn sse_event_is_the_stream_item_type() {
    let ev = SseEvent { id: Some("5".into()), event: Some("RunFinished".into()), data: json!({}) };
    let _: &zaby::SseEvent = &ev;
}

#[test]
fn list_responses_work_with_caller_types_that_have_no_default() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Mine {
        id: String,
    }
    let page: ListResponse<Mine> = serde_json::from_value(json!({"items": [{"id": "a"}], "nextCursor": "c"})).unwrap();
    assert_eq!((page.items[0].id.as_str(), page.next_cursor.as_deref(), page.total), ("a", Some("c"), None));
}
