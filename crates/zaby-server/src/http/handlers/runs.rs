//! Run routes: starts, progress, event pages, lists, cancel, approvals, feedback,
//! usage, and the SSE stream (`docs/streaming.md`).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};
use tokio::sync::mpsc;

use serde_json::Value;
use zaby::endpoints::EndpointId;
use zaby::types::{self, AgentRunInput, ApprovalDecisionInput, CancelRunInput, RunEventPage, RunStartInput};

use crate::error::{ApiError, ApiResult};
use crate::http::auth::{Authed, RuntimeAuthed, RuntimeChecked};
use crate::http::extract::{Body as Typed, JsonBody, PathIds, Query, decode};
use crate::http::handlers::agents::after_path;
use crate::http::handlers::wire;
use crate::http::respond::Reply;
use crate::services::SharedCtx;
use crate::services::runs::approvals::{self, Decider};
use crate::services::runs::feedback::{self, Giver};
use crate::services::runs::{self, Reader, StartBody, StartFrom, Started};
use crate::storage::runs as store;

// ---- starts ----

/// `RunStartResponse`: 201 for a new run, 200 with `idempotent-replayed` for the
/// answer of an earlier start with the same `requestId`.
fn started(s: Started) -> ApiResult<Reply<types::RunStartResponse>> {
    let body = wire::run_start(s.run)?;
    Ok(if s.replayed { Reply::Replayed(body) } else { Reply::Created(body) })
}

/// The bodies of agent starts are handed over checked-or-not (`Result`), so an
/// unknown agent is a 404 before any 422 about the body.
fn agent_body(b: Result<Typed<AgentRunInput>, ApiError>) -> ApiResult<StartBody> {
    b.map(|Typed(i)| StartBody::Agent(i))
}

pub async fn test_run(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    b: Result<Typed<AgentRunInput>, ApiError>,
) -> ApiResult<Reply<types::RunStartResponse>> {
    started(runs::start(&ctx, StartFrom::Test { caller: &c, agent_id: p.get("agentId") }, agent_body(b)).await?)
}

pub async fn start_run(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    b: Result<Typed<AgentRunInput>, ApiError>,
) -> ApiResult<Reply<types::RunStartResponse>> {
    started(runs::start(&ctx, StartFrom::Managed { caller: &c, agent_id: p.get("agentId") }, agent_body(b)).await?)
}

/// The token's use is taken inside the start, so the body is handed over checked or
/// not: its errors come after the rate limit, and a refused start consumes nothing.
pub async fn runtime_start(
    State(ctx): State<SharedCtx>,
    RuntimeChecked(rc): RuntimeChecked,
    b: Result<Typed<RunStartInput>, ApiError>,
) -> ApiResult<Reply<types::RunStartResponse>> {
    started(runs::start(&ctx, StartFrom::Runtime(&rc), b.map(|Typed(b)| StartBody::Runtime(b))).await?)
}

// ---- reads ----

pub async fn progress(State(ctx): State<SharedCtx>, Authed(c): Authed, p: PathIds) -> ApiResult<Reply<types::Run>> {
    Ok(Reply::Ok(wire::run(runs::progress(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId")).await?)?))
}

pub async fn events(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::ListQuery>,
) -> ApiResult<Reply<RunEventPage>> {
    let page = runs::events_page(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId"), &q).await?;
    Ok(Reply::Ok(wire::event_page(page)?))
}

pub async fn runtime_events(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Query(q): Query<types::ListQuery>,
) -> ApiResult<Reply<RunEventPage>> {
    let page = runs::events_page(&ctx, &Reader::Runtime(&rc), p.get("runId"), &q).await?;
    Ok(Reply::Ok(wire::event_page(page)?))
}

pub async fn list_runs(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Query(q): Query<types::E108Query>,
) -> ApiResult<Reply<Value>> {
    let page = runs::list(&ctx, &c, p.get("agentId"), &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::run)?))
}

// ---- cancel ----

pub async fn cancel(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Typed(b): Typed<CancelRunInput>,
) -> ApiResult<Reply<types::Run>> {
    Ok(Reply::Ok(wire::run(runs::cancel(&ctx, &Reader::Tenant(&c.tenant_id), p.get("runId"), b).await?)?))
}

pub async fn runtime_cancel(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Typed(b): Typed<CancelRunInput>,
) -> ApiResult<Reply<types::Run>> {
    Ok(Reply::Ok(wire::run(runs::cancel(&ctx, &Reader::Runtime(&rc), p.get("runId"), b).await?)?))
}

// ---- approvals ----

pub async fn list_approvals(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E37Query>,
) -> ApiResult<Reply<Value>> {
    let page = approvals::list(&ctx, &c, &q).await?;
    Ok(Reply::Ok(wire::page(ctx.settings.max_page_bytes, page, wire::approval)?))
}

async fn decide(
    ctx: &SharedCtx,
    who: Decider<'_>,
    p: &PathIds,
    b: ApprovalDecisionInput,
    approve: bool,
) -> ApiResult<Reply<types::Approval>> {
    let a = approvals::decide(ctx, who, p.get("runId"), p.get("approvalId"), b, approve).await?;
    Ok(Reply::Ok(wire::approval(a)?))
}

pub async fn approve(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Managed(&c), &p, b, true).await
}

pub async fn reject(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Managed(&c), &p, b, false).await
}

pub async fn runtime_approve(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Runtime(&rc), &p, b, true).await
}

pub async fn runtime_reject(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    Typed(b): Typed<ApprovalDecisionInput>,
) -> ApiResult<Reply<types::Approval>> {
    decide(&ctx, Decider::Runtime(&rc), &p, b, false).await
}

// ---- feedback and usage ----

/// A feedback answer: 201 when recorded now, 200 with `idempotent-replayed` when it
/// is the one an earlier request with the same `requestId` got.
fn given(g: feedback::Given) -> ApiResult<Reply<types::Feedback>> {
    let body = wire::feedback(g.feedback)?;
    Ok(if g.replayed { Reply::Replayed(body) } else { Reply::Created(body) })
}

/// The body of E28 or E125, handed over checked-or-not so that an unknown run is a
/// 404 first. `rating` also takes `"positive"` (5) and `"negative"` (1), aliases
/// (docs/api/runtime-tokens.md) that the catalogue's `int` cannot say: they are read
/// as those numbers before the typed check, so any other string is its 422.
fn feedback_body(id: EndpointId, body: Result<JsonBody, ApiError>) -> ApiResult<ApiResult<types::FeedbackInput>> {
    Ok(after_path(body.map(|JsonBody(b)| Typed(b)))?.and_then(|mut b| {
        let alias = match b.get("rating").and_then(Value::as_str) {
            Some("positive") => Some(5),
            Some("negative") => Some(1),
            _ => None,
        };
        if let Some(rating) = alias {
            b["rating"] = rating.into();
        }
        decode(id.as_str(), b)
    }))
}

pub async fn feedback(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    p: PathIds,
    body: Result<JsonBody, ApiError>,
) -> ApiResult<Reply<types::Feedback>> {
    let input = feedback_body(EndpointId::E28, body)?;
    given(feedback::create(&ctx, Giver::Provisioning(&c), p.get("runId"), input).await?)
}

pub async fn runtime_feedback(
    State(ctx): State<SharedCtx>,
    RuntimeAuthed(rc): RuntimeAuthed,
    p: PathIds,
    body: Result<JsonBody, ApiError>,
) -> ApiResult<Reply<types::Feedback>> {
    let input = feedback_body(EndpointId::E125, body)?;
    given(feedback::create(&ctx, Giver::Runtime(&rc), p.get("runId"), input).await?)
}

pub async fn usage(
    State(ctx): State<SharedCtx>,
    Authed(c): Authed,
    Query(q): Query<types::E40Query>,
) -> ApiResult<Reply<types::UsageReport>> {
    Ok(Reply::Ok(wire::agent_usage(runs::agent_usage::report(&ctx, &c, q).await?)))
}

// ---- SSE (E121) ----

/// How soon a stream reads again after a failed read.
const RETRY: Duration = Duration::from_millis(100);

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

fn frame(e: &store::EventRow) -> Bytes {
    let data = serde_json::to_string(&e.data).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("id: {}\nevent: {}\ndata: {}\n\n", e.seq, e.event, data))
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
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let writer = Writer {
        ctx: ctx.clone(),
        run_id: run.id.clone(),
        grant_id: rc.grant.id.clone(),
        tx,
        _open: crate::http::metrics::OpenStream::new(),
    };
    tokio::spawn(writer.run(pos));
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<Bytes, Infallible>(b), rx))
    }));
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(resp)
}

struct Writer {
    ctx: SharedCtx,
    run_id: String,
    grant_id: String,
    tx: mpsc::Sender<Bytes>,
    /// Counted in `zaby_streams_open` until the writer ends.
    _open: crate::http::metrics::OpenStream,
}

impl Writer {
    async fn send(&self, b: Bytes) -> bool {
        self.tx.send(b).await.is_ok()
    }

    /// Writes events after `pos` until the terminal one; heartbeats when idle. It
    /// wakes when the run changes (in this process, or seen by the process's poller
    /// for other replicas) and ends when the poller finds the grant revoked.
    async fn run(self, mut pos: i64) {
        let mut changes = self.ctx.runs.run_watchers.watch(&self.run_id);
        let mut revoked = self.ctx.runs.grant_watchers.watch(&self.grant_id);
        let mut shutdown = self.ctx.runs.shutdown.subscribe();
        let heartbeat = Duration::from_millis(self.ctx.settings.heartbeat_ms.clamp(1_000, 15_000));
        if !self.send(Bytes::from_static(b": connected\n\n")).await {
            return;
        }
        let mut last_write = Instant::now();
        // Storage is read at the start, after a change of the run, and to retry; a
        // heartbeat alone reads nothing.
        let mut read = true;
        let (mut full, mut failed) = (false, false);
        loop {
            if revoked.seen() {
                return;
            }
            if read {
                // Marked before the read: a change after it wakes the wait below.
                changes.seen();
                (full, failed) = (false, false);
                // Status and events from one snapshot: when the status is terminal,
                // every event is already stored.
                let result = async {
                    let mut conn = self.ctx.db.read().await?;
                    let (status, events) =
                        store::status_and_events_after(&mut conn, &self.run_id, pos, 500).await?.unzip();
                    let events = events.unwrap_or_default();
                    let terminal_again = match status.as_deref() {
                        Some("COMPLETED" | "FAILED" | "CANCELLED") if events.is_empty() => {
                            store::last_event(&mut conn, &self.run_id).await?
                        }
                        _ => None,
                    };
                    Ok::<_, sqlx::Error>((events, terminal_again))
                };
                match result.await {
                    Ok((events, terminal_again)) => {
                        for e in &events {
                            if !self.send(frame(e)).await {
                                return;
                            }
                            last_write = Instant::now();
                            pos = e.seq;
                            if is_terminal(&e.event) {
                                return;
                            }
                        }
                        if let Some(t) = terminal_again {
                            // The position is at or past the terminal event: send it again.
                            let _ = self.send(frame(&t)).await;
                            return;
                        }
                        full = events.len() >= 500;
                    }
                    Err(e) => {
                        tracing::warn!(run_id = %self.run_id, error = %e, "stream read failed; retrying");
                        failed = true;
                    }
                }
            }
            let until_ping = heartbeat.saturating_sub(last_write.elapsed());
            // A full page is followed at once; a failed read is tried again soon.
            let wait = if full {
                Duration::ZERO
            } else if failed {
                RETRY.min(until_ping)
            } else {
                until_ping
            };
            read = false;
            tokio::select! {
                _ = changes.changed() => read = true,
                _ = revoked.changed() => {}
                _ = tokio::time::sleep(wait) => read = full || failed,
                _ = async { let _ = shutdown.wait_for(|v| *v).await.is_ok(); } => {
                    let _ = self.send(Bytes::from_static(b": shutdown\n\n")).await;
                    return;
                }
                _ = self.tx.closed() => return,
            }
            if last_write.elapsed() >= heartbeat {
                if !self.send(Bytes::from_static(b": ping\n\n")).await {
                    return;
                }
                last_write = Instant::now();
            }
        }
    }
}
