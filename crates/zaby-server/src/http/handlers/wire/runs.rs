//! Runs, their event pages and approvals (E12–E18, E37–E39, E106–E112, E119–E124).

use serde_json::{Map, Value};
use zaby::types::{
    Approval, ErrorInfo, Run, RunEventPage, RunStartResponse, RunStartStatus, RunStatus, RunUsage, StoredRunEvent,
};

use super::stored;
use crate::error::{ApiError, ApiResult};
use crate::services::runs::{EventPage, RunView};
use crate::storage::runs::{ApprovalRow, EventRow, RunRow};
use crate::util::clock::iso;

/// A stored JSON document the wire has as an object; anything else was stored wrongly.
fn object(what: &str, v: Value) -> ApiResult<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(ApiError::internal(format!("stored {what} is not an object: {other}"))),
    }
}

/// `Approval`.
pub(crate) fn approval(a: ApprovalRow) -> ApiResult<Approval> {
    Ok(Approval {
        status: stored("approval status", &a.status)?,
        arguments: object("approval arguments", a.arguments)?,
        id: a.id,
        run_id: a.run_id,
        agent_id: a.agent_id,
        deployment_id: a.deployment_id,
        external_app_id: a.external_app_id,
        tool_call_id: Some(a.tool_call_id),
        tool_name: a.tool_name,
        reason: a.reason,
        decided_by: a.decided_by,
        created_at: Some(iso(a.created_at)),
        decided_at: a.decided_at.map(iso),
        extra: Map::new(),
    })
}

/// `Run`, with its open approval while it waits for one.
pub(crate) fn run(v: RunView) -> ApiResult<Run> {
    let RunView { row: r, pending } = v;
    let error = match r.error {
        None | Some(Value::Null) => None,
        Some(e) => Some(
            serde_json::from_value::<ErrorInfo>(e).map_err(|e| ApiError::internal(format!("stored run error: {e}")))?,
        ),
    };
    Ok(Run {
        status: stored("run status", &r.status)?,
        pending_approval: pending.map(approval).transpose()?,
        id: Some(r.id.clone()),
        run_id: r.id,
        workflow_id: r.workflow_id,
        agent_id: Some(r.agent_id),
        deployment_id: r.deployment_id,
        external_app_id: r.external_app_id,
        agent_session_id: r.session_id,
        is_test_run: Some(r.is_test_run),
        input: Some(r.input),
        final_output: r.final_output,
        error,
        latest_seq: r.latest_seq,
        request_id: r.request_id,
        steps: Some(r.steps),
        usage: Some(RunUsage { input_tokens: r.input_tokens, output_tokens: r.output_tokens, extra: Map::new() }),
        created_at: iso(r.created_at),
        started_at: r.started_at.map(iso),
        completed_at: r.completed_at.map(iso),
        updated_at: Some(iso(r.updated_at)),
        extra: Map::new(),
    })
}

/// `RunStartResponse`: a run still queued or running is `PENDING`; the answer is
/// there exactly when the run completed.
pub(crate) fn run_start(r: RunRow) -> ApiResult<RunStartResponse> {
    let (status, final_output) = match stored::<RunStatus>("run status", &r.status)? {
        RunStatus::Completed => (RunStartStatus::Completed, Some(r.final_output.unwrap_or_default())),
        RunStatus::Failed => (RunStartStatus::Failed, None),
        RunStatus::Cancelled => (RunStartStatus::Cancelled, None),
        RunStatus::WaitingForApproval => (RunStartStatus::WaitingForApproval, None),
        RunStatus::WaitingForToolResult => (RunStartStatus::WaitingForToolResult, None),
        RunStatus::Queued | RunStatus::Running => (RunStartStatus::Pending, None),
    };
    Ok(RunStartResponse {
        workflow_id: r.workflow_id,
        run_id: r.id,
        deployment_id: r.deployment_id,
        status,
        latest_seq: r.latest_seq,
        final_output,
        agent_session_id: r.session_id,
        external_app_id: r.external_app_id,
        created_at: iso(r.created_at),
        extra: Map::new(),
    })
}

/// `RunEvent`: the stored form of a stream event.
fn event(run_id: &str, e: EventRow) -> ApiResult<StoredRunEvent> {
    Ok(StoredRunEvent {
        id: e.seq.to_string(),
        seq: Some(e.seq),
        run_id: Some(run_id.to_string()),
        event: stored("event name", &e.event)?,
        data: object("event data", e.data)?,
        created_at: Some(iso(e.created_at)),
        extra: Map::new(),
    })
}

/// `RunEventPage`: `items` and `events` are the same array.
pub(crate) fn event_page(p: EventPage) -> ApiResult<RunEventPage> {
    let EventPage { run, events, next_cursor, total } = p;
    let items = events.into_iter().map(|e| event(&run.id, e)).collect::<ApiResult<Vec<_>>>()?;
    Ok(RunEventPage {
        status: Some(stored("run status", &run.status)?),
        latest_seq: Some(run.latest_seq),
        run_id: Some(run.id),
        events: items.clone(),
        items,
        next_cursor,
        total,
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;

    fn row(status: &str) -> RunRow {
        RunRow {
            id: "run-1".into(),
            tenant_id: "t".into(),
            agent_id: "agent-1".into(),
            deployment_id: Some("dep-1".into()),
            external_app_id: None,
            policy_id: None,
            grant_id: None,
            session_id: "s-1".into(),
            workflow_id: "wf-1".into(),
            status: status.into(),
            is_test_run: false,
            input: json!({"message": "hi"}),
            request_id: Some("req-1".into()),
            snapshot: Value::Null,
            end_user: None,
            mcp_bearer_sealed: None,
            final_output: Some("hello".into()),
            error: None,
            latest_seq: 3,
            steps: 1,
            input_tokens: 10,
            output_tokens: 5,
            tool_calls: 0,
            approvals_requested: 1,
            loop_state: None,
            cancel_reason: None,
            lease_owner: None,
            lease_until: 0,
            claims: 0,
            created_at: 0,
            started_at: Some(1),
            completed_at: None,
            updated_at: 2,
        }
    }

    fn pending() -> ApprovalRow {
        ApprovalRow {
            id: "ap-1".into(),
            tenant_id: "t".into(),
            run_id: "run-1".into(),
            agent_id: Some("agent-1".into()),
            deployment_id: Some("dep-1".into()),
            external_app_id: None,
            tool_call_id: "call-1".into(),
            tool_name: "refund".into(),
            arguments: json!({"amount": 5}),
            status: "PENDING".into(),
            reason: None,
            decided_by: None,
            created_at: 1,
            decided_at: None,
            expires_at: 9,
        }
    }

    #[test]
    fn a_waiting_run_keeps_the_catalogue_wire_format() {
        let v = RunView { row: row("WAITING_FOR_APPROVAL"), pending: Some(pending()) };
        let wire = serde_json::to_value(run(v).unwrap()).unwrap();
        assert_eq!(response_problems("Run", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "run-1", "runId": "run-1", "workflowId": "wf-1", "agentId": "agent-1",
                "deploymentId": "dep-1", "externalAppId": null, "agentSessionId": "s-1",
                "status": "WAITING_FOR_APPROVAL", "isTestRun": false, "input": {"message": "hi"},
                "finalOutput": "hello", "error": null, "latestSeq": 3, "requestId": "req-1",
                "pendingApproval": {
                    "id": "ap-1", "runId": "run-1", "agentId": "agent-1", "deploymentId": "dep-1",
                    "externalAppId": null, "toolCallId": "call-1", "toolName": "refund",
                    "arguments": {"amount": 5}, "status": "PENDING", "reason": null, "decidedBy": null,
                    "createdAt": "1970-01-01T00:00:00.001Z", "decidedAt": null,
                },
                "steps": 1, "usage": {"inputTokens": 10, "outputTokens": 5},
                "createdAt": "1970-01-01T00:00:00.000Z", "startedAt": "1970-01-01T00:00:00.001Z",
                "completedAt": null, "updatedAt": "1970-01-01T00:00:00.002Z",
            })
        );
    }

    #[test]
    fn a_start_answer_is_pending_until_the_run_settles_and_carries_the_output_once_completed() {
        let wire = serde_json::to_value(run_start(row("RUNNING")).unwrap()).unwrap();
        assert_eq!(response_problems("RunStartResponse", &wire), []);
        assert_eq!((&wire["status"], &wire["finalOutput"]), (&json!("PENDING"), &Value::Null));
        let done = serde_json::to_value(run_start(row("COMPLETED")).unwrap()).unwrap();
        assert_eq!(response_problems("RunStartResponse", &done), []);
        assert_eq!((&done["status"], &done["finalOutput"]), (&json!("COMPLETED"), &json!("hello")));
    }

    #[test]
    fn an_event_page_keeps_the_catalogue_wire_format() {
        let e = EventRow { seq: 1, event: "text".into(), data: json!({"content": "hi"}), created_at: 0 };
        let page = EventPage { run: row("RUNNING"), events: vec![e], next_cursor: Some("1".into()), total: 3 };
        let wire = serde_json::to_value(event_page(page).unwrap()).unwrap();
        assert_eq!(response_problems("RunEventPage", &wire), []);
        let item = json!({
            "id": "1", "seq": 1, "runId": "run-1", "event": "text", "data": {"content": "hi"},
            "createdAt": "1970-01-01T00:00:00.000Z",
        });
        assert_eq!(
            wire,
            json!({
                "runId": "run-1", "items": [item], "events": [item], "nextCursor": "1", "total": 3,
                "latestSeq": 3, "status": "RUNNING",
            })
        );
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(approval(pending()).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        let name = map.remove("toolName").unwrap();
        map.insert("tool".into(), name);
        let problems = response_problems("Approval", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"tool") && fields.contains(&"toolName"), "{problems:?}");
    }

    #[test]
    fn a_stored_status_the_catalogue_does_not_know_is_an_internal_error() {
        let v = RunView { row: row("PAUSED"), pending: None };
        assert_eq!(run(v).unwrap_err().code, "INTERNAL_ERROR");
    }
}
