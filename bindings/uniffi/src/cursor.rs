//! `FfiCursor`: the items of an `iter…` method (a `Paginator`) or the events of a run
//! (`RawRunEventStream`), pulled by the Kotlin facade's `Flow`s.
//!
//! Each pull returns everything the core has ready, up to a bound, as one JSON array
//! text: one crossing and one parse per batch instead of one per event, while the bound
//! keeps memory flat on long streams. A page's items come one per pull, so an `iter…`
//! never fetches a page before the collector asks for its first item. Event data goes
//! into the text as it arrived (the core keeps it unparsed).

use std::sync::Arc;

use futures::FutureExt;
use futures::stream::{BoxStream, StreamExt};
use tokio::sync::Mutex;
use zaby::ZabyError;

use crate::errors::FfiError;
use crate::runtime;

/// Most events and bytes in one batch.
const BATCH_ITEMS: usize = 1024;
const BATCH_BYTES: usize = 256 * 1024;

pub(crate) enum Item {
    Value(serde_json::Value),
    Event(zaby::RawSseEvent),
}

impl Item {
    /// Appends the item as JSON; an event as `{"data":…,"id":"…","event":"…"}` without
    /// absent fields, its data as it arrived when that is JSON.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Item::Value(v) => serde_json::to_writer(&mut *out, v),
            Item::Event(ev) => ev.write_json(out, false),
        }
    }
}

type Items = BoxStream<'static, zaby::Result<Item>>;

struct State {
    items: Option<Items>,
    /// An error met after a batch's first item: reported by the next pull.
    failed: Option<ZabyError>,
    /// Pages: one item per pull.
    single: bool,
}

#[derive(uniffi::Object)]
pub struct FfiCursor {
    state: Arc<Mutex<State>>,
}

impl FfiCursor {
    pub(crate) fn new(items: Items, single: bool) -> Arc<Self> {
        Arc::new(FfiCursor { state: Arc::new(Mutex::new(State { items: Some(items), failed: None, single })) })
    }

    pub(crate) fn failed(e: ZabyError) -> Arc<Self> {
        Arc::new(FfiCursor { state: Arc::new(Mutex::new(State { items: None, failed: Some(e), single: true })) })
    }
}

async fn pull(state: Arc<Mutex<State>>) -> zaby::Result<Option<String>> {
    let mut state = state.lock().await;
    if let Some(e) = state.failed.take() {
        return Err(e);
    }
    let single = state.single;
    let Some(items) = state.items.as_mut() else {
        return Ok(None);
    };
    let mut next = items.next().await;
    let mut out = Vec::with_capacity(if single { 256 } else { 16 * 1024 });
    out.push(b'[');
    let mut count = 0;
    let mut ended = false;
    loop {
        match next {
            Some(Ok(item)) => {
                if count > 0 {
                    out.push(b',');
                }
                count += 1;
                item.write_json(&mut out)
                    .map_err(|e| ZabyError::client("INTERNAL_ERROR", format!("could not encode an item: {e}")))?;
            }
            Some(Err(e)) if count == 0 => {
                state.items = None;
                return Err(e);
            }
            Some(Err(e)) => {
                state.failed = Some(e);
                ended = true;
                break;
            }
            None => {
                ended = true;
                break;
            }
        }
        if single || count >= BATCH_ITEMS || out.len() >= BATCH_BYTES {
            break;
        }
        match items.next().now_or_never() {
            Some(item) => next = item,
            None => break,
        }
    }
    if ended {
        // The end or an error releases the connection now.
        state.items = None;
    }
    if count == 0 {
        return Ok(None);
    }
    out.push(b']');
    String::from_utf8(out)
        .map(Some)
        .map_err(|e| ZabyError::client("INTERNAL_ERROR", format!("an item was not UTF-8: {e}")))
}

#[uniffi::export]
impl FfiCursor {
    /// The next items as a JSON array text, or `null` at the end. An error ends the
    /// cursor. Cancelling the calling coroutine stops the wait (the cursor stays usable).
    pub async fn next_batch(&self) -> Result<Option<String>, FfiError> {
        Ok(runtime::run(pull(self.state.clone())).await?)
    }

    /// Ends the iteration and drops the stream, closing its HTTP connection.
    pub fn stop(&self) {
        // Dropped on the runtime, where the connection lives; once a pull in flight
        // (its coroutine being cancelled) lets go of the state.
        let state = self.state.clone();
        runtime::spawn(async move {
            let items = state.lock().await.items.take();
            drop(items);
        });
    }
}
