//! The data the executor stores: run event payloads and the objects inside them, always
//! built as the catalogue's structs (`zaby::types`), so a member renamed or retyped in the
//! catalogue breaks the build here instead of only a client reading the stream.

use serde::Serialize;
use serde_json::Value;
use zaby::RunEventPayload;

/// A catalogue value as the JSON stored for it.
pub(super) fn data<T: Serialize>(value: &T) -> Value {
    // A catalogue struct always serializes (string keys, no failing impls).
    serde_json::to_value(value).unwrap_or_default()
}

/// An event to store: its name and its data.
pub(super) fn event<T: RunEventPayload>(payload: T) -> (&'static str, Value) {
    (T::NAME, data(&payload))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};
    use zaby::{RunEvent, SseEvent, types};

    use super::*;

    /// Reads a stored event back as a client does.
    fn typed((name, data): (&'static str, Value)) -> (RunEvent, Value) {
        let ev = RunEvent::from(SseEvent { id: Some("1".into()), event: Some(name.into()), data: data.clone() });
        assert!(!matches!(ev, RunEvent::Other(_)), "{name} data {data} is not its catalogue payload");
        assert_eq!(ev.name(), Some(name));
        (ev, data)
    }

    #[test]
    fn every_event_kind_is_read_back_as_its_catalogue_payload() {
        let args: Map<String, Value> = json!({"amount": 5}).as_object().cloned().unwrap_or_default();
        let (ev, stored) = typed(event(types::RunStarted {
            run_id: "r".into(),
            workflow_id: "w".into(),
            deployment_id: None,
            agent_session_id: "s".into(),
            extra: Map::new(),
        }));
        assert!(matches!(ev, RunEvent::RunStarted { .. }));
        // A playground run has no deployment: the member is there, null.
        assert_eq!(stored, json!({"runId": "r", "workflowId": "w", "deploymentId": null, "agentSessionId": "s"}));

        let (ev, _) = typed(event(types::Thinking { content: "hmm".into(), extra: Map::new() }));
        assert!(matches!(ev, RunEvent::Thinking { .. }));
        let (ev, _) = typed(event(types::Text { content: "Hi".into(), extra: Map::new() }));
        assert!(matches!(ev, RunEvent::Text { .. }));
        let (ev, _) = typed(event(types::ToolCall {
            tool_call_id: "c".into(),
            tool_name: "refund".into(),
            arguments: args.clone(),
            execution: None,
            extra: Map::new(),
        }));
        assert!(matches!(ev, RunEvent::ToolCall { .. }));

        let refused = data(&types::ErrorInfo {
            code: "APPROVAL_REJECTED".into(),
            message: "rejected by a human".into(),
            extra: Map::from_iter([("reason".to_string(), Value::Null)]),
        });
        let (ev, stored) = typed(event(types::ToolResult {
            tool_call_id: "c".into(),
            tool_name: "refund".into(),
            result: refused,
            is_error: true,
            simulated: Some(false),
            extra: Map::new(),
        }));
        assert!(matches!(ev, RunEvent::ToolResult { .. }));
        // `simulated` is sent even when false, and a refusal's `reason` even when null.
        let result = json!({"code": "APPROVAL_REJECTED", "message": "rejected by a human", "reason": null});
        let wire =
            json!({"toolCallId": "c", "toolName": "refund", "result": result, "isError": true, "simulated": false});
        assert_eq!(stored, wire);

        let (ev, _) = typed(event(types::ApprovalRequired {
            approval_id: "a".into(),
            tool_call_id: Some("c".into()),
            tool_name: "refund".into(),
            arguments: args,
            extra: Map::new(),
        }));
        assert!(matches!(ev, RunEvent::ApprovalRequired { .. }));

        let citation = types::Citation {
            kind: types::CitationKind::Chunk,
            document_id: Some("d".into()),
            chunk_id: Some("k".into()),
            memory_item_id: None,
            title: None,
            score: 0.5,
            extra: Map::new(),
        };
        let (ev, _) = typed(event(types::RunFinished {
            run_id: "r".into(),
            status: "COMPLETED".into(),
            final_output: Some("Hi".into()),
            citations: Some(vec![citation]),
            extra: Map::new(),
        }));
        assert!(ev.is_terminal() && matches!(ev, RunEvent::RunFinished { .. }));

        let (ev, _) = typed(event(types::RunError {
            run_id: "r".into(),
            message: "boom".into(),
            code: "STEP_LIMIT_EXCEEDED".into(),
            extra: Map::new(),
        }));
        assert!(ev.is_terminal() && matches!(ev, RunEvent::RunError { .. }));
    }
}
