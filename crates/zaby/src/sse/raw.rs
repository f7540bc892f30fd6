//! Events whose `data` is kept as the text that arrived.
//!
//! Parsing every event's data into a [`Value`] allocates a map per event, and a binding
//! whose host language parses JSON itself (Node's `JSON.parse`) would only serialise it
//! back to text. The stream therefore carries the text and parses it where a `Value` is
//! wanted; [`RawSseEvent::data_json`] tells a binding whether the text can be forwarded
//! untouched, by exactly the rule [`SseEvent::data`] follows.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Deserialize, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{SseEvent, is_terminal_name};

/// One server-sent event with its data as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    /// The `data` lines joined by `\n`.
    pub data: String,
}

impl RawSseEvent {
    /// Whether this event ends a run's stream (`docs/streaming.md`). The data is parsed only
    /// for an event without a name, the one case where its `type` decides.
    pub fn is_terminal(&self) -> bool {
        match &self.event {
            Some(name) => is_terminal_name(name),
            None => parse_data(&self.data).get("type").and_then(Value::as_str).is_some_and(is_terminal_name),
        }
    }

    /// The data text when it is JSON that [`SseEvent::data`] would hold parsed; `None`
    /// when that field would hold the text as a string instead.
    pub fn data_json(&self) -> Option<&str> {
        is_json(&self.data).then_some(self.data.as_str())
    }

    /// Appends the event as the JSON object `{"data":…,"id":…,"event":…}` without the
    /// fields it lacks, its data as it arrived when that is JSON (a string otherwise, as
    /// [`SseEvent::data`] has it): what bindings that move events as text hand their
    /// facades. With `numeric_ids`, an id of plain decimal digits below 2^53 is written
    /// as a number (for a facade that turns it back into the string: `JSON.parse`
    /// interns short strings, and a table growing by one id per event costs more than
    /// the parse itself).
    pub fn write_json(&self, out: &mut Vec<u8>, numeric_ids: bool) -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"data\":");
        match self.data_json() {
            Some(json) => out.extend_from_slice(json.as_bytes()),
            None => serde_json::to_writer(&mut *out, &self.data)?,
        }
        if let Some(id) = &self.id {
            out.extend_from_slice(b",\"id\":");
            if numeric_ids && is_plain_integer(id) {
                out.extend_from_slice(id.as_bytes());
            } else {
                serde_json::to_writer(&mut *out, id)?;
            }
        }
        if let Some(event) = &self.event {
            out.extend_from_slice(b",\"event\":");
            serde_json::to_writer(&mut *out, event)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// The event with its data parsed (`docs/streaming.md`: invalid JSON becomes a string).
    pub fn into_event(self) -> SseEvent {
        SseEvent { id: self.id, event: self.event, data: parse_data(&self.data) }
    }
}

impl From<RawSseEvent> for SseEvent {
    fn from(raw: RawSseEvent) -> Self {
        raw.into_event()
    }
}

/// Whether `id` reads back unchanged as a JavaScript number: decimal digits, no leading
/// zero, below 2^53.
fn is_plain_integer(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) && (b[0] != b'0' || b.len() == 1)
}

pub(crate) fn parse_data(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// Whether `serde_json::from_str::<Value>(text)` succeeds, without building the value.
/// It walks the text through the same `deserialize_any` calls a `Value` makes, so the
/// rules are the same ones: numbers in range, escapes decoded (lone surrogates refused),
/// nesting bounded, nothing but whitespace after the value.
fn is_json(text: &str) -> bool {
    serde_json::from_str::<Checked>(text).is_ok()
}

struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(event: Option<&str>, data: &str) -> RawSseEvent {
        RawSseEvent { id: None, event: event.map(str::to_owned), data: data.to_owned() }
    }

    #[test]
    fn write_json_keeps_json_data_as_text_and_leaves_out_absent_fields() {
        let write = |ev: &RawSseEvent, numeric_ids: bool| {
            let mut out = Vec::new();
            ev.write_json(&mut out, numeric_ids).unwrap();
            String::from_utf8(out).unwrap()
        };
        let mut ev = raw(Some("text"), r#"{"content": "hi"}"#);
        ev.id = Some("42".to_owned());
        assert_eq!(write(&ev, false), r#"{"data":{"content": "hi"},"id":"42","event":"text"}"#);
        assert_eq!(write(&ev, true), r#"{"data":{"content": "hi"},"id":42,"event":"text"}"#);
        ev.id = Some("042".to_owned());
        assert_eq!(write(&ev, true), r#"{"data":{"content": "hi"},"id":"042","event":"text"}"#);
        assert_eq!(write(&raw(None, "plain \"text\""), true), r#"{"data":"plain \"text\""}"#);
    }

    #[test]
    fn data_json_agrees_with_value_parsing() {
        let cases = [
            r#"{"type":"text","delta":"hé\n"}"#,
            " [1, 2.5, -0, 1e2, true, null] ",
            r#""\u00e9""#,
            r#""\ud83d\ude00""#,
            "plain text",
            "",
            "{\"a\":1",
            "1e400",
            r#""\ud800""#,
            "{} {}",
            "[1,]",
            "00",
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
            &format!("{}{}", "[".repeat(100), "]".repeat(100)),
        ];
        for text in cases {
            let expected = serde_json::from_str::<Value>(text).is_ok();
            assert_eq!(raw(None, text).data_json().is_some(), expected, "{text:?}");
        }
    }

    #[test]
    fn into_event_parses_or_keeps_the_text() {
        assert_eq!(raw(None, r#"{"a":[1]}"#).into_event().data, serde_json::json!({"a": [1]}));
        assert_eq!(raw(None, "not json").into_event().data, Value::String("not json".into()));
    }

    #[test]
    fn terminal_by_name_or_by_data_type() {
        assert!(raw(Some("RunFinished"), "not json").is_terminal());
        assert!(!raw(Some("text"), r#"{"type":"RunError"}"#).is_terminal());
        assert!(raw(None, r#"{"type":"RunError"}"#).is_terminal());
        assert!(!raw(None, r#"{"type":"text"}"#).is_terminal());
        assert!(!raw(None, "RunFinished").is_terminal());
    }
}
