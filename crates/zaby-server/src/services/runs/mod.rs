//! Runs (`docs/server.md`): starting them (runtime, provisioning, tenant and test
//! runs), reading them (progress, event pages, lists), cancelling them. The executor
//! (`executor`) claims stored runs and drives the agent loop; approvals, feedback,
//! signals and the usage report live in their own modules.

pub mod agent_usage;
pub mod approvals;
mod busy;
pub mod executor;
pub mod feedback;
pub mod function_tools;
pub mod signals;
pub mod waiters;

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tokio::sync::{Notify, watch};
use zaby::types::{
    AgentRunInput, CancelRunInput, DeploymentStatus, E108Query, ListQuery, OnBusy, RunFinished, RunStartInput,
    RunStatus,
};
use zaby_models::{ModelRegistry, ModelSettings};

use super::idempotency::{self, Operation, Owner, Scope};
use super::managed::runtime_auth::{self, RuntimeCaller};
use super::paging::{events_within, page_of};
use super::run_seams::EndUser;
use super::webhooks::outbox;
use super::{Caller, Ctx};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::storage::agents::AgentRow;
use crate::storage::deployments::{self as deployment_store, DeploymentRow};
use crate::storage::page::Page;
use crate::storage::runs::{self as store, RunRow};
use crate::storage::sql::{Conn, lock};
use crate::storage::{agents as agent_store, policies as policy_store};
use crate::util::clock::now_ms;
use crate::util::crypto::SecretBox;
use crate::util::ids::new_id;
use crate::util::input::Problems;

const LIVE: &[&str] = &["QUEUED", "RUNNING", "WAITING_FOR_APPROVAL", "WAITING_FOR_TOOL_RESULT"];

/// Shared state of the runs domain, held by [`Ctx`].
pub struct RunsState {
    /// Bumped when a run's row or events changed (committed), for the streams and
    /// held starts waiting on that run. Changes made by other replicas reach them
    /// through the process's poller (`waiters::poll`).
    pub run_watchers: waiters::Watchers<u64>,
    /// Set by the poller when the grant of an open stream can no longer be used.
    pub grant_watchers: waiters::Watchers<bool>,
    /// Wakes the executor when a run becomes claimable.
    pub wakeup: Notify,
    pub models: ModelRegistry,
    /// This process's executor identity (lease owner).
    pub executor_id: String,
    /// Flipped when the server shuts down: streams say `: shutdown` and end, run
    /// tasks stop before their next event.
    pub shutdown: watch::Sender<bool>,
    pub secrets: SecretBox,
}

impl RunsState {
    pub fn new(settings: &Settings, secrets: SecretBox) -> anyhow::Result<RunsState> {
        let mut ms = ModelSettings::new();
        if let Some(path) = &settings.config_file {
            let text = std::fs::read_to_string(path)?;
            ms = ms.with_config_toml(&text).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let ms = ms.with_process_env().map_err(|e| anyhow::anyhow!("{e}"))?;
        let models = ModelRegistry::new(ms).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(RunsState {
            run_watchers: waiters::Watchers::default(),
            grant_watchers: waiters::Watchers::default(),
            wakeup: Notify::new(),
            models,
            executor_id: format!("exec-{}", new_id()),
            shutdown: watch::channel(false).0,
            secrets,
        })
    }

    pub fn notify(&self, run_id: &str) {
        self.run_watchers.update(run_id, |v| *v = v.wrapping_add(1));
    }

    pub fn shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }
}

// ---- what the services answer ----

/// A run as read, with its open approval while it waits for one (the wire's `Run`).
pub(crate) struct RunView {
    pub(crate) row: RunRow,
    pub(crate) pending: Option<store::ApprovalRow>,
}

impl RunView {
    pub(crate) async fn load(conn: &mut Conn, row: RunRow) -> ApiResult<RunView> {
        let pending =
            if row.status == "WAITING_FOR_APPROVAL" { store::pending_of_run(conn, &row.id).await? } else { None };
        Ok(RunView { row, pending })
    }
}

/// A started run; `replayed` when an earlier start with the same idempotency key
/// answered.
pub(crate) struct Started {
    pub(crate) run: RunRow,
    pub(crate) replayed: bool,
}

/// A page of a run's stored events (the wire's `RunEventPage`).
pub(crate) struct EventPage {
    pub(crate) run: RunRow,
    pub(crate) events: Vec<store::EventRow>,
    pub(crate) next_cursor: Option<String>,
    pub(crate) total: i64,
}

// ---- starting ----

/// Where a start comes from.
pub enum StartFrom<'a> {
    Runtime(&'a RuntimeCaller),
    /// E13 / E107.
    Managed {
        caller: &'a Caller,
        agent_id: &'a str,
    },
    /// E12 / E106.
    Test {
        caller: &'a Caller,
        agent_id: &'a str,
    },
}

struct RunInput {
    input: Value,
    respond_async: bool,
    /// The idempotency key, kept on the run; an empty one is none.
    request_id: Option<String>,
    session_id: Option<String>,
    deployment_id: Option<String>,
    mcp_bearer: Option<String>,
    /// Function tools for this run only (`function_tools`).
    tools: Option<Vec<zaby::types::FunctionTool>>,
    on_busy: Option<OnBusy>,
}

/// A start's body, typed by its route: runtime starts (E119) take `RunStartInput`,
/// agent starts (E12, E13, E106, E107) `AgentRunInput`.
pub(crate) enum StartBody {
    Agent(AgentRunInput),
    Runtime(RunStartInput),
}

/// What the catalogue cannot say about a start's body; also the body as JSON, which
/// the idempotency key fingerprints.
fn parse_input(body: StartBody) -> ApiResult<(RunInput, Value)> {
    let json = match &body {
        StartBody::Agent(b) => serde_json::to_value(b),
        StartBody::Runtime(b) => serde_json::to_value(b),
    }
    .map_err(|e| ApiError::internal("the start body could not be read back").with_cause(e.to_string()))?;
    let mut p = Problems::default();
    let ri = match body {
        StartBody::Agent(b) => {
            for (field, value, max) in [
                ("sessionId", &b.session_id, 200),
                ("deploymentId", &b.deployment_id, 100),
                ("mcpRuntimeBearerToken", &b.mcp_runtime_bearer_token, 8192),
            ] {
                if let Some(v) = value {
                    p.text(field, v, max, false);
                }
            }
            RunInput {
                input: b.input,
                respond_async: b.respond_async.unwrap_or(false),
                request_id: b.request_id,
                session_id: b.session_id,
                deployment_id: b.deployment_id,
                mcp_bearer: b.mcp_runtime_bearer_token,
                tools: b.tools,
                on_busy: b.on_busy,
            }
        }
        StartBody::Runtime(b) => RunInput {
            input: b.input,
            respond_async: b.respond_async.unwrap_or(false),
            request_id: b.request_id,
            session_id: None,
            deployment_id: None,
            mcp_bearer: None,
            tools: b.tools,
            on_busy: b.on_busy,
        },
    };
    if ri.input.is_null() {
        p.add("input", "is required");
    }
    p.finish()?;
    Ok((ri, json))
}

fn agent_not_active(status: &str) -> ApiError {
    ApiError::conflict("AGENT_NOT_ACTIVE", format!("the agent is {status}"))
}

fn deployment_not_active(d: &DeploymentRow) -> ApiError {
    ApiError::conflict("DEPLOYMENT_NOT_ACTIVE", format!("the deployment is {}", d.status))
        .with_details(json!({ "deploymentId": d.id, "status": d.status }))
}

/// Follows a SUPERSEDED chain; the end must be ACTIVE.
async fn runnable_deployment(conn: &mut Conn, d: DeploymentRow) -> ApiResult<DeploymentRow> {
    let end = super::deployments::resolve_chain(conn, d).await?;
    if end.status != DeploymentStatus::Active.as_str() {
        return Err(deployment_not_active(&end));
    }
    Ok(end)
}

async fn version_snapshot(conn: &mut Conn, d: &DeploymentRow) -> ApiResult<Value> {
    let v = agent_store::get_version(conn, &d.tenant_id, &d.agent_version_id)
        .await?
        .ok_or_else(|| ApiError::conflict("DEPLOYMENT_NOT_ACTIVE", "the deployed version no longer exists"))?;
    Ok(v.snapshot)
}

/// What a start resolved about where the run comes from, before anything is stored.
struct Placement {
    agent_id: String,
    snapshot: Value,
    deployment_id: Option<String>,
    external_app_id: Option<String>,
    policy_id: Option<String>,
    grant_id: Option<String>,
    session_id: String,
    end_user: Option<Value>,
    is_test_run: bool,
}

/// A runtime token's start: its grant's deployment (followed to the ACTIVE end of its
/// chain). Its policy's concurrency limit is checked once the session's busy mode has
/// acted ([`within_policy_limit`]).
async fn place_runtime(conn: &mut Conn, rc: &RuntimeCaller) -> ApiResult<Placement> {
    let g = &rc.grant;
    let d = deployment_store::get(conn, &rc.tenant_id, &g.deployment_id)
        .await?
        .ok_or_else(|| ApiError::conflict("DEPLOYMENT_NOT_ACTIVE", "the token's deployment no longer exists"))?;
    let d = runnable_deployment(conn, d).await?;
    lock(conn, "agents", &d.agent_id).await?;
    let a = agent_store::get(conn, &rc.tenant_id, &d.agent_id)
        .await?
        .ok_or_else(|| ApiError::conflict("AGENT_NOT_ACTIVE", "the agent no longer exists"))?;
    ensure_agent_active(&a)?;
    Ok(Placement {
        agent_id: d.agent_id.clone(),
        snapshot: version_snapshot(conn, &d).await?,
        deployment_id: Some(d.id),
        external_app_id: g.external_app_id.clone(),
        policy_id: g.policy_id.clone(),
        grant_id: Some(g.id.clone()),
        session_id: g.session_id.clone(),
        end_user: Some(
            serde_json::to_value(EndUser {
                external_user_id: g.doc.end_user.external_user_id.clone(),
                unique_id_hash: g.doc.end_user.unique_id_hash.clone(),
            })
            .map_err(anyhow::Error::from)?,
        ),
        is_test_run: false,
    })
}

/// A runtime start within its policy's `maxConcurrentRuns`, counted after an
/// interrupting start cancelled its session's runs (they free their slots).
async fn within_policy_limit(conn: &mut Conn, tenant_id: &str, policy_id: &str) -> ApiResult<()> {
    // The policy row lock serializes concurrent starts under PostgreSQL;
    // SQLite write transactions are serialized anyway.
    lock(conn, "runtime_token_policies", policy_id).await?;
    if let Some(p) = policy_store::get(conn, tenant_id, policy_id).await?
        && let Some(max) = p.doc.max_concurrent_runs
    {
        let live = store::count_live_of_policy(conn, tenant_id, policy_id).await?;
        if live >= max {
            return Err(ApiError::new(
                http::StatusCode::TOO_MANY_REQUESTS,
                "RUNTIME_CONCURRENCY_LIMIT_EXCEEDED",
                format!("the policy allows at most {max} concurrent runs"),
            )
            .with_details(json!({ "limit": max }))
            .with_retry_after(1));
        }
    }
    Ok(())
}

/// A tenant or provisioning start: the body's deployment of the agent, else its
/// newest ACTIVE one.
async fn place_deployed(conn: &mut Conn, a: &AgentRow, ri: &RunInput) -> ApiResult<Placement> {
    let d = match &ri.deployment_id {
        Some(did) => match deployment_store::get(conn, &a.tenant_id, did).await? {
            Some(d) if d.agent_id == a.id => d,
            _ => return Err(ApiError::invalid("deploymentId", "is not a deployment of this agent")),
        },
        None => super::deployments::newest_active(conn, &a.tenant_id, &a.id).await?,
    };
    ensure_agent_active(a)?;
    let d = runnable_deployment(conn, d).await?;
    Ok(Placement {
        snapshot: version_snapshot(conn, &d).await?,
        deployment_id: Some(d.id),
        session_id: ri.session_id.clone().unwrap_or_else(new_id),
        ..Placement::of_agent(a)
    })
}

/// A test run executes the agent's draft, without a deployment.
fn place_test(a: &AgentRow, ri: &RunInput) -> ApiResult<Placement> {
    ensure_agent_active(a)?;
    Ok(Placement {
        snapshot: super::agents::snapshot(a),
        session_id: ri.session_id.clone().unwrap_or_else(new_id),
        is_test_run: true,
        ..Placement::of_agent(a)
    })
}

impl Placement {
    fn of_agent(a: &AgentRow) -> Placement {
        Placement {
            agent_id: a.id.clone(),
            snapshot: Value::Null,
            deployment_id: None,
            external_app_id: None,
            policy_id: None,
            grant_id: None,
            session_id: String::new(),
            end_user: None,
            is_test_run: false,
        }
    }
}

fn ensure_agent_active(a: &AgentRow) -> ApiResult<()> {
    if matches!(a.status.as_str(), "PAUSED" | "DISABLED") {
        return Err(agent_not_active(&a.status));
    }
    Ok(())
}

/// Where a start comes from, resolved once: whose run it is, the idempotency scope,
/// and what is left to check once the key is claimed.
struct Origin<'a> {
    tenant_id: &'a str,
    scope: Scope<'a>,
    source: Source<'a>,
}

enum Source<'a> {
    Runtime(&'a RuntimeCaller),
    Deployed(AgentRow),
    Test(AgentRow),
}

/// The path's agent is looked up (and locked) here, so that a missing one is a 404
/// before the body is read; a runtime token's rate limit and use are taken here, in
/// the start's transaction, so that a start refused later consumes nothing.
async fn origin<'a>(conn: &mut Conn, from: StartFrom<'a>, now: i64) -> ApiResult<Origin<'a>> {
    let (caller, agent_id, operation) = match from {
        StartFrom::Runtime(rc) => {
            runtime_auth::consume(conn, rc, now).await?;
            let owner = Owner::Session { tenant_id: &rc.tenant_id, session_id: rc.session_id() };
            let scope = Scope { owner, operation: Operation::StartRun, resource: "" };
            return Ok(Origin { tenant_id: &rc.tenant_id, scope, source: Source::Runtime(rc) });
        }
        StartFrom::Managed { caller, agent_id } => (caller, agent_id, Operation::StartRun),
        StartFrom::Test { caller, agent_id } => (caller, agent_id, Operation::StartTestRun),
    };
    lock(conn, "agents", agent_id).await?;
    let agent = super::agents::load(conn, &caller.tenant_id, agent_id).await?;
    let source = if operation == Operation::StartTestRun { Source::Test(agent) } else { Source::Deployed(agent) };
    let scope = Scope { owner: Owner::Tenant(&caller.tenant_id), operation, resource: agent_id };
    Ok(Origin { tenant_id: &caller.tenant_id, scope, source })
}

/// E12, E13, E106, E107, E119.
pub(crate) async fn start(ctx: &Ctx, from: StartFrom<'_>, body: ApiResult<StartBody>) -> ApiResult<Started> {
    let now = now_ms();
    let mut tx = ctx.db.write().await?;
    // Path resource first (404), then the body (422), then state (409).
    let origin = origin(tx.conn(), from, now).await?;
    let (ri, json) = parse_input(body?)?;
    let idem = idempotency::key(origin.scope, &json)?;
    let request_id = ri.request_id.clone().filter(|s| !s.is_empty());
    if let Some(stored) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        // A replay answers, so a runtime token's use stays taken.
        tx.commit().await?;
        let run_id = stored["runId"].as_str().unwrap_or_default().to_string();
        let r = if ri.respond_async {
            load_any(ctx, origin.tenant_id, &run_id).await?
        } else {
            hold(ctx, origin.tenant_id, &run_id).await?
        };
        return Ok(Started { run: r, replayed: true });
    }
    let mut placed = match &origin.source {
        Source::Runtime(rc) => place_runtime(tx.conn(), rc).await?,
        Source::Deployed(a) => place_deployed(tx.conn(), a, &ri).await?,
        Source::Test(a) => place_test(a, &ri)?,
    };
    let runtime = matches!(origin.source, Source::Runtime(_));
    function_tools::add_to_run(&mut placed.snapshot, ri.tools.clone(), runtime)?;
    let run_id = new_id();
    let mode = busy::mode(ri.on_busy, &placed.snapshot);
    let admitted = busy::admit(tx.conn(), origin.tenant_id, &placed.session_id, &run_id, mode, now).await?;
    if let Some(pid) = &placed.policy_id {
        within_policy_limit(tx.conn(), origin.tenant_id, pid).await?;
    }
    let run = RunRow {
        id: run_id,
        tenant_id: origin.tenant_id.to_string(),
        agent_id: placed.agent_id,
        deployment_id: placed.deployment_id,
        external_app_id: placed.external_app_id,
        policy_id: placed.policy_id,
        grant_id: placed.grant_id,
        session_id: placed.session_id,
        workflow_id: new_id(),
        status: "QUEUED".into(),
        is_test_run: placed.is_test_run,
        input: ri.input.clone(),
        request_id,
        snapshot: placed.snapshot,
        end_user: placed.end_user,
        mcp_bearer_sealed: ri.mcp_bearer.as_ref().map(|t| ctx.runs.secrets.seal(t.as_bytes())),
        final_output: None,
        error: None,
        latest_seq: 0,
        steps: 0,
        input_tokens: 0,
        output_tokens: 0,
        tool_calls: 0,
        approvals_requested: 0,
        loop_state: None,
        cancel_reason: None,
        lease_owner: None,
        lease_until: 0,
        claims: 0,
        created_at: admitted.created_at,
        started_at: None,
        completed_at: None,
        updated_at: now,
    };
    store::insert_run(tx.conn(), &run).await?;
    admitted.stored(tx.conn(), &run.id).await?;
    idempotency::complete(tx.conn(), &idem, 201, &json!({ "runId": run.id })).await?;
    tx.commit().await?;
    for r in &admitted.interrupted {
        cancelled(ctx, r);
    }
    metrics::counter!("zaby_runs_started_total").increment(1);
    ctx.runs.wakeup.notify_one();
    let r = if ri.respond_async { run } else { hold(ctx, &run.tenant_id, &run.id).await? };
    Ok(Started { run: r, replayed: false })
}

async fn load_any(ctx: &Ctx, tenant_id: &str, id: &str) -> ApiResult<RunRow> {
    let mut conn = ctx.db.read().await?;
    store::get(&mut conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("run"))
}

/// Waits until the run ends or needs approval, at most `ZABY_SYNC_WAIT_MS`.
async fn hold(ctx: &Ctx, tenant_id: &str, id: &str) -> ApiResult<RunRow> {
    let deadline = Instant::now() + Duration::from_millis(ctx.settings.sync_wait_ms);
    let mut changes = ctx.runs.run_watchers.watch(id);
    loop {
        changes.seen();
        let r = load_any(ctx, tenant_id, id).await?;
        if r.is_terminal() || r.status == "WAITING_FOR_APPROVAL" || r.status == "WAITING_FOR_TOOL_RESULT" {
            return Ok(r);
        }
        let now = Instant::now();
        if now >= deadline || ctx.runs.shutting_down() {
            return Ok(r);
        }
        let _ = tokio::time::timeout(deadline - now, changes.changed()).await;
    }
}

// ---- reading ----

/// Who reads a run: a tenant caller, or a runtime token (same session only).
pub enum Reader<'a> {
    Tenant(&'a str),
    Runtime(&'a RuntimeCaller),
}

pub async fn load_visible(conn: &mut Conn, reader: &Reader<'_>, id: &str) -> ApiResult<RunRow> {
    let (tenant, session) = match reader {
        Reader::Tenant(t) => (*t, None),
        Reader::Runtime(rc) => (rc.tenant_id.as_str(), Some(rc.session_id())),
    };
    match store::get(conn, tenant, id).await? {
        Some(r) if session.is_none_or(|s| s == r.session_id) => Ok(r),
        _ => Err(ApiError::not_found("run")),
    }
}

/// E16 / E109.
pub(crate) async fn progress(ctx: &Ctx, reader: &Reader<'_>, id: &str) -> ApiResult<RunView> {
    let mut conn = ctx.db.read().await?;
    let r = load_visible(&mut conn, reader, id).await?;
    RunView::load(&mut conn, r).await
}

/// `cursor` of an event page: the decimal seq after which the page starts.
fn seq_cursor(cursor: Option<&str>) -> ApiResult<i64> {
    match cursor {
        None | Some("") => Ok(0),
        Some(c) => match c.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(ApiError::invalid("cursor", "must be a non-negative integer (the seq of the last event seen)")),
        },
    }
}

/// E17 / E110 / E120; `limit` is within 1–500 (`http::extract::Query`).
pub(crate) async fn events_page(ctx: &Ctx, reader: &Reader<'_>, id: &str, q: &ListQuery) -> ApiResult<EventPage> {
    let limit = q.limit.unwrap_or(50);
    let after = seq_cursor(q.cursor.as_deref())?;
    let mut conn = ctx.db.read().await?;
    let r = load_visible(&mut conn, reader, id).await?;
    let mut events = store::events_after(&mut conn, &r.id, after, limit).await?;
    // Bounded by bytes as well as by count; `nextCursor` goes on after the last one kept.
    events.truncate(events_within(ctx.settings.max_page_bytes, &r.id, &events));
    let total = store::count_events(&mut conn, &r.id).await?;
    let newest = store::last_event(&mut conn, &r.id).await?.map(|e| e.seq).unwrap_or(0);
    let next = match events.last() {
        Some(last) if last.seq < newest => Some(last.seq.to_string()),
        _ => None,
    };
    Ok(EventPage { run: r, events, next_cursor: next, total })
}

/// E108.
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, agent_id: &str, q: &E108Query) -> ApiResult<Page<RunView>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.as_ref().map(RunStatus::as_str);
    let mut conn = ctx.db.read().await?;
    super::agents::load(&mut conn, &caller.tenant_id, agent_id).await?;
    let rows = store::list(&mut conn, &caller.tenant_id, agent_id, status, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for r in rows.items {
        items.push(RunView::load(&mut conn, r).await?);
    }
    Ok(Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total })
}

// ---- cancel ----

/// E18 / E122: the status change, the approval and the terminal event in one
/// transaction.
pub(crate) async fn cancel(ctx: &Ctx, reader: &Reader<'_>, id: &str, body: CancelRunInput) -> ApiResult<RunView> {
    let reason = body.reason;
    let mut p = Problems::default();
    if let Some(r) = &reason {
        p.text("reason", r, 2000, true);
    }
    p.finish()?;
    let mut tx = ctx.db.write().await?;
    lock(tx.conn(), "runs", id).await?;
    let r = load_visible(tx.conn(), reader, id).await?;
    match r.status.parse() {
        Ok(RunStatus::Cancelled) => return RunView::load(tx.conn(), r).await,
        Ok(RunStatus::Completed | RunStatus::Failed) => {
            return Err(ApiError::conflict("RUN_ALREADY_FINISHED", format!("the run is {}", r.status)));
        }
        _ => {}
    }
    let after = cancel_live(tx.conn(), &r, reason.as_deref()).await?;
    let view = RunView::load(tx.conn(), after).await?;
    tx.commit().await?;
    cancelled(ctx, &view.row);
    Ok(view)
}

/// Cancels a run that has not ended, in the caller's transaction (the run's row
/// locked): its open approval, the terminal event, the status, the signal and the
/// webhooks; also the cancels of an interrupting start (`busy`).
async fn cancel_live(conn: &mut Conn, r: &RunRow, reason: Option<&str>) -> ApiResult<RunRow> {
    let now = now_ms();
    let Some(seq) = store::next_seq_if(conn, &r.id, LIVE, now).await? else {
        return Err(ApiError::conflict("CONFLICT", "the run changed; try again"));
    };
    let pending = store::pending_of_run(conn, &r.id).await?;
    if let Some(a) = &pending {
        store::decide_approval(conn, &a.id, "CANCELLED", reason, None, now).await?;
    }
    let finished = RunFinished {
        run_id: r.id.clone(),
        status: "CANCELLED".into(),
        final_output: None,
        citations: Some(Vec::new()),
        extra: Map::new(),
    };
    let data = serde_json::to_value(finished)
        .map_err(|e| ApiError::internal("the RunFinished event could not be written").with_cause(e.to_string()))?;
    store::insert_event(conn, &r.id, &r.tenant_id, seq, "RunFinished", &data, now).await?;
    store::finish(conn, &r.id, "CANCELLED", None, None, reason, now).await?;
    let after = store::get(conn, &r.tenant_id, &r.id).await?.ok_or_else(|| ApiError::not_found("run"))?;
    signals::run_ended(conn, &after).await?;
    // The approval ended with its run (CANCELLED, a status of the catalogue's
    // ApprovalStatus): a receiver that tracks pending approvals hears so, just before
    // run.cancelled, like any other end of an approval (docs/webhooks.md).
    if let Some(a) = pending {
        let cancelled =
            store::get_approval(conn, &r.tenant_id, &a.id).await?.ok_or_else(|| ApiError::not_found("approval"))?;
        outbox::record_approval(conn, &after, cancelled).await?;
    }
    outbox::record_run(conn, &after, "run.cancelled").await?;
    Ok(after)
}

/// After a cancel's commit: the metric, and the run's streams and held starts.
fn cancelled(ctx: &Ctx, r: &RunRow) {
    crate::http::metrics::run_finished("CANCELLED", r.created_at);
    ctx.runs.notify(&r.id);
}
