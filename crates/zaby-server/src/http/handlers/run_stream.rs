//! The run's SSE stream (E121, `docs/streaming.md`). The response body itself follows
//! the run: hyper polls it for the next chunk on the connection's own task, so a
//! stream is one boxed state machine, with no task or channel of its own. Idle, it
//! holds three watch receivers and one heartbeat timer; heartbeats are due on a
//! process-wide grid, so the timers of thousands of idle streams fire together instead
//! of waking the process hundreds of times a second.

use std::convert::Infallible;
use std::fmt::Write;
use std::sync::LazyLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, header};
use tokio::sync::watch;
use tokio::time::Instant;

use zaby::types;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::RuntimeAuthed;
use crate::http::extract::{PathIds, Query};
use crate::http::metrics::OpenStream;
use crate::services::SharedCtx;
use crate::services::runs::waiters::Watch;
use crate::services::runs::{self, Reader};
use crate::storage::DbResult;
use crate::storage::runs as store;

/// How soon a stream reads again after a failed read.
const RETRY: Duration = Duration::from_millis(100);
/// Events per read; a full page is followed by the next at once.
const PAGE: usize = 500;

fn position(headers: &HeaderMap, after_seq: Option<i64>) -> ApiResult<i64> {
    let non_negative = |field: &str, n: i64| -> ApiResult<i64> {
        if n >= 0 { Ok(n) } else { Err(ApiError::invalid(field, "must be a non-negative integer")) }
    };
    if let Some(h) = headers.get("last-event-id") {
        let n = h.to_str().ok().and_then(|v| v.trim().parse::<i64>().ok()).unwrap_or(-1);
        return non_negative("last-event-id", n);
    }
    non_negative("afterSeq", after_seq.unwrap_or(0))
}

fn frame(out: &mut BytesMut, e: &store::EventRow) {
    let data = serde_json::to_string(&e.data).unwrap_or_else(|_| "{}".into());
    // Writing into a BytesMut cannot fail.
    let _ = write!(out, "id: {}\nevent: {}\ndata: {}\n\n", e.seq, e.event, data);
}

fn is_terminal(name: &str) -> bool {
    name == "RunFinished" || name == "RunError"
}

pub async fn stream(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Query(q): Query<types::E121Query>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let pos = position(&headers, q.after_seq)?;
    let run = {
        let mut conn = ctx.db.read().await?;
        runs::load_visible(&mut conn, &Reader::Runtime(&rc), p.get("runId")).await?
    };
    let follow = Follow::new(ctx, run.id, &rc.grant.id, pos);
    let body = Body::from_stream(futures::stream::unfold(follow, |mut f| async move {
        f.next().await.map(|b| (Ok::<Bytes, Infallible>(b), f))
    }));
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

/// One stream's state between chunks; dropped with the response body when the client
/// goes or the stream ends.
struct Follow {
    ctx: SharedCtx,
    run_id: String,
    /// The last event sent.
    pos: i64,
    changes: Watch<u64>,
    revoked: Watch<bool>,
    shutdown: watch::Receiver<bool>,
    heartbeat: Duration,
    last_write: Instant,
    /// Storage is read at the start, after a change of the run, to follow a full page
    /// and to retry; a heartbeat alone reads nothing.
    read: bool,
    failed: bool,
    connected: bool,
    ended: bool,
    /// Counted in `zaby_streams_open` while the stream is open.
    _open: OpenStream,
}

impl Follow {
    fn new(ctx: SharedCtx, run_id: String, grant_id: &str, pos: i64) -> Follow {
        let changes = ctx.runs.run_watchers.watch(&run_id);
        let revoked = ctx.runs.grant_watchers.watch(grant_id);
        let shutdown = ctx.runs.shutdown.subscribe();
        let heartbeat = Duration::from_millis(ctx.settings.heartbeat_ms.clamp(1_000, 15_000));
        Follow {
            ctx,
            run_id,
            pos,
            changes,
            revoked,
            shutdown,
            heartbeat,
            last_write: Instant::now(),
            read: true,
            failed: false,
            connected: false,
            ended: false,
            _open: OpenStream::new(),
        }
    }

    /// The next chunk to write: events after `pos` up to the terminal one, a heartbeat
    /// when due, `None` once the stream is over. It waits for the run to change (in
    /// this process, or seen by the process's poller for other replicas) and ends when
    /// the poller finds the grant revoked.
    async fn next(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        if !self.connected {
            self.connected = true;
            return Some(self.wrote(Bytes::from_static(b": connected\n\n")));
        }
        loop {
            if self.revoked.seen() {
                return None;
            }
            if self.read {
                if let Some(chunk) = self.read_events().await {
                    return Some(self.wrote(chunk));
                }
                if self.ended {
                    return None;
                }
            }
            let ping_at = ping_at(self.last_write, self.heartbeat);
            let wake_at = if self.failed { (Instant::now() + RETRY).min(ping_at) } else { ping_at };
            tokio::select! {
                _ = self.changes.changed() => self.read = true,
                _ = self.revoked.changed() => {}
                _ = tokio::time::sleep_until(wake_at) => self.read = self.failed,
                _ = self.shutdown.wait_for(|v| *v) => {
                    self.ended = true;
                    return Some(Bytes::from_static(b": shutdown\n\n"));
                }
            }
            if Instant::now() >= ping_at {
                return Some(self.wrote(Bytes::from_static(b": ping\n\n")));
            }
        }
    }

    fn wrote(&mut self, chunk: Bytes) -> Bytes {
        self.last_write = Instant::now();
        chunk
    }

    /// Reads the events after `pos`, all framed into one chunk (`None` when there are
    /// none); marks the stream ended after its terminal event.
    async fn read_events(&mut self) -> Option<Bytes> {
        // Marked before the read: a change after it wakes the wait.
        self.changes.seen();
        self.read = false;
        self.failed = false;
        // Boxed so an idle stream does not carry the read's state.
        let read = Box::pin(status_and_events(self.ctx.clone(), self.run_id.clone(), self.pos)).await;
        let (events, terminal_again) = match read {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(run_id = %self.run_id, error = %e, "stream read failed; retrying");
                self.failed = true;
                return None;
            }
        };
        self.read = events.len() >= PAGE;
        let mut out = BytesMut::new();
        for e in &events {
            frame(&mut out, e);
            self.pos = e.seq;
            if is_terminal(&e.event) {
                self.ended = true;
                break;
            }
        }
        if let Some(t) = terminal_again {
            // The position is at or past the terminal event: send it again.
            frame(&mut out, &t);
            self.ended = true;
        }
        (!out.is_empty()).then(|| out.freeze())
    }
}

/// Status and events from one snapshot: when the status is terminal, every event is
/// already stored. With no event after `pos` on an ended run, its terminal event.
async fn status_and_events(
    ctx: SharedCtx,
    run_id: String,
    pos: i64,
) -> DbResult<(Vec<store::EventRow>, Option<store::EventRow>)> {
    let mut conn = ctx.db.read().await?;
    let (status, events) = store::status_and_events_after(&mut conn, &run_id, pos, PAGE as i64).await?.unzip();
    let events = events.unwrap_or_default();
    let terminal_again = match status.as_deref() {
        Some("COMPLETED" | "FAILED" | "CANCELLED") if events.is_empty() => {
            store::last_event(&mut conn, &run_id).await?
        }
        _ => None,
    };
    Ok((events, terminal_again))
}

/// When a stream idle since `last_write` gets its heartbeat: `every` after it, moved
/// back onto a process-wide grid (a quarter of `every`, at most a second), so every
/// stream due within the same step is woken by one timer tick; the gap between writes
/// stays at most `every`.
fn ping_at(last_write: Instant, every: Duration) -> Instant {
    static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);
    let step = (every / 4).min(Duration::from_secs(1)).as_nanos();
    let due = last_write + every;
    let into_step = due.saturating_duration_since(*EPOCH).as_nanos() % step;
    due - Duration::from_nanos(u64::try_from(into_step).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_fall_on_the_grid_within_their_interval() {
        let every = Duration::from_secs(15);
        let start = Instant::now();
        let mut due = Vec::new();
        for ms in [0u64, 1, 250, 999, 1_000, 7_321, 14_999] {
            let last = start + Duration::from_millis(ms);
            let at = ping_at(last, every);
            assert!(at <= last + every, "after the interval for {ms} ms");
            assert!(at > last + every - Duration::from_secs(1), "more than a step early for {ms} ms");
            due.push(at);
        }
        // Writes within the same step of the grid share their heartbeat's instant.
        let a = ping_at(start + Duration::from_millis(10), every);
        let b = ping_at(start + Duration::from_millis(10) + Duration::from_nanos(1), every);
        assert!(a == b || b - a == Duration::from_secs(1));
        // A one-second interval steps by a quarter of a second.
        let short = ping_at(start, Duration::from_secs(1));
        assert!(short <= start + Duration::from_secs(1) && short > start + Duration::from_millis(750));
    }
}
