//! Auto-paginating iterators (`docs/pagination.md`): items, not pages, fetched lazily.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::core::{Call, CoreRef, RequestOptions};
use crate::error::{Result, ZabyError, codes};
use crate::request::{decode, execute, with_cancel};

/// A stream of list items of type `T` across pages (`Value` items for the by-name
/// entry the bindings use). Configure it before the first poll.
#[must_use = "a Paginator does nothing until it is polled"]
pub struct Paginator<T = Value> {
    setup: Option<(CoreRef, Result<Call>, RequestOptions)>,
    inner: Option<BoxStream<'static, Result<Value>>>,
    _item: PhantomData<fn() -> T>,
}

struct PageState {
    core: CoreRef,
    call: Call,
    options: RequestOptions,
    items: VecDeque<Value>,
    /// The cursor of the next page to fetch (`Some(None)`: the first page without a cursor);
    /// `None` once the last page has been read.
    next_cursor: Option<Option<String>>,
    /// Set when a page repeated the cursor it was fetched with.
    repeated: Option<String>,
    pages_fetched: u32,
}

impl<T> Paginator<T> {
    pub(crate) fn new(core: CoreRef, call: Result<Call>) -> Self {
        Paginator { setup: Some((core, call, RequestOptions::default())), inner: None, _item: PhantomData }
    }

    /// The same pages, yielding each item as the JSON value that arrived.
    pub fn json(self) -> Paginator<Value> {
        Paginator { setup: self.setup, inner: self.inner, _item: PhantomData }
    }

    fn options_mut(&mut self) -> &mut RequestOptions {
        &mut self.setup.as_mut().expect("options are set before the first poll").2
    }

    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.options_mut().request_id = Some(id.into());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options_mut().timeout = Some(timeout);
        self
    }

    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.options_mut().cancel = Some(token);
        self
    }

    pub fn options(mut self, options: RequestOptions) -> Self {
        *self.options_mut() = options;
        self
    }

    fn start(&mut self) -> &mut BoxStream<'static, Result<Value>> {
        if self.inner.is_none() {
            let (core, call, options) = self.setup.take().expect("paginator set up once");
            let stream = match call {
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
                Ok(call) => {
                    // The caller's cursor, if any, is the starting point.
                    let first = call.query.as_ref().and_then(|q| q.get("cursor")).and_then(cursor_text);
                    let state = PageState {
                        core,
                        call,
                        options,
                        items: VecDeque::new(),
                        next_cursor: Some(first),
                        repeated: None,
                        pages_fetched: 0,
                    };
                    futures::stream::unfold(state, next_item).boxed()
                }
            };
            // Fused: polling again after the end keeps answering `None` instead of panicking.
            self.inner = Some(stream.fuse().boxed());
        }
        self.inner.as_mut().expect("just set")
    }
}

fn cursor_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

async fn next_item(mut state: PageState) -> Option<(Result<Value>, PageState)> {
    loop {
        if let Some(item) = state.items.pop_front() {
            return Some((Ok(item), state));
        }
        if let Some(cursor) = state.repeated.take() {
            return Some((Err(repeated(&cursor)), state));
        }
        let cursor = state.next_cursor.take()?;
        let mut call = state.call.clone();
        // The first page goes out with the caller's query unchanged; later pages replace
        // `cursor` in place (or append it), keeping every other field and the key order.
        if state.pages_fetched > 0 {
            let mut query = match call.query.take() {
                Some(Value::Object(map)) => map,
                _ => Map::new(),
            };
            if let Some(c) = &cursor {
                query.insert("cursor".into(), Value::String(c.clone()));
            }
            call.query = Some(Value::Object(query));
        }
        state.pages_fetched += 1;
        let page = match with_cancel(state.options.cancel.clone(), execute(&state.core, &call, &state.options)).await {
            Ok(page) => page,
            Err(e) => return Some((Err(e), state)),
        };
        let items = page.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
        if items.is_empty() {
            return None;
        }
        state.items.extend(items);
        match page.get("nextCursor").and_then(cursor_text) {
            // Deliver this page, then fail where the next one would be needed.
            Some(next) if cursor.as_ref() == Some(&next) => state.repeated = Some(next),
            Some(next) => state.next_cursor = Some(Some(next)),
            None => {}
        }
    }
}

impl<T: DeserializeOwned> Stream for Paginator<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.start().poll_next_unpin(cx).map(|item| item.map(|r| r.and_then(decode)))
    }
}

fn repeated(cursor: &str) -> ZabyError {
    ZabyError::client(
        codes::PAGINATION_CURSOR_REPEATED,
        format!("the server returned the cursor {cursor:?} that was just sent; stopping instead of looping forever"),
    )
}
