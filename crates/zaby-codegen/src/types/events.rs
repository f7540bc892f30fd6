//! The stream events of a run (docs/streaming.md#events) as the emitters see them: each name of the
//! `RunEventName` enum with its payload object, so that a typed event union can say
//! "`event` is `text`, therefore `data` is a `Text`".
//!
//! The payload of an event is the catalogue object named by the event name in
//! PascalCase (`tool_call` → `ToolCall`, `RunStarted` → `RunStarted`); the catalogue
//! declares one for every name, and a missing one stops generation.

use super::model::{Catalogue, TypeDef};

/// The enum of event names and the object of a stored event (`RunEventPage.items`).
pub const NAMES_ENUM: &str = "RunEventName";
pub const EVENT_OBJECT: &str = "RunEvent";

/// A named stream event and its payload type.
pub struct StreamEvent<'a> {
    /// The wire name (`tool_call`).
    pub name: &'a str,
    pub payload: &'a TypeDef,
}

/// Every event of docs/streaming.md#events, in catalogue order.
pub fn stream_events(cat: &Catalogue) -> Vec<StreamEvent<'_>> {
    let names = cat.enum_def(NAMES_ENUM).unwrap_or_else(|| panic!("type catalogue: no enum `{NAMES_ENUM}`"));
    names
        .values
        .iter()
        .map(|name| {
            let payload = cat.type_def(&pascal_case(name)).unwrap_or_else(|| {
                panic!("type catalogue: event `{name}` has no payload object `{}`", pascal_case(name))
            });
            StreamEvent { name, payload }
        })
        .collect()
}

/// `tool_call` → `ToolCall`; `RunStarted` stays.
pub fn pascal_case(name: &str) -> String {
    let camel = super::camel_from_snake(name);
    let mut chars = camel.chars();
    chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_name_has_its_payload() {
        let cat = super::super::catalogue();
        let events = stream_events(&cat);
        let pairs: Vec<(&str, &str)> = events.iter().map(|e| (e.name, e.payload.name.as_str())).collect();
        assert_eq!(
            pairs,
            [
                ("RunStarted", "RunStarted"),
                ("text", "Text"),
                ("thinking", "Thinking"),
                ("tool_call", "ToolCall"),
                ("tool_result", "ToolResult"),
                ("approval_required", "ApprovalRequired"),
                ("RunFinished", "RunFinished"),
                ("RunError", "RunError"),
            ]
        );
    }
}
