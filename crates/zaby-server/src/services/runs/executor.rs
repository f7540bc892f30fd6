//! The run executor: claims runs from storage (QUEUED, or RUNNING with a lapsed
//! lease), holds a lease renewed every third of `ZABY_EXECUTOR_LEASE_MS`, and drives
//! the agent loop of `docs/server.md` with `zaby_models`.
//!
//! Every event is committed before anyone can see it, together with the loop's
//! resume point (`runs.loop_state`). A reclaimed run resumes from there when its last
//! event is `RunStarted`, a `tool_result` or an `approval_required` whose approval
//! was decided; after a `text`, `thinking` or an unanswered `tool_call` it fails with
//! `EXECUTOR_LOST` (the cut-off output or tool call cannot be completed or repeated).
//!
//! Robustness under load: idempotent storage reads and the event commits are retried
//! in place while they fail transiently ([`ApiError::is_transient`]: pool timeout,
//! serialization failure, deadlock, lost connection, busy database), with backoff, for
//! up to [`RETRY_FOR`] — and for as long as it lasts when storage refuses writes for
//! lack of room or permission (a full disk), so a run resumes once space returns;
//! every stored event extends the lease and the renewer keeps
//! going through transient errors. An error that outlasts that gives the run back with
//! a growing backoff; the run fails `INTERNAL_ERROR` (the cause logged) after
//! [`MAX_FAILURES`] consecutive give-backs without progress.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;
use zaby::RunEventPayload;
use zaby::types::{self, Citation, CitationKind, ErrorInfo};
use zaby_models::{
    CompletedToolCall, ContextPassage, Directives, HistoryTurn, ModelEvent, ModelProvider, PassageKind, StepRequest,
    ToolCall, ToolRound, ToolSpec, normalize_message,
};

use self::payloads::{data, event};
use super::signals;
use crate::error::{ApiError, ApiResult};
use crate::http::metrics::ModelCall;
use crate::services::SharedCtx;
use crate::services::run_seams::{EndUser, OfferedTool, RunScope};
use crate::services::webhooks::outbox;
use crate::storage::http_tools;
use crate::storage::runs::{self as store, ApprovalRow, Ending, Progress, RunRow};
use crate::util::clock::now_ms;
use crate::util::ids::new_id;

mod payloads;

/// Runs one executor executes at once.
const CAPACITY: usize = 64;
/// Consecutive executor errors (without a stored event in between) after which the
/// run fails `INTERNAL_ERROR` instead of being given back.
const MAX_FAILURES: u32 = 5;
/// How long a transient storage error is retried in place before the run is given back.
const RETRY_FOR: Duration = Duration::from_secs(10);

/// Evaluates `$op` (an expression producing a future of an `ApiResult`) again while
/// it fails transiently, with backoff from 25 ms doubling to 1 s, for up to
/// [`RETRY_FOR`] (a storage capacity fault: until it passes) and not while shutting
/// down. Only for idempotent operations.
macro_rules! retrying {
    ($ctx:expr, $what:expr, $op:expr) => {{
        let started = Instant::now();
        let mut pause = Duration::from_millis(25);
        loop {
            match $op.await {
                Err(e)
                    if e.is_transient()
                        && (e.storage_fault || started.elapsed() < RETRY_FOR)
                        && !$ctx.runs.shutting_down() =>
                {
                    tracing::warn!(what = $what, error = %e.message, cause = e.cause.as_deref().unwrap_or(""),
                        "transient error; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                r => break r,
            }
        }
    }};
}
mod function_calls;

/// How often storage is polled for claimable runs (besides wake-ups).
const POLL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LoopState {
    rounds: Vec<ToolRound>,
    answer: String,
    pending: Option<Pending>,
    context: Vec<ContextPassage>,
    citations: Vec<Citation>,
    history: Vec<HistoryTurn>,
    /// Consecutive executor errors since the last stored event.
    #[serde(default)]
    failures: u32,
}

/// A step that asked for tools and whose calls are not all answered yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    text: String,
    calls: Vec<ToolCall>,
    done: Vec<CompletedToolCall>,
    /// `client` function tool calls announced in this step whose entries in `done` wait
    /// for their results (`function_calls`).
    #[serde(default)]
    awaiting: Vec<String>,
}

/// The background worker: claims, executes, expires approvals, purges old events.
pub async fn run(ctx: SharedCtx, mut stop: watch::Receiver<bool>) {
    let mut tasks = tokio::task::JoinSet::new();
    let mut last_housekeeping = 0i64;
    let mut last_purge = 0i64;
    // A finished task frees a slot; storage is read again then only if the executor was
    // full (runs may have been left waiting) or the last read is a poll interval old,
    // not after every run.
    let mut claim = true;
    let mut last_claim = Instant::now();
    // Slots held per tenant: a tenant holds at most its share of them, so the rest stay
    // free for the first runs of other tenants (`docs/server.md`: fair scheduling); one
    // end user of a tenant at most the user share, so the tenant's other end users too.
    let tenant = ctx.settings.executor_tenant_share.clamp(1, CAPACITY);
    let shares = Shares { tenant, user: ctx.settings.executor_user_share.clamp(1, tenant) };
    let mut held = Held::default();
    loop {
        if *stop.borrow() {
            break;
        }
        let now = now_ms();
        if now - last_housekeeping >= 1000 {
            last_housekeeping = now;
            if let Err(e) = super::approvals::expire_due(&ctx).await {
                tracing::warn!(error = %e.message, "approval expiry failed");
            }
            if let Err(e) = super::function_tools::results::expire_due(&ctx).await {
                tracing::warn!(error = %e.message, "tool result expiry failed");
            }
            if now - last_purge >= 600_000 {
                last_purge = now;
                if let Err(e) = purge(&ctx).await {
                    tracing::warn!(error = %e.message, "event retention failed");
                }
            }
        }
        let free = CAPACITY.saturating_sub(tasks.len());
        if claim && free > 0 {
            last_claim = Instant::now();
            match claim_some(&ctx, free, shares, &held).await {
                Ok(claimed) => {
                    for (c, run, owner) in claimed {
                        held.take(&c.tenant_id, c.end_user.as_deref());
                        let ctx = ctx.clone();
                        tasks.spawn(async move {
                            execute(ctx, run, owner).await;
                            (c.tenant_id, c.end_user)
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e.message, "claiming runs failed"),
            }
        }
        let was_full = tasks.len() >= CAPACITY;
        claim = true;
        tokio::select! {
            r = stop.changed() => if r.is_err() { break },
            _ = ctx.runs.wakeup.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            Some(ended) = tasks.join_next(), if !tasks.is_empty() => {
                // A run of a tenant or end user at its share may have kept others waiting.
                let at_share = match ended {
                    Ok((tenant, user)) => held.give_back(&tenant, user.as_deref(), shares),
                    Err(_) => false,
                };
                claim = was_full || at_share || last_claim.elapsed() >= POLL;
            }
        }
    }
    // Streams end, run tasks stop before their next event; then leases are released
    // so another replica (or the next start) resumes the runs at once.
    let _ = ctx.runs.shutdown.send(true);
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain).await.is_err() {
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    if let Ok(mut tx) = ctx.db.write().await {
        if let Err(e) = store::release_all(tx.conn(), &ctx.runs.executor_id).await {
            tracing::warn!(error = %e, "releasing run leases failed");
        }
        let _ = tx.commit().await;
    }
}

async fn purge(ctx: &SharedCtx) -> ApiResult<()> {
    let cutoff = now_ms() - ctx.settings.event_retention_days as i64 * 86_400_000;
    let mut tx = ctx.db.write().await?;
    store::purge_events(tx.conn(), cutoff).await?;
    http_tools::purge_calls(tx.conn(), cutoff).await?;
    tx.commit().await?;
    Ok(())
}

/// The most executor slots one tenant, and one end user of a tenant, may hold.
#[derive(Clone, Copy)]
struct Shares {
    tenant: usize,
    user: usize,
}

/// Slots held per tenant, and per end user of a tenant (runtime runs: the run's stored
/// end-user document); runs without an end user count against their tenant only.
#[derive(Clone, Default)]
struct Held {
    tenants: HashMap<String, usize>,
    users: HashMap<(String, String), usize>,
}

impl Held {
    fn user_key(tenant: &str, user: Option<&str>) -> Option<(String, String)> {
        user.map(|u| (tenant.to_string(), u.to_string()))
    }

    /// Whether one more run of this tenant and end user stays within the shares.
    fn admits(&self, tenant: &str, user: Option<&str>, shares: Shares) -> bool {
        let of_user = Self::user_key(tenant, user).map_or(0, |k| self.users.get(&k).copied().unwrap_or(0));
        self.tenants.get(tenant).copied().unwrap_or(0) < shares.tenant && of_user < shares.user
    }

    fn take(&mut self, tenant: &str, user: Option<&str>) {
        *self.tenants.entry(tenant.to_string()).or_default() += 1;
        if let Some(k) = Self::user_key(tenant, user) {
            *self.users.entry(k).or_default() += 1;
        }
    }

    /// Frees a slot; whether the tenant or the end user was at its share before.
    fn give_back(&mut self, tenant: &str, user: Option<&str>, shares: Shares) -> bool {
        let was_full = !self.admits(tenant, user, shares);
        release(&mut self.tenants, tenant.to_string());
        if let Some(k) = Self::user_key(tenant, user) {
            release(&mut self.users, k);
        }
        was_full
    }
}

fn release<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) {
    if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

/// Claims up to `free` runs, in the turns of [`store::claimable`], skipping tenants
/// and end users that already hold their share of slots, in one statement. Each batch
/// of claims gets its own lease owner (`<executor id>:<claim id>`), so a run reclaimed
/// after a missed renewal, even by this process, is never written by the task that
/// held the earlier claim.
async fn claim_some(
    ctx: &SharedCtx,
    free: usize,
    shares: Shares,
    held: &Held,
) -> ApiResult<Vec<(store::Claimable, RunRow, String)>> {
    let now = now_ms();
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let candidates = {
        let mut conn = ctx.db.read().await?;
        store::claimable(&mut conn, now, as_i64(shares.tenant), as_i64(CAPACITY * 4)).await?
    };
    let mut after = held.clone();
    let mut claim_ids = Vec::new();
    for c in &candidates {
        if claim_ids.len() >= free {
            break;
        }
        if after.admits(&c.tenant_id, c.end_user.as_deref(), shares) {
            after.take(&c.tenant_id, c.end_user.as_deref());
            claim_ids.push(c.id.clone());
        }
    }
    if claim_ids.is_empty() {
        return Ok(Vec::new());
    }
    let owner = format!("{}:{}", ctx.runs.executor_id, new_id());
    let mut tx = ctx.db.write().await?;
    let mut rows = store::claim(tx.conn(), &claim_ids, &owner, now_ms(), ctx.settings.executor_lease_ms as i64).await?;
    tx.commit().await?;
    // No wake-up: a claim adds no event, and waiters return on events and ends.
    let mut won = Vec::new();
    for c in candidates {
        if let Some(i) = rows.iter().position(|r| r.id == c.id) {
            won.push((c, rows.swap_remove(i), owner.clone()));
        }
    }
    Ok(won)
}

async fn execute(ctx: SharedCtx, run: RunRow, owner: String) {
    let run_id = run.id.clone();
    let lease = ctx.settings.executor_lease_ms.max(30) as i64;
    let renewer = {
        let ctx = ctx.clone();
        let (id, owner) = (run_id.clone(), owner.clone());
        tokio::spawn(async move {
            // Every third of the lease, so two renewals may be late or fail
            // (transiently: they are tried again) before the lease lapses.
            loop {
                tokio::time::sleep(Duration::from_millis((lease / 3) as u64)).await;
                let renewed = async {
                    let mut tx = ctx.db.write().await?;
                    let ok = store::renew(tx.conn(), &id, &owner, now_ms() + lease).await?;
                    tx.commit().await?;
                    Ok::<bool, ApiError>(ok)
                }
                .await;
                match renewed {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(run_id = %id, error = %e.message, cause = e.cause.as_deref().unwrap_or(""),
                        "renewing a run lease failed; trying again")
                    }
                }
            }
        })
    };
    let result = drive(&ctx, run, &owner).await;
    renewer.abort();
    if let Err(e) = result {
        give_back_or_fail(&ctx, &run_id, &owner, &e).await;
    }
    ctx.runs.notify(&run_id);
}

/// After an executor error: a transient failure (storage, a tool gateway error)
/// gives the run back, claimable again after a backoff that doubles with each
/// consecutive failure, to resume from its last stored event; after
/// [`MAX_FAILURES`] the run fails `INTERNAL_ERROR`. If storage stays down, the
/// lease lapses and another executor takes over.
async fn give_back_or_fail(ctx: &SharedCtx, run_id: &str, owner: &str, e: &ApiError) {
    let cause = e.cause.as_deref().unwrap_or("");
    let run = retrying!(ctx, "reading a failed run", async {
        let mut c = ctx.db.read().await?;
        Ok::<_, ApiError>(store::get_by_id(&mut c, run_id).await?)
    });
    let Ok(Some(r)) = run else {
        tracing::error!(run_id, code = e.code, error = %e.message, cause, "run failed inside the executor");
        return;
    };
    if r.status != "RUNNING" || r.lease_owner.as_deref() != Some(owner) {
        tracing::warn!(run_id, code = e.code, error = %e.message, cause, "executor error on a run no longer held");
        return;
    }
    let mut state: LoopState = r.loop_state.clone().and_then(|s| serde_json::from_value(s).ok()).unwrap_or_default();
    state.failures += 1;
    if state.failures < MAX_FAILURES {
        let backoff = (250i64 << (state.failures - 1)).min(5_000);
        tracing::warn!(run_id, code = e.code, error = %e.message, cause, failures = state.failures, backoff_ms = backoff,
            "run failed inside the executor; giving it back to resume");
        let loop_state = serde_json::to_value(&state).unwrap_or(Value::Null);
        let given = retrying!(ctx, "giving a run back", async {
            let mut tx = ctx.db.write().await?;
            store::give_back(tx.conn(), run_id, owner, &loop_state, now_ms() + backoff).await?;
            tx.commit().await?;
            Ok::<(), ApiError>(())
        });
        if let Err(g) = given {
            tracing::warn!(run_id, error = %g.message, "giving a run back failed; its lease will lapse");
        }
        return;
    }
    tracing::error!(run_id, code = e.code, error = %e.message, cause, failures = state.failures,
        "run failed inside the executor; failing it INTERNAL_ERROR");
    let mut ex = Exec::new(ctx.clone(), r, owner.to_string());
    ex.load_state();
    if let Err(f) = ex.fail("INTERNAL_ERROR", "the run failed inside the server").await {
        tracing::error!(run_id, error = %f.message, cause = f.cause.as_deref().unwrap_or(""), "failing the run failed");
    }
}

/// Executes a run as its claim returned it.
async fn drive(ctx: &SharedCtx, run: RunRow, owner: &str) -> ApiResult<()> {
    if run.status != "RUNNING" || run.lease_owner.as_deref() != Some(owner) {
        return Ok(());
    }
    let mut ex = Exec::new(ctx.clone(), run, owner.to_string());
    ex.load_state();
    ex.go().await
}

enum End {
    Completed(String),
    Failed(String, String),
}

impl End {
    /// The run's status once it ended so, as stored.
    fn status(&self) -> &'static str {
        match self {
            End::Completed(_) => types::RunStatus::Completed.as_str(),
            End::Failed(..) => types::RunStatus::Failed.as_str(),
        }
    }
}

struct Exec {
    ctx: SharedCtx,
    run: RunRow,
    owner: String,
    state: LoopState,
    steps: i64,
    input_tokens: i64,
    output_tokens: i64,
    tool_calls: i64,
    /// The run's function tools (its snapshot's `functionTools`).
    functions: Vec<types::FunctionTool>,
    delay: Option<Duration>,
    stop: watch::Receiver<bool>,
    /// Events made but not committed yet (`RunStarted`), stored ahead of the next ones.
    carry: Vec<(&'static str, Value)>,
}

impl Exec {
    fn new(ctx: SharedCtx, run: RunRow, owner: String) -> Exec {
        let stop = ctx.runs.shutdown.subscribe();
        Exec {
            steps: run.steps,
            input_tokens: run.input_tokens,
            output_tokens: run.output_tokens,
            tool_calls: run.tool_calls,
            functions: Vec::new(),
            ctx,
            run,
            owner,
            state: LoopState::default(),
            delay: None,
            stop,
            carry: Vec::new(),
        }
    }

    fn load_state(&mut self) {
        if let Some(s) = &self.run.loop_state {
            self.state = serde_json::from_value(s.clone()).unwrap_or_default();
        }
    }

    fn scope(&self) -> RunScope {
        // A stored end user that does not read is an anonymous one, as before it was typed.
        let end_user = self.run.end_user.as_ref().map(|e| EndUser::deserialize(e).unwrap_or_default());
        let mcp_bearer = self
            .run
            .mcp_bearer_sealed
            .as_deref()
            .and_then(|s| self.ctx.runs.secrets.open(s).ok())
            .and_then(|b| String::from_utf8(b).ok());
        RunScope {
            tenant_id: self.run.tenant_id.clone(),
            agent_id: self.run.agent_id.clone(),
            run_id: self.run.id.clone(),
            deployment_id: self.run.deployment_id.clone(),
            session_id: self.run.session_id.clone(),
            is_test_run: self.run.is_test_run,
            end_user,
            mcp_bearer,
        }
    }

    /// The pause of `simulate.delayMs` before an event; false when shutting down.
    async fn pause(&mut self) -> bool {
        if let Some(d) = self.delay {
            tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = async { let _ = self.stop.wait_for(|v| *v).await.is_ok(); } => return false,
            }
        }
        !*self.stop.borrow()
    }

    /// Commits events (with the resume point), optionally an approval (the run then
    /// waits) or the end of the run, and signals, in one transaction. False when the
    /// run is no longer ours (cancelled, lease lost): the caller stops.
    async fn commit(
        &mut self,
        events: &[(&str, Value)],
        approval: Option<&ApprovalRow>,
        end: Option<&End>,
        sigs: Vec<(&'static str, Option<f64>, Value)>,
    ) -> ApiResult<bool> {
        let carried;
        let events = if self.carry.is_empty() {
            events
        } else {
            carried = [std::mem::take(&mut self.carry), events.to_vec()].concat();
            &carried[..]
        };
        // A stored event resets the count of consecutive failures.
        let failures = self.state.failures;
        if !events.is_empty() {
            self.state.failures = 0;
        }
        let started = Instant::now();
        let mut pause = Duration::from_millis(25);
        loop {
            match self.try_commit(events, approval, end, &sigs).await {
                // Failed before COMMIT: nothing was stored; the same batch is tried again.
                Err((e, false))
                    if e.is_transient()
                        && (e.storage_fault || started.elapsed() < RETRY_FOR)
                        && !self.ctx.runs.shutting_down() =>
                {
                    tracing::warn!(run_id = %self.run.id, error = %e.message, cause = e.cause.as_deref().unwrap_or(""),
                        "storing run events failed transiently; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                Err((e, _)) => {
                    self.state.failures = failures;
                    return Err(e);
                }
                Ok(stored) => {
                    if stored && let Some(end) = end {
                        crate::http::metrics::run_finished(end.status(), self.run.created_at);
                    }
                    if stored {
                        self.ctx.runs.notify(&self.run.id);
                    }
                    return Ok(stored);
                }
            }
        }
    }

    /// One attempt of [`Exec::commit`]; the error says whether it came from COMMIT
    /// itself (its outcome is then unknown, so it is not retried in place).
    async fn try_commit(
        &mut self,
        events: &[(&str, Value)],
        approval: Option<&ApprovalRow>,
        end: Option<&End>,
        sigs: &[(&'static str, Option<f64>, Value)],
    ) -> Result<bool, (ApiError, bool)> {
        let before = |e: ApiError| (e, false);
        let now = now_ms();
        let lease_until = now + self.ctx.settings.executor_lease_ms.max(30) as i64;
        let mut tx = self.ctx.db.write().await.map_err(|e| before(e.into()))?;
        let r: ApiResult<bool> = async {
            let progress = Progress {
                loop_state: serde_json::to_value(&self.state).unwrap_or(Value::Null),
                steps: self.steps,
                input_tokens: self.input_tokens,
                output_tokens: self.output_tokens,
                tool_calls: self.tool_calls,
            };
            let error = match end {
                Some(End::Failed(code, message)) => {
                    Some(data(&ErrorInfo { code: code.clone(), message: message.clone(), extra: Default::default() }))
                }
                _ => None,
            };
            let ending = end.map(|e| Ending {
                status: e.status(),
                final_output: match e {
                    End::Completed(out) => Some(out.as_str()),
                    End::Failed(..) => None,
                },
                error: error.as_ref(),
            });
            // Whether the outbox may have endpoints to record for: the statement that
            // stores events says so (no lookup at all for a tenant without webhooks).
            let mut webhooks = true;
            if events.is_empty() {
                store::save_progress(tx.conn(), &self.run.id, &progress).await?;
                if let Some(e) = &ending {
                    store::finish(tx.conn(), &self.run.id, e.status, e.final_output, e.error, None, now).await?;
                }
            } else {
                // The end of the run, if these events end it, is stored by the same statement.
                let count = events.len() as i64;
                let Some(allocated) = store::next_seqs_owned(
                    tx.conn(),
                    &self.run.id,
                    &self.owner,
                    count,
                    now,
                    lease_until,
                    &progress,
                    ending.as_ref(),
                )
                .await?
                else {
                    return Ok(false);
                };
                store::insert_events(tx.conn(), &self.run.id, &self.run.tenant_id, allocated.first, events, now)
                    .await?;
                webhooks = allocated.tenant_has_webhooks;
            }
            // `RunStarted` is stored once per run, so `run.started` goes with it, ahead of
            // an end carried by the same batch; the run as claimed (RUNNING) is its payload.
            if webhooks && events.iter().any(|(name, _)| *name == types::RunStarted::NAME) {
                outbox::record_run(tx.conn(), &self.run, "run.started").await?;
            }
            for (kind, value, payload) in sigs {
                signals::record(tx.conn(), &self.run, kind, *value, payload.clone()).await?;
            }
            if let Some(a) = approval {
                store::insert_approval(tx.conn(), a).await?;
                store::set_waiting(tx.conn(), &self.run.id, now).await?;
                let waiting = RunRow { status: "WAITING_FOR_APPROVAL".into(), updated_at: now, ..self.run.clone() };
                if webhooks {
                    outbox::record_run(tx.conn(), &waiting, "run.waiting_for_approval").await?;
                }
            }
            if let Some(e) = &ending {
                // The ended row as stored above, for its signal, without reading it back.
                let mut ended = self.run.clone();
                ended.completed_at = Some(now);
                ended.updated_at = now;
                ended.tool_calls = self.tool_calls;
                ended.input_tokens = self.input_tokens;
                ended.output_tokens = self.output_tokens;
                ended.steps = self.steps;
                ended.status = e.status.to_string();
                ended.final_output = e.final_output.map(str::to_string);
                ended.error = e.error.cloned();
                signals::run_ended(tx.conn(), &ended).await?;
                if webhooks {
                    let event = if e.status == "COMPLETED" { "run.completed" } else { "run.failed" };
                    outbox::record_run(tx.conn(), &ended, event).await?;
                }
            }
            Ok(true)
        }
        .await;
        match r {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => return Err(before(e)),
        }
        // A COMMIT refused for lack of room or permission stored nothing.
        tx.commit().await.map_err(|e| {
            let e = ApiError::from(e);
            let unknown = !e.storage_fault;
            (e, unknown)
        })?;
        Ok(true)
    }

    async fn fail(&mut self, code: &str, message: &str) -> ApiResult<()> {
        let ev = event(types::RunError {
            run_id: self.run.id.clone(),
            message: message.into(),
            code: code.into(),
            extra: Default::default(),
        });
        self.commit(&[ev], None, Some(&End::Failed(code.into(), message.into())), vec![]).await?;
        Ok(())
    }

    async fn go(&mut self) -> ApiResult<()> {
        let snapshot = self.run.snapshot.clone();
        let model_name = snapshot["defaultModel"].as_str().unwrap_or("zaby").to_string();
        let provider = self.ctx.runs.models.resolve(&model_name);
        if provider.kind().honours_directives() {
            self.delay = Directives::parse(&self.run.input).ok().and_then(|d| d.delay());
        }
        let scope = self.scope();
        self.functions = super::function_tools::of_run(&snapshot);
        let empty = Vec::new();
        let mcp = snapshot["mcpTools"].as_array().unwrap_or(&empty);
        let offered = retrying!(self.ctx, "offered tools", self.ctx.tools.offered_tools(&scope, mcp))?;
        let message = normalize_message(&self.run.input);

        // No seq allocated yet means no event stored: a fresh run, nothing to read.
        let last = if self.run.latest_seq == 0 {
            None
        } else {
            retrying!(self.ctx, "last event", async {
                let mut c = self.ctx.db.read().await?;
                Ok::<_, ApiError>(store::last_event(&mut c, &self.run.id).await?)
            })?
        };
        match last.as_ref().map(|e| e.event.as_str()) {
            None => {
                let kbs = snapshot["knowledgeBases"].as_array().unwrap_or(&empty);
                let passages =
                    retrying!(self.ctx, "retrieval", self.ctx.run_knowledge.retrieve(&scope, kbs, &message))?;
                let mut citations: Vec<(f64, Citation)> = Vec::new();
                for p in &passages {
                    let id = p.chunk_id.clone().or(p.memory_item_id.clone()).unwrap_or_default();
                    self.state.context.push(ContextPassage {
                        kind: if p.kind == "memory" { PassageKind::Memory } else { PassageKind::Chunk },
                        id,
                        document_id: p.document_id.clone(),
                        title: p.title.clone(),
                        content: p.content.clone(),
                        score: p.score,
                    });
                    citations.push((
                        p.score,
                        Citation {
                            kind: if p.kind == "memory" { CitationKind::Memory } else { CitationKind::Chunk },
                            document_id: p.document_id.clone(),
                            chunk_id: p.chunk_id.clone(),
                            memory_item_id: p.memory_item_id.clone(),
                            title: p.title.clone(),
                            score: p.score,
                            extra: Default::default(),
                        },
                    ));
                }
                citations.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
                self.state.citations = citations.into_iter().map(|(_, c)| c).collect();
                let history = retrying!(self.ctx, "session history", async {
                    let mut c = self.ctx.db.read().await?;
                    let (t, sid) = (&self.run.tenant_id, &self.run.session_id);
                    Ok::<_, ApiError>(store::session_history(&mut c, t, sid, self.run.created_at, &self.run.id).await?)
                })?;
                self.state.history = history
                    .into_iter()
                    .map(|(input, out)| HistoryTurn { user: normalize_message(&input), assistant: out })
                    .collect();
                let started = event(types::RunStarted {
                    run_id: self.run.id.clone(),
                    workflow_id: self.run.workflow_id.clone(),
                    deployment_id: self.run.deployment_id.clone(),
                    agent_session_id: self.run.session_id.clone(),
                    extra: Default::default(),
                });
                if self.delay.is_some() {
                    if !self.commit(&[started], None, None, vec![]).await? {
                        return Ok(());
                    }
                } else {
                    // Committed with the first step's events, as soon as the model makes
                    // the executor wait (or with the answer of a model that does not).
                    self.carry.push(started);
                }
            }
            Some("RunStarted") | Some("tool_result") => {}
            Some("approval_required") => {
                if !self.after_decision(&scope, &offered).await? {
                    return Ok(());
                }
            }
            Some("tool_call") if last.as_ref().is_some_and(|e| self.resumes_after(e)) => {}
            Some(_) => {
                return self
                    .fail("EXECUTOR_LOST", "the executor running this run stopped while it was producing output")
                    .await;
            }
        }

        let specs: Vec<ToolSpec> = offered
            .iter()
            .map(|t| ToolSpec {
                name: t.name.clone(),
                description: t.description.clone().unwrap_or_default(),
                input_schema: t.input_schema.clone(),
            })
            .chain(self.functions.iter().map(super::function_tools::spec))
            .collect();
        let max_steps = self.ctx.settings.max_run_steps.max(1) as i64;
        loop {
            if self.state.pending.is_some() {
                match self.tool_calls_of_step(&scope, &offered).await? {
                    Flow::Continue => {}
                    Flow::Stop => return Ok(()),
                }
            }
            if self.steps >= max_steps {
                return self.step_limit(max_steps).await;
            }
            let req = StepRequest {
                run_id: self.run.id.clone(),
                model: model_name.clone(),
                instructions: snapshot["instructions"].as_str().unwrap_or("").to_string(),
                message: message.clone(),
                input: self.run.input.clone(),
                history: self.state.history.clone(),
                context: self.state.context.clone(),
                tools: specs.clone(),
                tool_rounds: self.state.rounds.clone(),
                config: snapshot["config"].clone(),
            };
            match self.step(provider.as_ref(), req).await? {
                StepOutcome::Stopped => return Ok(()),
                StepOutcome::Answered(mut batch) => {
                    let out = self.state.answer.clone();
                    let finished = event(types::RunFinished {
                        run_id: self.run.id.clone(),
                        status: "COMPLETED".into(),
                        final_output: Some(out.clone()),
                        citations: Some(self.state.citations.clone()),
                        extra: Default::default(),
                    });
                    if !self.pause().await {
                        return Ok(());
                    }
                    batch.push(finished);
                    if !self.commit(&batch, None, Some(&End::Completed(out.clone())), vec![]).await? {
                        return Ok(());
                    }
                    self.propose_memory(provider.as_ref(), &model_name, &scope, &message, &out).await;
                    return Ok(());
                }
                StepOutcome::Tools(text, calls) => {
                    if self.steps >= max_steps {
                        return self.step_limit(max_steps).await;
                    }
                    self.state.pending = Some(Pending { text, calls, done: Vec::new(), awaiting: Vec::new() });
                }
            }
        }
    }

    async fn step_limit(&mut self, max: i64) -> ApiResult<()> {
        if !self.pause().await {
            return Ok(());
        }
        let msg = format!("the run reached the limit of {max} model steps and the model still asks for tools");
        self.fail("STEP_LIMIT_EXCEEDED", &msg).await
    }

    /// One model step. Its `thinking` and `text` events are committed in batches:
    /// whatever the provider has produced without waiting goes into one transaction
    /// (`docs/server.md` allows one per step), so a fast provider costs one commit per step
    /// while a streaming one is still committed, and visible, piece by piece. With
    /// `simulate.delayMs` every event is paused for and committed on its own. The
    /// batch left when an answering step ends is returned, to be committed with
    /// `RunFinished`.
    async fn step(&mut self, provider: &dyn ModelProvider, req: StepRequest) -> ApiResult<StepOutcome> {
        let call = ModelCall::start(provider.kind(), &req.model);
        let mut stream = provider.step(req);
        let mut text = String::new();
        let mut calls = None;
        let mut batch: Vec<(&'static str, Value)> = std::mem::take(&mut self.carry);
        loop {
            let item = match futures::FutureExt::now_or_never(stream.next()) {
                Some(item) => item,
                None => {
                    if !self.flush(&mut batch).await? {
                        return Ok(StepOutcome::Stopped);
                    }
                    stream.next().await
                }
            };
            let Some(item) = item else { break };
            match item {
                Ok(ModelEvent::Thinking(t)) => {
                    if !self.pause().await {
                        return Ok(StepOutcome::Stopped);
                    }
                    batch.push(event(types::Thinking { content: t, extra: Default::default() }));
                }
                Ok(ModelEvent::TextDelta(t)) => {
                    if !self.pause().await {
                        return Ok(StepOutcome::Stopped);
                    }
                    text.push_str(&t);
                    self.state.answer.push_str(&t);
                    batch.push(event(types::Text { content: t, extra: Default::default() }));
                }
                Ok(ModelEvent::ToolCalls(cs)) => calls = Some(cs),
                Ok(ModelEvent::Usage(u)) => {
                    self.input_tokens += u.input_tokens as i64;
                    self.output_tokens += u.output_tokens as i64;
                }
                Err(e) => {
                    call.end(false);
                    if !self.flush(&mut batch).await? {
                        return Ok(StepOutcome::Stopped);
                    }
                    self.steps += 1;
                    if !self.pause().await {
                        return Ok(StepOutcome::Stopped);
                    }
                    self.fail(e.code.as_str(), &e.message).await?;
                    return Ok(StepOutcome::Stopped);
                }
            }
            if self.delay.is_some() && !self.flush(&mut batch).await? {
                return Ok(StepOutcome::Stopped);
            }
        }
        call.end(true);
        self.steps += 1;
        Ok(match calls {
            Some(cs) if !cs.is_empty() => {
                if !self.flush(&mut batch).await? {
                    return Ok(StepOutcome::Stopped);
                }
                StepOutcome::Tools(text, cs)
            }
            _ => StepOutcome::Answered(batch),
        })
    }

    /// Commits a batch of step events (nothing when it is empty); false when the run
    /// is no longer ours.
    async fn flush(&mut self, batch: &mut Vec<(&'static str, Value)>) -> ApiResult<bool> {
        if batch.is_empty() {
            return Ok(true);
        }
        let events = std::mem::take(batch);
        self.commit(&events, None, None, vec![]).await
    }

    /// Answers the pending step's remaining tool calls in order.
    async fn tool_calls_of_step(&mut self, scope: &RunScope, offered: &[OfferedTool]) -> ApiResult<Flow> {
        loop {
            let Some(p) = self.state.pending.clone() else { return Ok(Flow::Continue) };
            let i = p.done.len();
            if i >= p.calls.len() {
                if !self.answers_of_step().await? {
                    return Ok(Flow::Stop);
                }
                let Some(p) = self.state.pending.clone() else { return Ok(Flow::Continue) };
                self.state.rounds.push(ToolRound { text: p.text, calls: p.done });
                self.state.pending = None;
                return Ok(Flow::Continue);
            }
            let call = p.calls[i].clone();
            if let Some(function) = self.function_tool(&call.name) {
                if !self.function_call(&call, &function).await? {
                    return Ok(Flow::Stop);
                }
                continue;
            }
            let Some(tool) = offered.iter().find(|t| t.name == call.name) else {
                if self.pause().await {
                    let msg = format!("the tool {} is not attached to this agent", call.name);
                    self.fail("AGENT_TOOL_NOT_ATTACHED", &msg).await?;
                }
                return Ok(Flow::Stop);
            };
            // `arguments` is always an object (`zaby_models::ToolCall`).
            let arguments = call.arguments.as_object().cloned().unwrap_or_default();
            let call_ev = event(types::ToolCall {
                tool_call_id: call.id.clone(),
                tool_name: tool.name.clone(),
                arguments: arguments.clone(),
                execution: None,
                extra: Default::default(),
            });
            let decision = retrying!(self.ctx, "tool decision", self.ctx.tools.decide(scope, tool, &call.arguments))?;
            if self.run.is_test_run {
                self.tool_calls += 1;
                if !self.pause().await || !self.commit(&[call_ev], None, None, vec![]).await? {
                    return Ok(Flow::Stop);
                }
                let (result, is_error) = (decision.preflight.clone(), !decision.allowed);
                if !self.tool_result(&call, &tool.name, result, is_error, true).await? {
                    return Ok(Flow::Stop);
                }
                continue;
            }
            if decision.allowed && decision.needs_approval {
                self.tool_calls += 1;
                self.request_approval(&call, &tool.name, call_ev).await?;
                return Ok(Flow::Stop);
            }
            self.tool_calls += 1;
            if !self.pause().await || !self.commit(&[call_ev], None, None, vec![]).await? {
                return Ok(Flow::Stop);
            }
            let (result, is_error) = if decision.allowed {
                // An error from `invoke` comes before the MCP call (a failed call is a
                // result), so a transient one is tried again.
                let outcome = retrying!(self.ctx, "tool call", self.ctx.tools.invoke(scope, tool, &call.arguments))?;
                (outcome.result, outcome.is_error)
            } else {
                let (code, message) = decision.refusal.clone().unwrap_or(("ACCESS_DENIED".into(), "refused".into()));
                (data(&ErrorInfo { code, message, extra: Default::default() }), true)
            };
            if !self.tool_result(&call, &tool.name, result, is_error, false).await? {
                return Ok(Flow::Stop);
            }
        }
    }

    /// Stores the call's `tool_call` event with an `approval_required` and the
    /// approval; the run then waits for the decision.
    async fn request_approval(
        &mut self,
        call: &ToolCall,
        tool_name: &str,
        call_ev: (&'static str, Value),
    ) -> ApiResult<()> {
        let arguments = call.arguments.as_object().cloned().unwrap_or_default();
        let now = now_ms();
        let a = ApprovalRow {
            id: new_id(),
            tenant_id: self.run.tenant_id.clone(),
            run_id: self.run.id.clone(),
            agent_id: Some(self.run.agent_id.clone()),
            deployment_id: self.run.deployment_id.clone(),
            external_app_id: self.run.external_app_id.clone(),
            tool_call_id: call.id.clone(),
            tool_name: tool_name.to_string(),
            arguments: call.arguments.clone(),
            status: types::ApprovalStatus::Pending.as_str().into(),
            reason: None,
            decided_by: None,
            created_at: now,
            decided_at: None,
            expires_at: now + self.ctx.settings.approval_ttl_s as i64 * 1000,
        };
        let req_ev = event(types::ApprovalRequired {
            approval_id: a.id.clone(),
            tool_call_id: Some(call.id.clone()),
            tool_name: tool_name.to_string(),
            arguments,
            extra: Default::default(),
        });
        if !self.pause().await || !self.pause().await {
            return Ok(());
        }
        self.commit(&[call_ev, req_ev], Some(&a), None, vec![]).await?;
        Ok(())
    }

    /// Stores a `tool_result` (and the tool error signal) and marks the call done.
    async fn tool_result(
        &mut self,
        call: &ToolCall,
        tool_name: &str,
        result: Value,
        is_error: bool,
        simulated: bool,
    ) -> ApiResult<bool> {
        if !self.pause().await {
            return Ok(false);
        }
        if let Some(p) = self.state.pending.as_mut() {
            p.done.push(CompletedToolCall { call: call.clone(), result: result.clone(), is_error });
        }
        let ev = event(types::ToolResult {
            tool_call_id: call.id.clone(),
            tool_name: tool_name.to_string(),
            result,
            is_error,
            // Sent in every `tool_result`, `false` outside test runs.
            simulated: Some(simulated),
            extra: Default::default(),
        });
        let sigs = if is_error {
            vec![("tool_error", None, data(&signals::ToolError { tool_name, tool_call_id: &call.id }))]
        } else {
            vec![]
        };
        self.commit(&[ev], None, None, sigs).await
    }

    /// Resumes after an approval decision: invokes the call or feeds the refusal.
    async fn after_decision(&mut self, scope: &RunScope, offered: &[OfferedTool]) -> ApiResult<bool> {
        let Some(p) = self.state.pending.clone() else {
            self.fail("INTERNAL_ERROR", "the run lost its pending tool call").await?;
            return Ok(false);
        };
        let Some(call) = p.calls.get(p.done.len()).cloned() else {
            return Ok(true);
        };
        let approval = retrying!(self.ctx, "approval of the call", async {
            let mut c = self.ctx.db.read().await?;
            Ok::<_, ApiError>(store::approval_of_call(&mut c, &self.run.id, &call.id).await?)
        })?;
        let Some(approval) = approval else {
            self.fail("INTERNAL_ERROR", "the approval of the pending tool call is missing").await?;
            return Ok(false);
        };
        let function = self.function_tool(&call.name);
        let tool = offered.iter().find(|t| t.name == call.name);
        if function.is_none() && tool.is_none() {
            let msg = format!("the tool {} is not attached to this agent", call.name);
            self.fail("AGENT_TOOL_NOT_ATTACHED", &msg).await?;
            return Ok(false);
        }
        let (result, is_error) = match (approval.status.as_str(), function, tool) {
            // An approved `client` call is announced again, now with its `execution`.
            ("APPROVED", Some(f), _) => {
                let announced = super::function_tools::execution(&f) == types::FunctionToolExecution::Http;
                return self.run_function(&call, &f, announced).await;
            }
            ("APPROVED", None, Some(tool)) => {
                let o = retrying!(self.ctx, "tool call", self.ctx.tools.invoke(scope, tool, &call.arguments))?;
                (o.result, o.is_error)
            }
            ("REJECTED" | "EXPIRED", ..) => {
                let code = if approval.status == "REJECTED" { "APPROVAL_REJECTED" } else { "APPROVAL_EXPIRED" };
                // The spec's refusal fed to the model carries the decision's `reason` (or null).
                let reason = approval.reason.clone().map_or(Value::Null, Value::String);
                let refusal = ErrorInfo {
                    code: code.into(),
                    message: "rejected by a human".into(),
                    extra: [("reason".to_string(), reason)].into_iter().collect(),
                };
                (data(&refusal), true)
            }
            (other, ..) => {
                return Err(ApiError::internal(format!("resumed a run whose approval is {other}")));
            }
        };
        self.tool_result(&call, &call.name, result, is_error, false).await
    }

    async fn propose_memory(
        &self,
        provider: &dyn ModelProvider,
        model: &str,
        scope: &RunScope,
        message: &str,
        out: &str,
    ) {
        // `ZABY_MEMORY_EXTRACTION=off` saves the extra model call of every run.
        let off = self.ctx.settings.memory_extraction == crate::config::MemoryExtraction::Off;
        if off || scope.end_user.is_none() || self.run.is_test_run {
            return;
        }
        let call = ModelCall::start(provider.kind(), model);
        let candidates = provider.memory_candidates(&self.run.input, message, out).await;
        call.end(candidates.is_ok());
        match candidates {
            Ok(list) => {
                let pairs = list.into_iter().map(|c| (c.content, c.kind.as_str().to_string())).collect::<Vec<_>>();
                if pairs.is_empty() {
                    return;
                }
                let config = self.run.snapshot["config"].clone();
                if let Err(e) = self.ctx.run_knowledge.propose_memory(scope, &config, pairs).await {
                    tracing::warn!(run_id = %self.run.id, error = %e.message, "storing memory candidates failed");
                }
            }
            Err(e) => tracing::warn!(run_id = %self.run.id, error = %e.message, "memory candidates failed"),
        }
    }
}

enum Flow {
    Continue,
    Stop,
}

enum StepOutcome {
    /// The step's last batch of events, not committed yet.
    Answered(Vec<(&'static str, Value)>),
    Tools(String, Vec<ToolCall>),
    Stopped,
}
