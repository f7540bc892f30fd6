//! Completion callbacks: one weak threadsafe function per asynchronous operation.
//! The facade passes `(outcome) => void`; the outcome is `{ ok: true, value }`,
//! `{ ok: true, done: true }` at the end of an iterator, or `{ ok: false, error }`.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use serde_json::{Value, json};

use crate::errors::payload;

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
        self.send(json!({ "ok": false, "error": payload(error) }));
    }

    pub fn result(&self, result: zaby::Result<Value>) {
        match result {
            Ok(v) => self.value(v),
            Err(e) => self.error(&e),
        }
    }
}
