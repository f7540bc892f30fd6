//! `NativeCursor`: an async iterator over a core stream — the events of a run
//! (`RunEventStream`) or the items of an `iter…` method (`Paginator`). The facade wraps
//! it in an async generator whose `return()` calls `close()`.
//!
//! A run's events are pulled in batches (`nextBatch`): everything the core has already
//! parsed, up to a bound, crosses to JS as one JSON array text that the facade parses
//! with `JSON.parse`. One callback and one parse per batch instead of one thread hop
//! and a property-by-property conversion per event is what lets a stream of small
//! events keep up with the network; the bound keeps memory flat on long streams.
//! Each event's data goes into that text as it arrived (the core keeps it unparsed),
//! so JSON is parsed once, by `JSON.parse`, and never built and re-serialised here.
//! Pages keep `next`, one item per call, so an `iter…` never fetches a page early.

use std::sync::Arc;

use futures::FutureExt;
use futures::stream::{BoxStream, StreamExt};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::done::Done;

/// Most items and bytes in one batch (about two network reads of small events).
const BATCH_ITEMS: usize = 2048;
const BATCH_BYTES: usize = 256 * 1024;

/// What a cursor yields: a JSON value (a page item) or a run event.
pub enum Item {
    Value(Value),
    Event(zaby::RawSseEvent),
}

impl Item {
    fn into_value(self) -> Value {
        match self {
            Item::Value(v) => v,
            Item::Event(ev) => {
                let ev = ev.into_event();
                let mut o = json!({ "data": ev.data });
                if let Some(id) = ev.id {
                    o["id"] = Value::String(id);
                }
                if let Some(event) = ev.event {
                    o["event"] = Value::String(event);
                }
                o
            }
        }
    }

    /// Appends the item as JSON: an event as `{"data":…,"id":…,"event":…}` without
    /// absent fields (the shape `into_value` gives), a decimal id as a number (the
    /// facade turns it back into the string).
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Item::Value(v) => serde_json::to_writer(&mut *out, v),
            Item::Event(ev) => ev.write_json(out, true),
        }
    }
}

type Items = BoxStream<'static, zaby::Result<Item>>;

struct State {
    items: Mutex<Option<Items>>,
    closed: CancellationToken,
}

#[napi]
pub struct NativeCursor {
    state: Arc<State>,
}

impl NativeCursor {
    pub fn new(items: Items) -> Self {
        NativeCursor { state: Arc::new(State { items: Mutex::new(Some(items)), closed: CancellationToken::new() }) }
    }
}

/// How a batch ends: more may follow, the stream ended, or it failed.
enum Tail {
    More,
    End,
    Failed(zaby::ZabyError),
}

#[napi]
impl NativeCursor {
    /// Reports the next item, the end, or an error (after which the cursor is finished).
    #[napi]
    pub fn next(&self, done: Function<'_, Value, ()>) -> Result<()> {
        let done = Done::new(done)?;
        let state = self.state.clone();
        spawn(async move {
            let mut slot = state.items.lock().await;
            let Some(items) = slot.as_mut() else {
                return done.end();
            };
            let item = tokio::select! {
                biased;
                _ = state.closed.cancelled() => None,
                item = items.next() => item,
            };
            match item {
                Some(Ok(item)) => done.value(item.into_value()),
                Some(Err(e)) => {
                    // An error ends the iteration and releases the connection now.
                    *slot = None;
                    done.error(&e);
                }
                None => {
                    *slot = None;
                    done.end();
                }
            }
        });
        Ok(())
    }

    /// Waits for at least one item (or the end, or an error), then takes every item
    /// that is ready without waiting, up to the batch bound. Reports
    /// `{ batch: "[…]", done?, error? }`: the items as JSON array text, then whether
    /// the cursor ended or failed after them.
    #[napi]
    pub fn next_batch(&self, done: Function<'_, Value, ()>) -> Result<()> {
        let done = Done::new(done)?;
        let state = self.state.clone();
        spawn(async move {
            let mut slot = state.items.lock().await;
            let Some(items) = slot.as_mut() else {
                return done.batch("[]".to_owned(), None, true);
            };
            let mut next = tokio::select! {
                biased;
                _ = state.closed.cancelled() => None,
                item = items.next() => item,
            };
            let mut out = Vec::with_capacity(16 * 1024);
            out.push(b'[');
            let mut count = 0;
            let tail = loop {
                match next {
                    Some(Ok(item)) => {
                        if count > 0 {
                            out.push(b',');
                        }
                        count += 1;
                        if let Err(e) = item.write_json(&mut out) {
                            break Tail::Failed(zaby::ZabyError::client("INTERNAL_ERROR", e.to_string()));
                        }
                    }
                    Some(Err(e)) => break Tail::Failed(e),
                    None => break Tail::End,
                }
                if count >= BATCH_ITEMS || out.len() >= BATCH_BYTES || state.closed.is_cancelled() {
                    break Tail::More;
                }
                match items.next().now_or_never() {
                    Some(item) => next = item,
                    None => break Tail::More,
                }
            };
            out.push(b']');
            // Serialized JSON is UTF-8 by construction.
            let text = String::from_utf8(out).unwrap_or_else(|_| "[]".to_owned());
            let finished = !matches!(tail, Tail::More) || state.closed.is_cancelled();
            if finished {
                // The end, an error or a close releases the connection now.
                *slot = None;
            }
            match tail {
                Tail::Failed(e) => done.batch(text, Some(&e), true),
                _ => done.batch(text, None, finished),
            }
        });
        Ok(())
    }

    /// Ends the iteration and drops the stream (closing its HTTP connection) at once;
    /// a `next()` in flight finishes with the end.
    #[napi]
    pub fn close(&self) {
        self.state.closed.cancel();
        if let Ok(mut slot) = self.state.items.try_lock()
            && let Some(items) = slot.take()
        {
            // Dropped on the runtime, where the transport's connection lives.
            spawn(async move { drop(items) });
        }
    }
}
