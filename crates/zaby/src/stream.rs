//! `RunEventStream`: the SSE stream of a run (`docs/streaming.md`), with automatic reconnection
//! and de-duplication (`docs/streaming.md`) and the stream errors of `docs/streaming.md`.

use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::core::{Call, CoreRef, RequestOptions, is_success};
use crate::error::{ApiError, ApiErrorKind, Result, ZabyError, codes};
use crate::request::{api_error_from, send_with_retries, with_cancel};
use crate::run_event::RunEvent;
use crate::sse::{RawSseEvent, SseParser};
use crate::tools::{ClientToolStream, ClientTools, ResultsTo};

const DEFAULT_MAX_RECONNECTS: u32 = 5;
/// The idle timeout never drops below this: heartbeats come at most 15 s apart.
const MIN_IDLE_TIMEOUT: Duration = Duration::from_millis(45_000);
/// Statuses that a reconnect treats as one more transient failure.
const TRANSIENT_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// The events of one run as an async stream of [`RunEvent`]s, each payload typed by the
/// event's name; a name this SDK does not know arrives whole as [`RunEvent::Other`]. The
/// connection opens on the first poll; configure the stream before that.
///
/// Internally the events carry their data as text ([`RawSseEvent`]); it is parsed as
/// each event is delivered, or never, through [`RunEventStream::raw`].
#[must_use = "a RunEventStream does nothing until it is polled"]
pub struct RunEventStream {
    setup: Option<Setup>,
    inner: Option<BoxStream<'static, Result<RawSseEvent>>>,
    run_id: String,
    last_event_id: Arc<Mutex<Option<String>>>,
    /// Kept past the first poll for [`RunEventStream::with_tools`], which submits through it.
    core: CoreRef,
}

struct Setup {
    core: CoreRef,
    call: Result<Call>,
    options: RequestOptions,
    max_reconnects: u32,
}

impl RunEventStream {
    pub(crate) fn new(core: CoreRef, call: Result<Call>, run_id: String) -> Self {
        RunEventStream {
            core: core.clone(),
            setup: Some(Setup {
                core,
                call,
                options: RequestOptions::default(),
                max_reconnects: DEFAULT_MAX_RECONNECTS,
            }),
            inner: None,
            run_id,
            last_event_id: Arc::new(Mutex::new(None)),
        }
    }

    fn setup_mut(&mut self) -> &mut Setup {
        self.setup.as_mut().expect("stream options are set before the first poll")
    }

    /// Reconnections allowed after failures (default 5; 0 disables reconnection).
    pub fn max_reconnects(mut self, n: u32) -> Self {
        self.setup_mut().max_reconnects = n;
        self
    }

    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.setup_mut().options.request_id = Some(id.into());
        self
    }

    /// Deadline for the response headers; the idle timeout is `max(timeout, 45 s)`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.setup_mut().options.timeout = Some(timeout);
        self
    }

    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.setup_mut().options.cancel = Some(token);
        self
    }

    pub fn options(mut self, options: RequestOptions) -> Self {
        self.setup_mut().options = options;
        self
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Id of the last event delivered.
    pub fn last_event_id(&self) -> Option<String> {
        self.last_event_id.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Closes the HTTP connection.
    pub async fn close(self) {
        drop(self);
    }

    /// The same events untyped, with their data as the text that arrived, for a caller
    /// that parses JSON itself (the Node binding hands it to `JSON.parse`);
    /// [`RawSseEvent::into_event`] gives an event's data as a `serde_json::Value`.
    pub fn raw(self) -> RawRunEventStream {
        RawRunEventStream(self)
    }

    /// Answers the client tool calls that `tools` names while the events go by
    /// (`docs/function-tools.md`): each result is submitted with E126
    /// (`runtime.runs.submit_tool_result`). Every event still reaches the caller.
    pub fn with_tools(self, tools: ClientTools) -> ClientToolStream {
        let results_to = ResultsTo::Runtime(self.core.clone());
        let run_id = self.run_id.clone();
        ClientToolStream::new(self.boxed(), tools, results_to, run_id)
    }

    fn start(&mut self) -> &mut BoxStream<'static, Result<RawSseEvent>> {
        if self.inner.is_none() {
            let Setup { core, call, options, max_reconnects } = self.setup.take().expect("set up once");
            let stream = match call {
                Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
                Ok(call) => {
                    let cancel = options.cancel.clone();
                    let closing = core.closing.clone();
                    let state = State {
                        core,
                        call,
                        options,
                        max_reconnects,
                        run_id: self.run_id.clone(),
                        last_id: self.last_event_id.clone(),
                        seen: HashSet::new(),
                        failures: 0,
                        delivered: false,
                        connection: None,
                        parser: SseParser::new(),
                        ready: VecDeque::new(),
                        done: false,
                        opened: false,
                    };
                    futures::stream::unfold(state, move |mut s| {
                        let cancel = cancel.clone();
                        let closing = closing.clone();
                        async move {
                            if s.done {
                                return None;
                            }
                            // Closing the client ends an open stream; a stream first polled
                            // after the close is a call on a closed client.
                            let opened = s.opened;
                            let item = tokio::select! {
                                biased;
                                _ = closing.cancelled() => {
                                    if opened {
                                        return None;
                                    }
                                    Err(ZabyError::client(codes::CLIENT_CLOSED, "the client has been closed"))
                                }
                                r = with_cancel(cancel, s.next_event()) => r,
                            };
                            match item {
                                Ok(Some(ev)) => Some((Ok(ev), s)),
                                Ok(None) => None,
                                Err(e) => {
                                    s.done = true;
                                    Some((Err(e), s))
                                }
                            }
                        }
                    })
                    .boxed()
                }
            };
            // Fused: polling again after the end keeps answering `None` instead of panicking.
            self.inner = Some(stream.fuse().boxed());
        }
        self.inner.as_mut().expect("just set")
    }
}

impl Stream for RunEventStream {
    type Item = Result<RunEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.start().poll_next_unpin(cx).map(|item| item.map(|r| r.map(|raw| RunEvent::from(raw.into_event()))))
    }
}

/// A [`RunEventStream`] yielding [`RawSseEvent`]s: the same connection handling,
/// reconnection and de-duplication, without parsing the data.
#[must_use = "a RawRunEventStream does nothing until it is polled"]
pub struct RawRunEventStream(RunEventStream);

impl RawRunEventStream {
    pub fn run_id(&self) -> &str {
        self.0.run_id()
    }

    /// Id of the last event delivered.
    pub fn last_event_id(&self) -> Option<String> {
        self.0.last_event_id()
    }

    /// [`RunEventStream::with_tools`] over the untyped events (what the bindings use).
    pub fn with_tools(self, tools: ClientTools) -> ClientToolStream<RawSseEvent> {
        let results_to = ResultsTo::Runtime(self.0.core.clone());
        let run_id = self.0.run_id.clone();
        ClientToolStream::new(self.boxed(), tools, results_to, run_id)
    }
}

impl Stream for RawRunEventStream {
    type Item = Result<RawSseEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.start().poll_next_unpin(cx)
    }
}

/// Where the bytes of the current connection come from.
enum Connection {
    Bytes(BoxStream<'static, Result<Bytes>>),
    /// A complete body (what `MockTransport` supplies): parsed at once, final block included.
    Whole,
}

/// Why a connection ended without a terminal event.
enum Failure {
    Dropped(Option<ZabyError>),
    Idle,
    /// A reconnect answered with a transient status.
    Status(ApiError),
}

struct State {
    core: CoreRef,
    call: Call,
    options: RequestOptions,
    max_reconnects: u32,
    run_id: String,
    last_id: Arc<Mutex<Option<String>>>,
    /// Non-numeric ids already delivered.
    seen: HashSet<String>,
    failures: u32,
    /// Whether any event reached the caller (`docs/streaming.md` step 7a needs it).
    delivered: bool,
    connection: Option<Connection>,
    parser: SseParser,
    ready: VecDeque<RawSseEvent>,
    done: bool,
    opened: bool,
}

enum Verdict {
    Deliver,
    Skip,
    EndSilently,
}

impl State {
    fn last_id(&self) -> Option<String> {
        self.last_id.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn idle_timeout(&self) -> Duration {
        self.core.attempt_timeout(&self.options).max(MIN_IDLE_TIMEOUT)
    }

    fn stream_error(&self, code: &str, message: String, status: u16, cause: Option<ZabyError>) -> ZabyError {
        let mut api = ApiError {
            kind: ApiErrorKind::Stream,
            status,
            code: Some(code.to_owned()),
            message,
            request_id: self.options.request_id.clone(),
            retry_after: None,
            details: None,
            headers: Default::default(),
            run_id: Some(self.run_id.clone()),
            last_event_id: self.last_id(),
            source: cause.map(Box::new),
        };
        if let Some(ZabyError::Api(src)) = api.source.as_deref()
            && status != 0
        {
            // A reconnect refused with a non-transient status: the server's own fields.
            api.code = src.code.clone();
            api.message = src.message.clone();
            api.details = src.details.clone();
            api.headers = src.headers.clone();
            api.request_id = src.request_id.clone().or(api.request_id);
            api.retry_after = src.retry_after;
        }
        api.into()
    }

    /// Decides what to do with a parsed event (de-duplication, `docs/streaming.md` step 8).
    fn judge(&mut self, ev: &RawSseEvent) -> Verdict {
        if let Some(id) = &ev.id {
            let last = self.last_id();
            let duplicate = match (decimal(id), last.as_deref().map(decimal)) {
                (Some(n), Some(Some(l))) => n <= l,
                (Some(_), _) => false,
                (None, _) => self.seen.contains(id),
            };
            if duplicate {
                return if ev.is_terminal() { Verdict::EndSilently } else { Verdict::Skip };
            }
        }
        Verdict::Deliver
    }

    fn record(&mut self, ev: &RawSseEvent) {
        self.delivered = true;
        // Only an event with an id is progress (`docs/streaming.md` step 7): a server replaying id-less
        // events after every cut must not keep the stream alive forever.
        if let Some(id) = &ev.id {
            if decimal(id).is_none() {
                self.seen.insert(id.clone());
            }
            *self.last_id.lock().unwrap_or_else(|p| p.into_inner()) = Some(id.clone());
            self.failures = 0;
        }
    }

    async fn next_event(&mut self) -> Result<Option<RawSseEvent>> {
        if !self.opened {
            self.open_first().await?;
            self.opened = true;
        }
        loop {
            while let Some(ev) = self.ready.pop_front() {
                match self.judge(&ev) {
                    Verdict::Skip => continue,
                    Verdict::EndSilently => {
                        self.finish();
                        return Ok(None);
                    }
                    Verdict::Deliver => {
                        self.record(&ev);
                        if ev.is_terminal() {
                            self.finish();
                        }
                        return Ok(Some(ev));
                    }
                }
            }
            if self.done {
                return Ok(None);
            }
            match self.read_more().await {
                Ok(()) => {}
                Err(failure) => self.reconnect_after(failure).await?,
            }
        }
    }

    fn finish(&mut self) {
        self.done = true;
        self.connection = None;
        self.ready.clear();
    }

    /// Reads the next chunk into `ready`, or says why the connection ended.
    async fn read_more(&mut self) -> std::result::Result<(), Failure> {
        let idle = self.idle_timeout();
        match self.connection.as_mut() {
            None | Some(Connection::Whole) => {
                self.connection = None;
                Err(Failure::Dropped(None))
            }
            Some(Connection::Bytes(body)) => match tokio::time::timeout(idle, body.next()).await {
                Err(_) => Err(Failure::Idle),
                Ok(None) => Err(Failure::Dropped(None)),
                Ok(Some(Err(e))) => Err(Failure::Dropped(Some(e))),
                Ok(Some(Ok(chunk))) => {
                    self.ready.extend(self.parser.feed_raw(&chunk));
                    Ok(())
                }
            },
        }
    }

    /// Takes over a 2xx response as the current connection.
    fn attach(&mut self, mut response: crate::transport::TransportResponse) {
        self.parser = SseParser::new();
        if let Some(body) = response.body_stream.take() {
            self.connection = Some(Connection::Bytes(body));
        } else {
            let text = response.body.take().unwrap_or_default();
            self.ready.extend(SseParser::parse_complete_raw(&text));
            self.connection = Some(Connection::Whole);
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        self.last_id().map(|id| vec![("last-event-id", id)]).unwrap_or_default()
    }

    /// The first connection: an ordinary request with the retry policy of `docs/configuration.md`.
    async fn open_first(&mut self) -> Result<()> {
        let response = send_with_retries(&self.core, &self.call, &self.options, true, &self.headers()).await?;
        self.attach(response);
        Ok(())
    }

    /// `docs/streaming.md` steps 3–6: count the failure, wait, reconnect, until the budget runs out.
    async fn reconnect_after(&mut self, first: Failure) -> Result<()> {
        self.connection = None;
        if self.delivered && self.last_id().is_none() {
            return Err(self.replay_impossible(first));
        }
        let mut failure = first;
        loop {
            self.failures += 1;
            let retry_after = match &failure {
                Failure::Status(api) => api.retry_after,
                _ => None,
            };
            if self.failures > self.max_reconnects {
                return Err(self.budget_exhausted(failure));
            }
            let backoff = 250u64.saturating_mul(1 << (self.failures - 1).min(16)).min(4000);
            let wait = backoff.max(retry_after.unwrap_or(0).saturating_mul(1000));
            tokio::time::sleep(Duration::from_millis(wait)).await;
            tracing::info!(target: "zaby", run_id = %self.run_id, failures = self.failures, "reconnecting the run stream");
            match self.core.send_once(&self.call, &self.options, true, &self.headers()).await {
                Ok(response) if is_success(response.status) => {
                    self.attach(response);
                    return Ok(());
                }
                Ok(response) => {
                    let api = api_error_from(response, self.options.request_id.as_deref()).await;
                    if TRANSIENT_STATUSES.contains(&api.status) {
                        failure = Failure::Status(api);
                        continue;
                    }
                    let status = api.status;
                    let message = api.message.clone();
                    return Err(self.stream_error(codes::STREAM_ERROR, message, status, Some(api.into())));
                }
                Err(e) if e.is_transient() => failure = Failure::Dropped(Some(e)),
                Err(e) if e.code() == Some(codes::CLIENT_CLOSED) => return Err(e),
                Err(e) => {
                    let message = format!("the run stream failed: {e}");
                    return Err(self.stream_error(codes::STREAM_ERROR, message, 0, Some(e)));
                }
            }
        }
    }

    /// `docs/streaming.md` step 7a: events went out but none had an id, so a replay could not be
    /// de-duplicated; the stream ends instead of delivering them again.
    fn replay_impossible(&self, failure: Failure) -> ZabyError {
        let cause = match failure {
            Failure::Idle => Some(ZabyError::timeout(self.idle_timeout().as_millis() as u64)),
            Failure::Dropped(cause) => cause,
            Failure::Status(api) => Some(api.into()),
        };
        let message = format!(
            "the run stream of {} was interrupted after events without ids; it cannot be resumed without delivering them twice",
            self.run_id
        );
        self.stream_error(codes::STREAM_DISCONNECTED, message, 0, cause)
    }

    fn budget_exhausted(&self, failure: Failure) -> ZabyError {
        let (code, cause) = match failure {
            Failure::Idle => (codes::STREAM_TIMEOUT, Some(ZabyError::timeout(self.idle_timeout().as_millis() as u64))),
            Failure::Dropped(Some(e @ ZabyError::Timeout { .. })) => (codes::STREAM_TIMEOUT, Some(e)),
            Failure::Dropped(cause) => (codes::STREAM_DISCONNECTED, cause),
            Failure::Status(api) => (codes::STREAM_DISCONNECTED, Some(api.into())),
        };
        let message = format!(
            "the run stream of {} was interrupted {} time(s) and could not be resumed",
            self.run_id, self.failures
        );
        self.stream_error(code, message, 0, cause)
    }
}

/// A non-negative decimal integer id (digits only: no sign, no spaces), for de-duplication.
fn decimal(id: &str) -> Option<u128> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Absurdly long digit strings compare as the largest value rather than failing.
    Some(id.parse::<u128>().unwrap_or(u128::MAX))
}
