//! Completion callbacks: one weak threadsafe function per asynchronous operation.
//! The facade passes `(outcome) => void`; the outcome is `{ ok: true, value }` (a
//! call's answer: `{ ok: true, json }`, JSON text),
//! `{ ok: true, done: true }` at the end of an iterator, or `{ ok: false, error }`;
//! a batch of a cursor is `{ batch, done?, error? }` (`cursor.rs`).

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use serde_json::{Value, json};

/// A threadsafe function that never keeps the event loop alive by itself.
pub type WeakFn<T, R> = ThreadsafeFunction<T, R, T, Status, false, true, 0>;

/// Where an operation reports its outcome.
pub struct Done(WeakFn<Value, ()>);

impl Done {
    pub fn new(callback: Function<'_, Value, ()>) -> Result<Done> {
        Ok(Done(callback.build_threadsafe_function::<Value>().weak::<true>().build()?))
    }

    fn send(&self, outcome: Value) {
        // NonBlocking never waits; a closing environment simply drops the outcome.
        let _ = self.0.call(outcome, ThreadsafeFunctionCallMode::NonBlocking);
    }

    pub fn value(&self, value: Value) {
        self.send(json!({ "ok": true, "value": value }));
    }

    pub fn end(&self) {
        self.send(json!({ "ok": true, "done": true }));
    }

    pub fn error(&self, error: &zaby::ZabyError) {
        self.send(json!({ "ok": false, "error": error.payload() }));
    }

    /// A batch of a cursor: the items as JSON array text, and how the cursor stands
    /// after them (`done`: ended or failed; `error`: it failed).
    pub fn batch(&self, items: String, error: Option<&zaby::ZabyError>, done: bool) {
        let mut o = json!({ "batch": items });
        if done {
            o["done"] = Value::Bool(true);
        }
        if let Some(e) = error {
            o["error"] = e.payload();
        }
        self.send(o);
    }

    /// A call's answer as JSON text (`{ ok: true, json }`), serialized here, off the JS
    /// thread, for one `JSON.parse` there instead of a conversion property by property.
    pub fn json(&self, result: zaby::Result<Value>) {
        match result.and_then(|v| {
            serde_json::to_string(&v).map_err(|e| zaby::ZabyError::client("INTERNAL_ERROR", e.to_string()))
        }) {
            Ok(text) => self.send(json!({ "ok": true, "json": text })),
            Err(e) => self.error(&e),
        }
    }
}
