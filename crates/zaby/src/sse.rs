//! The SSE parser of `docs/streaming.md`, usable on its own.
//!
//! Feed it bytes as they arrive with [`SseParser::feed`]; it yields every event whose
//! block is complete. At the end of a network stream drop the parser (an unterminated
//! final block is discarded); at the end of a complete in-memory body call
//! [`SseParser::finish`] to dispatch the final block too.

use serde::{Deserialize, Serialize};
use serde_json::Value;

mod raw;

pub use raw::RawSseEvent;

/// One server-sent event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    /// The data parsed as JSON when it is valid JSON, else the text as a string.
    pub data: Value,
}

impl SseEvent {
    /// Whether this event ends a run's stream (`docs/streaming.md`).
    pub fn is_terminal(&self) -> bool {
        match &self.event {
            Some(name) => is_terminal_name(name),
            None => self.data.get("type").and_then(Value::as_str).is_some_and(is_terminal_name),
        }
    }
}

fn is_terminal_name(name: &str) -> bool {
    name == "RunFinished" || name == "RunError"
}

/// Incremental SSE parser.
#[derive(Debug)]
pub struct SseParser {
    /// Bytes of an incomplete UTF-8 sequence carried to the next chunk.
    pending_utf8: Vec<u8>,
    /// The current, unterminated line.
    line: String,
    /// The previous chunk ended with `\r`; a leading `\n` of the next one belongs to it.
    after_cr: bool,
    /// Nothing decoded yet: a leading byte-order mark is dropped.
    at_start: bool,
    event: Option<String>,
    id: Option<String>,
    data: Option<String>,
    has_field: bool,
}

impl Default for SseParser {
    fn default() -> Self {
        SseParser {
            pending_utf8: Vec::new(),
            line: String::new(),
            after_cr: false,
            at_start: true,
            event: None,
            id: None,
            data: None,
            has_field: false,
        }
    }
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `chunk` and returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        self.feed_raw(chunk).into_iter().map(RawSseEvent::into_event).collect()
    }

    /// Like [`SseParser::feed`], with each event's data left as text.
    pub fn feed_raw(&mut self, chunk: &[u8]) -> Vec<RawSseEvent> {
        let mut out = Vec::new();
        match std::str::from_utf8(chunk) {
            // The common case, parsed in place without a copy of the chunk.
            Ok(text) if self.pending_utf8.is_empty() => self.push_text(text, &mut out),
            _ => {
                let text = self.decode(chunk);
                self.push_text(&text, &mut out);
            }
        }
        out
    }

    /// Parses a string slice (already decoded).
    pub fn feed_str(&mut self, text: &str) -> Vec<SseEvent> {
        let mut out = Vec::new();
        self.push_text(text, &mut out);
        out.into_iter().map(RawSseEvent::into_event).collect()
    }

    /// Ends a complete body: an unterminated last line and block are dispatched.
    pub fn finish(self) -> Option<SseEvent> {
        self.finish_raw().map(RawSseEvent::into_event)
    }

    /// Like [`SseParser::finish`], with the data left as text.
    pub fn finish_raw(mut self) -> Option<RawSseEvent> {
        let mut out = Vec::new();
        if !self.pending_utf8.is_empty() {
            let rest = String::from_utf8_lossy(&std::mem::take(&mut self.pending_utf8)).into_owned();
            self.push_text(&rest, &mut out);
        }
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, &mut out);
        }
        self.dispatch(&mut out);
        out.pop()
    }

    /// Parses a whole body at once, dispatching the final block.
    pub fn parse_complete(text: &str) -> Vec<SseEvent> {
        Self::parse_complete_raw(text).into_iter().map(RawSseEvent::into_event).collect()
    }

    /// Like [`SseParser::parse_complete`], with the data left as text.
    pub fn parse_complete_raw(text: &str) -> Vec<RawSseEvent> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        parser.push_text(text, &mut events);
        events.extend(parser.finish_raw());
        events
    }

    fn decode(&mut self, chunk: &[u8]) -> String {
        let mut bytes = std::mem::take(&mut self.pending_utf8);
        bytes.extend_from_slice(chunk);
        let mut out = String::with_capacity(bytes.len());
        let mut rest: &[u8] = &bytes;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // SAFETY-free: `valid` is valid UTF-8 by construction of `valid_up_to`.
                    out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                    match e.error_len() {
                        Some(bad) => {
                            out.push('\u{FFFD}');
                            rest = &after[bad..];
                        }
                        None => {
                            // An incomplete sequence at the end: wait for the next chunk.
                            self.pending_utf8 = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    fn push_text(&mut self, text: &str, out: &mut Vec<RawSseEvent>) {
        if text.is_empty() {
            return;
        }
        let mut text = text;
        if self.at_start {
            self.at_start = false;
            text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        }
        if std::mem::take(&mut self.after_cr) {
            // The second half of a CRLF that was split across chunks.
            text = text.strip_prefix('\n').unwrap_or(text);
        }
        let bytes = text.as_bytes();
        let (mut start, mut i) = (0, 0);
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\r' || b == b'\n' {
                if self.line.is_empty() {
                    // The whole line is in this chunk: no copy.
                    self.process_line(&text[start..i], out);
                } else {
                    self.line.push_str(&text[start..i]);
                    let line = std::mem::take(&mut self.line);
                    self.process_line(&line, out);
                }
                if b == b'\r' {
                    match bytes.get(i + 1) {
                        Some(b'\n') => i += 1,
                        Some(_) => {}
                        None => self.after_cr = true,
                    }
                }
                start = i + 1;
            }
            i += 1;
        }
        self.line.push_str(&text[start..]);
    }

    fn process_line(&mut self, line: &str, out: &mut Vec<RawSseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.find(':') {
            Some(pos) => {
                let value = &line[pos + 1..];
                (&line[..pos], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        match field {
            "event" => {
                self.event = Some(value.to_owned());
                self.has_field = true;
            }
            "data" => {
                match &mut self.data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(value);
                    }
                    None => self.data = Some(value.to_owned()),
                }
                self.has_field = true;
            }
            "id" => {
                if !value.contains('\0') {
                    self.id = Some(value.to_owned());
                }
                self.has_field = true;
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<RawSseEvent>) {
        if !std::mem::take(&mut self.has_field) {
            return;
        }
        let data = self.data.take().unwrap_or_default();
        out.push(RawSseEvent { id: self.id.take(), event: self.event.take(), data });
    }
}

#[cfg(test)]
mod tests;
