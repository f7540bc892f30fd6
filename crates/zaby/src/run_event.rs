//! `RunEvent`: a stream event with its payload typed by its name (`docs/streaming.md`).
//!
//! An event whose name this SDK does not know, or whose data does not have the shape of
//! its name's payload, is kept whole as `Other(SseEvent)`: nothing is ever dropped.

use crate::sse::SseEvent;
use crate::types;

/// A run event's payload type and the name it travels under (`"text"` for
/// [`types::Text`], …): what a server or a test double writing a stream pairs.
pub trait RunEventPayload: serde::Serialize + serde::de::DeserializeOwned {
    /// The event's wire name.
    const NAME: &'static str;
}

macro_rules! run_events {
    ($( $(#[$doc:meta])* $variant:ident = $wire:literal ),+ $(,)?) => {
        /// One event of a run, typed by its name. `id` is the event's `seq` in decimal.
        #[derive(Clone, Debug, PartialEq)]
        pub enum RunEvent {
            $( $(#[$doc])* $variant { id: Option<String>, data: types::$variant }, )+
            /// An event this SDK cannot type (a newer name, or data of another shape), as received.
            Other(SseEvent),
        }

        impl RunEvent {
            /// The wire name of the event (`"text"`, `"RunFinished"`, …).
            pub fn name(&self) -> Option<&str> {
                match self {
                    $( RunEvent::$variant { .. } => Some($wire), )+
                    RunEvent::Other(ev) => ev.event.as_deref(),
                }
            }

            /// The event's id (its `seq`), when the server sent one.
            pub fn id(&self) -> Option<&str> {
                match self {
                    $( RunEvent::$variant { id, .. } )|+ => id.as_deref(),
                    RunEvent::Other(ev) => ev.id.as_deref(),
                }
            }

            /// The event as it travels: name, id and data as JSON.
            pub fn raw(&self) -> SseEvent {
                match self {
                    $( RunEvent::$variant { id, data } => SseEvent {
                        id: id.clone(),
                        event: Some($wire.to_owned()),
                        // A catalogue struct always serializes (string keys, no failing impls).
                        data: serde_json::to_value(data).unwrap_or_default(),
                    }, )+
                    RunEvent::Other(ev) => ev.clone(),
                }
            }
        }

        $( impl RunEventPayload for types::$variant { const NAME: &'static str = $wire; } )+

        impl From<SseEvent> for RunEvent {
            fn from(ev: SseEvent) -> RunEvent {
                match ev.event.as_deref() {
                    $( Some($wire) => match serde_json::from_value::<types::$variant>(ev.data.clone()) {
                        Ok(data) => RunEvent::$variant { id: ev.id, data },
                        Err(e) => {
                            tracing::warn!(target: "zaby", event = $wire, error = %e, "event data does not match its payload type; kept as RunEvent::Other");
                            RunEvent::Other(ev)
                        }
                    }, )+
                    _ => RunEvent::Other(ev),
                }
            }
        }
    };
}

run_events! {
    /// First event of every run.
    RunStarted = "RunStarted",
    /// Intermediate reasoning or progress.
    Thinking = "thinking",
    /// A chunk of the answer.
    Text = "text",
    /// The agent invokes a tool.
    ToolCall = "tool_call",
    /// A tool call finished.
    ToolResult = "tool_result",
    /// A tool call waits for a human decision.
    ApprovalRequired = "approval_required",
    /// Terminal: the run completed or was cancelled.
    RunFinished = "RunFinished",
    /// Terminal: the run failed.
    RunError = "RunError",
}

impl RunEvent {
    /// Whether this event ends the run's stream.
    pub fn is_terminal(&self) -> bool {
        matches!(self, RunEvent::RunFinished { .. } | RunEvent::RunError { .. })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sse(event: Option<&str>, data: serde_json::Value) -> SseEvent {
        SseEvent { id: Some("7".into()), event: event.map(str::to_owned), data }
    }

    #[test]
    fn known_names_get_their_payload_type() {
        let ev = RunEvent::from(sse(Some("text"), json!({"content": "You "})));
        match &ev {
            RunEvent::Text { id, data } => assert_eq!((id.as_deref(), data.content.as_str()), (Some("7"), "You ")),
            other => panic!("{other:?}"),
        }
        assert_eq!((ev.name(), ev.id(), ev.is_terminal()), (Some("text"), Some("7"), false));
        assert_eq!(ev.raw(), sse(Some("text"), json!({"content": "You "})));

        let wire = json!({"runId": "r", "message": "boom", "code": "MODEL_ERROR"});
        let ev = RunEvent::from(sse(Some("RunError"), wire.clone()));
        assert!(matches!(&ev, RunEvent::RunError { data, .. } if data.code == types::RunErrorCode::ModelError));
        assert!(ev.is_terminal());
        assert_eq!(ev.raw().data, wire);
    }

    #[test]
    fn unknown_names_and_misshapen_data_are_kept_whole() {
        for raw in [
            sse(Some("heartbeat_v2"), json!({"x": 1})),
            sse(None, json!("plain text")),
            sse(Some("text"), json!({"no": "content"})),
        ] {
            let ev = RunEvent::from(raw.clone());
            assert_eq!(ev, RunEvent::Other(raw.clone()));
            assert_eq!((ev.raw(), ev.id(), ev.name()), (raw.clone(), Some("7"), raw.event.as_deref()));
        }
    }
}
