//! `NativeCursor`: an async iterator over a core stream — the events of a run
//! (`RunEventStream`) or the items of an `iter…` method (`Paginator`). The facade wraps
//! it in an `async function*` whose `finally` calls `close()`.

use std::sync::Arc;

use futures::stream::{BoxStream, StreamExt};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::done::Done;

type Items = BoxStream<'static, zaby::Result<Value>>;

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
                Some(Ok(value)) => done.value(value),
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

    /// Ends the iteration and drops the stream (closing its HTTP connection) at once;
    /// a `next()` in flight finishes with the end.
    #[napi]
    pub fn close(&self) {
        self.state.closed.cancel();
        if let Ok(mut slot) = self.state.items.try_lock() {
            if let Some(items) = slot.take() {
                // Dropped on the runtime, where the transport's connection lives.
                spawn(async move { drop(items) });
            }
        }
    }
}
