//! Client tools run by the SDK (`docs/function-tools.md`): a run's stream that, on each
//! `tool_call` event with `execution: "client"` naming one of the caller's functions,
//! calls it with the arguments and submits what it returns as the call's result.
//!
//! The caller still receives every event; a tool the map does not name is left to the
//! caller. The functions run alongside the stream, in the task that polls it (so a
//! binding's callbacks keep that task's context, such as Python's event loop): several
//! calls of one step run at the same time, and a slow function does not hold back the
//! events. A run waiting for results sends nothing, so the caller is polling then.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{BoxStream, FuturesUnordered, Stream, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};

use crate::core::CoreRef;
use crate::error::{Result, ZabyError};
use crate::run_event::RunEvent;
use crate::sse::RawSseEvent;

/// What a client tool answers: its result, or the message of its failure (submitted
/// with `isError: true`).
pub type ToolOutcome = std::result::Result<Value, String>;

/// One client tool as the runner holds it: the arguments object in, the outcome out.
pub type ToolFn = Arc<dyn Fn(Value) -> BoxFuture<'static, ToolOutcome> + Send + Sync>;

/// The functions that answer client tool calls, by tool name.
///
/// ```no_run
/// # async fn demo(runtime: zaby::ZabyRuntime) -> zaby::Result<()> {
/// use futures::StreamExt;
/// use serde_json::{Value, json};
/// use zaby::ClientTools;
///
/// let tools = ClientTools::new().with("get_weather", |args: Value| async move {
///     let city = args["city"].as_str().unwrap_or("nowhere").to_owned();
///     Ok::<_, String>(json!({ "city": city, "celsius": 21 }))
/// });
/// let mut events = runtime.runs().stream("run_123", None).with_tools(tools);
/// while let Some(event) = events.next().await {
///     println!("{:?}", event?.name());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ClientTools {
    by_name: HashMap<String, ToolFn>,
}

impl ClientTools {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the function answering `name`. It gets the call's arguments
    /// object; an `Err` is submitted as a failed call with its text as the message.
    pub fn with<F, Fut, T, E>(mut self, name: impl Into<String>, function: F) -> Self
    where
        F: Fn(Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<T, E>> + Send + 'static,
        T: Serialize,
        E: Display,
    {
        let function = Arc::new(function);
        let call: ToolFn = Arc::new(move |args| {
            let answer = function(args);
            Box::pin(async move {
                match answer.await {
                    Ok(value) => serde_json::to_value(value)
                        .map_err(|e| format!("the tool's result could not be turned into JSON: {e}")),
                    Err(e) => Err(e.to_string()),
                }
            })
        });
        self.by_name.insert(name.into(), call);
        self
    }

    /// Adds a function already in the runner's shape (what the language bindings build).
    pub fn with_fn(mut self, name: impl Into<String>, function: ToolFn) -> Self {
        self.by_name.insert(name.into(), function);
        self
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    fn get(&self, name: &str) -> Option<&ToolFn> {
        self.by_name.get(name)
    }
}

/// A client tool call as announced by a `tool_call` event.
pub struct ClientCall {
    pub tool_call_id: String,
    pub tool_name: String,
    pub arguments: Value,
}

/// The events a [`ClientToolStream`] wraps: typed [`RunEvent`]s or [`RawSseEvent`]s.
pub trait ToolCallEvent {
    /// The client call this event announces, if it is a `tool_call` with `execution: "client"`.
    fn client_call(&self) -> Option<ClientCall>;
}

/// The call in a `tool_call` event's data. A call without `execution` (a server that
/// predates function tools) is never taken for a client one.
fn client_call(data: &Value) -> Option<ClientCall> {
    if data.get("execution").and_then(Value::as_str) != Some("client") {
        return None;
    }
    Some(ClientCall {
        tool_call_id: data.get("toolCallId")?.as_str()?.to_owned(),
        tool_name: data.get("toolName")?.as_str()?.to_owned(),
        arguments: data.get("arguments").cloned().unwrap_or_else(|| json!({})),
    })
}

impl ToolCallEvent for RunEvent {
    fn client_call(&self) -> Option<ClientCall> {
        matches!(self, RunEvent::ToolCall { .. }).then(|| client_call(&self.raw().data)).flatten()
    }
}

impl ToolCallEvent for RawSseEvent {
    fn client_call(&self) -> Option<ClientCall> {
        // Only a `tool_call` event's data is parsed here; the others pass untouched.
        if self.event.as_deref() != Some("tool_call") {
            return None;
        }
        client_call(&serde_json::from_str(&self.data).ok()?)
    }
}

/// Where the results go: E126 with a runtime token, E127 with an API key.
#[derive(Clone)]
pub(crate) enum ResultsTo {
    Runtime(CoreRef),
    Provisioning(CoreRef),
}

impl ResultsTo {
    async fn submit(&self, run_id: &str, body: Value) -> Result<()> {
        let (core, client) = match self {
            ResultsTo::Runtime(core) => (core, "runtime_runs"),
            ResultsTo::Provisioning(core) => (core, "agents"),
        };
        core.call(client, "submit_tool_result", vec![run_id.to_owned()], Some(body)).await.map(drop)
    }
}

/// A run's events, with the client tools of [`ClientTools`] answered along the way.
/// Yields every event of the stream it wraps; a result that cannot be submitted ends
/// it with that error. Dropping it drops the calls still running.
#[must_use = "a ClientToolStream does nothing until it is polled"]
pub struct ClientToolStream<E = RunEvent> {
    events: Option<BoxStream<'static, Result<E>>>,
    tools: ClientTools,
    results_to: ResultsTo,
    run_id: String,
    running: FuturesUnordered<BoxFuture<'static, Result<()>>>,
}

impl<E: ToolCallEvent> ClientToolStream<E> {
    pub(crate) fn new(
        events: BoxStream<'static, Result<E>>,
        tools: ClientTools,
        results_to: ResultsTo,
        run_id: String,
    ) -> Self {
        ClientToolStream { events: Some(events), tools, results_to, run_id, running: FuturesUnordered::new() }
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Starts the caller's function when `event` is a client call it answers.
    fn dispatch(&mut self, event: &E) {
        let Some(ClientCall { tool_call_id, tool_name, arguments }) = event.client_call() else { return };
        let Some(function) = self.tools.get(&tool_name).cloned() else { return };
        let results_to = self.results_to.clone();
        let run_id = self.run_id.clone();
        self.running.push(Box::pin(async move {
            let body = match function(arguments).await {
                Ok(result) => json!({ "toolCallId": tool_call_id, "result": result }),
                Err(message) => json!({ "toolCallId": tool_call_id, "isError": true, "message": message }),
            };
            results_to.submit(&run_id, body).await
        }));
    }

    /// Drives the running calls: the first failed submission among those that finished,
    /// `Ready(None)` once none is left.
    fn poll_running(&mut self, cx: &mut Context<'_>) -> Poll<Option<ZabyError>> {
        loop {
            match self.running.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(()))) => continue,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(e)),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    fn fail(&mut self, error: ZabyError) -> Poll<Option<Result<E>>> {
        self.events = None;
        self.running.clear();
        Poll::Ready(Some(Err(error)))
    }
}

impl<E: ToolCallEvent> Stream for ClientToolStream<E> {
    type Item = Result<E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let settled = this.poll_running(cx);
        if let Poll::Ready(Some(error)) = settled {
            return this.fail(error);
        }
        let Some(events) = this.events.as_mut() else {
            // The run's events are over: what remains is answering the calls still running.
            return settled.map(|_| None);
        };
        match events.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(event))) => {
                this.dispatch(&event);
                Poll::Ready(Some(Ok(event)))
            }
            Poll::Ready(Some(Err(error))) => this.fail(error),
            Poll::Ready(None) => {
                this.events = None;
                // Polled again so that this task wakes when the running calls settle.
                Pin::new(this).poll_next(cx)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl crate::clients_by_name::AgentsClient {
    /// Answers the client tool calls that `tools` names among `events` (a run's events
    /// from wherever the caller gets them), submitting each result with the API key
    /// (E127, `agents.submit_tool_result`). Every event still reaches the caller.
    pub fn answer_client_tools<S, E>(&self, run_id: &str, events: S, tools: ClientTools) -> ClientToolStream<E>
    where
        S: Stream<Item = Result<E>> + Send + 'static,
        E: ToolCallEvent,
    {
        let results_to = ResultsTo::Provisioning(self.core().clone());
        ClientToolStream::new(events.boxed(), tools, results_to, run_id.to_owned())
    }
}
