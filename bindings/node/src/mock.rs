//! `MockTransport` for JS (`docs/testing.md`): a handle on the core's `zaby::testing::MockTransport`,
//! so matching, recording and the exact failure messages are the core's.

use std::collections::BTreeMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value, json};
use zaby::ZabyError;
use zaby::testing::{MockResponse, MockTransport};
use zaby::transport::{Transport, TransportRequest};

use crate::done::Done;
use crate::throw;

#[napi]
pub struct NativeMockTransport {
    pub(crate) inner: Arc<MockTransport>,
}

fn bad(message: String) -> ZabyError {
    ZabyError::invalid_argument(message)
}

fn status_of(v: Option<&Value>, what: &str) -> zaby::Result<u16> {
    match v {
        None | Some(Value::Null) => Ok(200),
        Some(v) => v
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|n| (100..=599).contains(n))
            .ok_or_else(|| bad(format!("{what}.status must be an HTTP status (100–599), got {v}"))),
    }
}

fn headers_of(v: Option<&Value>, what: &str) -> zaby::Result<BTreeMap<String, String>> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.to_ascii_lowercase(), s.clone())),
                other => Err(bad(format!("{what}.headers[{k:?}] must be a string, got {other}"))),
            })
            .collect(),
        Some(other) => Err(bad(format!("{what}.headers must be an object of strings, got {other}"))),
    }
}

fn events_of(v: &Value, what: &str) -> zaby::Result<Vec<Value>> {
    let items = v.as_array().ok_or_else(|| bad(format!("{what} must be an array of events, got {v}")))?;
    for (i, ev) in items.iter().enumerate() {
        if !ev.is_object() {
            return Err(bad(format!("{what}[{i}] must be an object {{ id?, event?, data }}, got {ev}")));
        }
    }
    Ok(items.clone())
}

fn text_field(map: &Map<String, Value>, name: &str, what: &str) -> zaby::Result<String> {
    map.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| bad(format!("{what}.{name} is required (a string)")))
}

/// `{ method, path, status?, json?, body?, headers?, events? }` → `MockResponse`.
fn response_from_js(v: &Value, what: &str) -> zaby::Result<MockResponse> {
    let map = v.as_object().ok_or_else(|| bad(format!("{what} must be an object, got {v}")))?;
    const KNOWN: [&str; 7] = ["method", "path", "status", "json", "body", "headers", "events"];
    if let Some(k) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(bad(format!("{what} has an unknown field {k:?} (known: {})", KNOWN.join(", "))));
    }
    let body = match map.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(bad(format!("{what}.body must be a string (use json for values), got {other}"))),
    };
    let events = match map.get("events") {
        None | Some(Value::Null) => None,
        Some(v) => Some(events_of(v, &format!("{what}.events"))?),
    };
    Ok(MockResponse {
        method: text_field(map, "method", what)?,
        path: text_field(map, "path", what)?,
        status: status_of(map.get("status"), what)?,
        json_body: map.get("json").filter(|v| !v.is_null()).cloned(),
        body,
        headers: headers_of(map.get("headers"), what)?,
        events,
    })
}

/// A `TransportRequest` from JS (`send` called directly on the mock).
fn request_from_js(v: &Value) -> zaby::Result<TransportRequest> {
    let map = v.as_object().ok_or_else(|| bad(format!("request must be an object, got {v}")))?;
    let method = text_field(map, "method", "request")?.to_ascii_uppercase();
    let path = text_field(map, "path", "request")?;
    let url = map.get("url").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| path.clone());
    let timeout_ms = map.get("timeoutMs").and_then(Value::as_u64).unwrap_or(30_000);
    Ok(TransportRequest {
        method,
        url,
        path,
        headers: headers_of(map.get("headers"), "request")?,
        json_body: map.get("json").filter(|v| !v.is_null()).cloned(),
        stream: map.get("stream").and_then(Value::as_bool).unwrap_or(false),
        timeout: std::time::Duration::from_millis(timeout_ms),
    })
}

#[napi]
impl NativeMockTransport {
    #[napi(constructor)]
    pub fn new(responses: Option<Vec<Value>>) -> Result<Self> {
        let queue = responses
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, r)| response_from_js(r, &format!("responses[{i}]")))
            .collect::<zaby::Result<Vec<_>>>()
            .map_err(throw)?;
        Ok(NativeMockTransport { inner: Arc::new(MockTransport::new(queue)) })
    }

    #[napi]
    pub fn add_response(&self, response: Value) -> Result<()> {
        self.inner.push(response_from_js(&response, "response").map_err(throw)?);
        Ok(())
    }

    /// A JSON response; a string body is returned as raw text (`docs/testing.md`).
    #[napi]
    pub fn set_response(
        &self,
        method: String,
        path: String,
        status: Option<Value>,
        body: Option<Value>,
        headers: Option<Value>,
    ) -> Result<()> {
        let (json_body, text) = match body {
            None | Some(Value::Null) => (None, None),
            Some(Value::String(s)) => (None, Some(s)),
            Some(v) => (Some(v), None),
        };
        let response = MockResponse {
            method,
            path,
            status: status_of(status.as_ref(), "setResponse").map_err(throw)?,
            json_body,
            body: text,
            headers: headers_of(headers.as_ref(), "setResponse").map_err(throw)?,
            events: None,
        };
        self.inner.push(response);
        Ok(())
    }

    #[napi]
    pub fn set_sse(
        &self,
        method: String,
        path: String,
        events: Value,
        status: Option<Value>,
        headers: Option<Value>,
    ) -> Result<()> {
        let response = MockResponse {
            method,
            path,
            status: status_of(status.as_ref(), "setSse").map_err(throw)?,
            headers: headers_of(headers.as_ref(), "setSse").map_err(throw)?,
            events: Some(events_of(&events, "setSse events").map_err(throw)?),
            ..Default::default()
        };
        self.inner.push(response);
        Ok(())
    }

    /// `MockTransport` is a transport too: answers one request like the SDK's attempts do.
    #[napi]
    pub fn send(&self, request: Value, done: Function<'_, Value, ()>) -> Result<()> {
        let done = Done::new(done)?;
        let request = match request_from_js(&request) {
            Ok(r) => r,
            Err(e) => {
                done.error(&e);
                return Ok(());
            }
        };
        let mock = self.inner.clone();
        spawn(async move {
            match mock.send(request).await {
                Ok(r) => {
                    done.value(json!({ "status": r.status, "headers": r.headers, "json": r.json_body, "body": r.body }))
                }
                Err(e) => done.error(&e),
            }
        });
        Ok(())
    }

    #[napi]
    pub fn reset(&self) {
        self.inner.reset();
    }

    #[napi(getter)]
    pub fn pending(&self) -> u32 {
        self.inner.pending() as u32
    }

    /// Recorded requests; `json` and its alias `body` are absent when there was no body.
    #[napi(getter)]
    pub fn requests(&self) -> Value {
        Value::Array(
            self.inner
                .requests()
                .into_iter()
                .map(|r| {
                    let mut o = json!({
                        "method": r.method,
                        "url": r.url,
                        "path": r.path,
                        "headers": r.headers,
                        "stream": r.stream,
                    });
                    if let Some(body) = r.json_body {
                        o["json"] = body.clone();
                        o["body"] = body;
                    }
                    o
                })
                .collect(),
        )
    }
}
