//! Runs (SERVER.md §5): starting them (runtime, provisioning, tenant and test
//! runs), reading them (progress, event pages, lists), cancelling them. The executor
//! (`executor`) claims stored runs and drives the agent loop; approvals, feedback,
//! signals and the usage report live in their own modules.

pub mod agent_usage;
pub mod approvals;
pub mod executor;
pub mod feedback;
pub mod signals;
pub mod waiters;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use zaby_models::{ModelRegistry, ModelSettings};

use super::managed::runtime_auth::RuntimeCaller;
use super::paging::{Query, enum_param, list_body, page_request};
use super::{Caller, Ctx, Outcome, idempotency};
use crate::config::Settings;
use crate::error::{ApiError, ApiResult};
use crate::storage::deployments::{self as deployment_store, DeploymentRow};
use crate::storage::runs::{self as store, RunRow};
use crate::storage::sql::{Conn, lock};
use crate::storage::{agents as agent_store, policies as policy_store};
use crate::util::clock::{iso, iso_opt, now_ms};
use crate::util::crypto::SecretBox;
use crate::util::ids::new_id;
use crate::util::input::Fields;

pub const RUN_STATUSES: &[&str] = &["QUEUED", "RUNNING", "WAITING_FOR_APPROVAL", "COMPLETED", "FAILED", "CANCELLED"];
const LIVE: &[&str] = &["QUEUED", "RUNNING", "WAITING_FOR_APPROVAL"];

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

// ---- rendering ----

pub fn render_approval(a: &store::ApprovalRow) -> Value {
    json!({
        "id": a.id,
        "runId": a.run_id,
        "agentId": a.agent_id,
        "deploymentId": a.deployment_id,
        "externalAppId": a.external_app_id,
        "toolCallId": a.tool_call_id,
        "toolName": a.tool_name,
        "arguments": a.arguments,
        "status": a.status,
        "reason": a.reason,
        "decidedBy": a.decided_by,
        "createdAt": iso(a.created_at),
        "decidedAt": iso_opt(a.decided_at),
    })
}

/// The `Run` object of API.md §4.17.
pub async fn render_run(conn: &mut Conn, r: &RunRow) -> ApiResult<Value> {
    let pending = if r.status == "WAITING_FOR_APPROVAL" {
        store::pending_of_run(conn, &r.id).await?.map(|a| render_approval(&a))
    } else {
        None
    };
    Ok(json!({
        "id": r.id,
        "runId": r.id,
        "workflowId": r.workflow_id,
        "agentId": r.agent_id,
        "deploymentId": r.deployment_id,
        "externalAppId": r.external_app_id,
        "agentSessionId": r.session_id,
        "status": r.status,
        "isTestRun": r.is_test_run,
        "input": r.input,
        "finalOutput": r.final_output,
        "error": r.error,
        "latestSeq": r.latest_seq,
        "requestId": r.request_id,
        "pendingApproval": pending,
        "steps": r.steps,
        "usage": { "inputTokens": r.input_tokens, "outputTokens": r.output_tokens },
        "createdAt": iso(r.created_at),
        "startedAt": iso_opt(r.started_at),
        "completedAt": iso_opt(r.completed_at),
        "updatedAt": iso(r.updated_at),
    }))
}

/// The `RunStartResponse` of API.md §4.17.
pub fn start_response(r: &RunRow) -> Value {
    let status = match r.status.as_str() {
        "COMPLETED" | "FAILED" | "CANCELLED" | "WAITING_FOR_APPROVAL" => r.status.as_str(),
        _ => "PENDING",
    };
    json!({
        "workflowId": r.workflow_id,
        "runId": r.id,
        "deploymentId": r.deployment_id,
        "status": status,
        "latestSeq": r.latest_seq,
        "finalOutput": if r.status == "COMPLETED" { json!(r.final_output.clone().unwrap_or_default()) } else { Value::Null },
        "agentSessionId": r.session_id,
        "externalAppId": r.external_app_id,
        "createdAt": iso(r.created_at),
    })
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
    session_id: Option<String>,
    deployment_id: Option<String>,
    mcp_bearer: Option<String>,
}

fn parse_input(body: &Value, managed: bool) -> ApiResult<RunInput> {
    let mut f = Fields::new(body);
    let input = match f.raw("input") {
        None | Some(Value::Null) => {
            f.error("input", "is required");
            Value::Null
        }
        Some(v) => v.clone(),
    };
    let respond_async = f.opt_bool("respondAsync").unwrap_or(false);
    let (session_id, deployment_id, mcp_bearer) = if managed {
        (f.opt_str("sessionId", 200), f.opt_str("deploymentId", 100), f.opt_str("mcpRuntimeBearerToken", 8192))
    } else {
        (None, None, None)
    };
    f.finish()?;
    Ok(RunInput { input, respond_async, session_id, deployment_id, mcp_bearer })
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
    if end.status != "ACTIVE" {
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

/// E12, E13, E106, E107, E119.
pub async fn start(ctx: &Ctx, from: StartFrom<'_>, body: &Value) -> ApiResult<Outcome> {
    let managed = !matches!(from, StartFrom::Runtime(_));
    let now = now_ms();
    let mut tx = ctx.db.write().await?;
    // Path resource first (404), then the body (422), then state (409).
    let agent = match &from {
        StartFrom::Managed { caller, agent_id } | StartFrom::Test { caller, agent_id } => {
            lock(tx.conn(), "agents", agent_id).await?;
            Some(super::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?)
        }
        StartFrom::Runtime(_) => None,
    };
    let ri = parse_input(body, managed)?;
    let scope = match &from {
        StartFrom::Runtime(rc) => format!("rt:{}:{}|E119|", rc.tenant_id, rc.session_id()),
        StartFrom::Managed { caller, agent_id } => format!("{}|E13|{}", caller.tenant_id, agent_id),
        StartFrom::Test { caller, agent_id } => format!("{}|E12|{}", caller.tenant_id, agent_id),
    };
    let idem = idempotency::key(scope, body)?;
    let request_id = body.get("requestId").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(replay) = idempotency::claim(tx.conn(), &idem, ctx.settings.idempotency_ttl_s).await? {
        drop(tx);
        let Outcome::Replayed(stored) = replay else {
            return Err(ApiError::internal("unexpected idempotency outcome"));
        };
        let tenant = match &from {
            StartFrom::Runtime(rc) => rc.tenant_id.clone(),
            StartFrom::Managed { caller, .. } | StartFrom::Test { caller, .. } => caller.tenant_id.clone(),
        };
        let run_id = stored["runId"].as_str().unwrap_or_default().to_string();
        let r =
            if ri.respond_async { load_any(ctx, &tenant, &run_id).await? } else { hold(ctx, &tenant, &run_id).await? };
        return Ok(Outcome::Replayed(start_response(&r)));
    }

    let mut run = RunRow {
        id: new_id(),
        tenant_id: String::new(),
        agent_id: String::new(),
        deployment_id: None,
        external_app_id: None,
        policy_id: None,
        grant_id: None,
        session_id: String::new(),
        workflow_id: new_id(),
        status: "QUEUED".into(),
        is_test_run: false,
        input: ri.input.clone(),
        request_id,
        snapshot: Value::Null,
        end_user: None,
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
        created_at: now,
        started_at: None,
        completed_at: None,
        updated_at: now,
    };
    match &from {
        StartFrom::Runtime(rc) => {
            let g = &rc.grant;
            let d = deployment_store::get(tx.conn(), &rc.tenant_id, &g.deployment_id).await?.ok_or_else(|| {
                ApiError::conflict("DEPLOYMENT_NOT_ACTIVE", "the token's deployment no longer exists")
            })?;
            let d = runnable_deployment(tx.conn(), d).await?;
            lock(tx.conn(), "agents", &d.agent_id).await?;
            let a = agent_store::get(tx.conn(), &rc.tenant_id, &d.agent_id)
                .await?
                .ok_or_else(|| ApiError::conflict("AGENT_NOT_ACTIVE", "the agent no longer exists"))?;
            if matches!(a.status.as_str(), "PAUSED" | "DISABLED") {
                return Err(agent_not_active(&a.status));
            }
            if let Some(pid) = &g.policy_id {
                // The policy row lock serializes concurrent starts under PostgreSQL;
                // SQLite write transactions are serialized anyway.
                lock(tx.conn(), "runtime_token_policies", pid).await?;
                if let Some(p) = policy_store::get(tx.conn(), &rc.tenant_id, pid).await?
                    && let Some(max) = p.int("maxConcurrentRuns")
                {
                    let live = store::count_live_of_policy(tx.conn(), &rc.tenant_id, pid).await?;
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
            }
            run.snapshot = version_snapshot(tx.conn(), &d).await?;
            run.tenant_id = rc.tenant_id.clone();
            run.agent_id = d.agent_id.clone();
            run.deployment_id = Some(d.id.clone());
            run.external_app_id = g.external_app_id.clone();
            run.policy_id = g.policy_id.clone();
            run.grant_id = Some(g.id.clone());
            run.session_id = g.session_id.clone();
            run.end_user = Some(json!({
                "externalUserId": g.doc["externalUserId"],
                "uniqueIdHash": g.doc["uniqueIdHash"],
            }));
        }
        StartFrom::Managed { caller, .. } => {
            let a = agent.expect("managed start has an agent");
            let d = match &ri.deployment_id {
                Some(did) => {
                    let d = deployment_store::get(tx.conn(), &caller.tenant_id, did).await?;
                    match d {
                        Some(d) if d.agent_id == a.id => d,
                        _ => return Err(ApiError::invalid("deploymentId", "is not a deployment of this agent")),
                    }
                }
                None => crate::services::deployments::newest_active(tx.conn(), &a.tenant_id, &a.id).await?,
            };
            if matches!(a.status.as_str(), "PAUSED" | "DISABLED") {
                return Err(agent_not_active(&a.status));
            }
            let d = runnable_deployment(tx.conn(), d).await?;
            run.snapshot = version_snapshot(tx.conn(), &d).await?;
            run.tenant_id = caller.tenant_id.clone();
            run.agent_id = a.id.clone();
            run.deployment_id = Some(d.id.clone());
            run.session_id = ri.session_id.clone().unwrap_or_else(new_id);
        }
        StartFrom::Test { caller, .. } => {
            let a = agent.expect("test start has an agent");
            if matches!(a.status.as_str(), "PAUSED" | "DISABLED") {
                return Err(agent_not_active(&a.status));
            }
            run.snapshot = super::agents::snapshot(&a);
            run.tenant_id = caller.tenant_id.clone();
            run.agent_id = a.id.clone();
            run.is_test_run = true;
            run.session_id = ri.session_id.clone().unwrap_or_else(new_id);
        }
    }
    store::insert_run(tx.conn(), &run).await?;
    idempotency::complete(tx.conn(), &idem, 201, &json!({ "runId": run.id })).await?;
    tx.commit().await?;
    metrics::counter!("zaby_runs_started_total").increment(1);
    ctx.runs.wakeup.notify_one();
    let r = if ri.respond_async { run } else { hold(ctx, &run.tenant_id, &run.id).await? };
    Ok(Outcome::Created(start_response(&r)))
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
        if r.is_terminal() || r.status == "WAITING_FOR_APPROVAL" {
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
pub async fn progress(ctx: &Ctx, reader: &Reader<'_>, id: &str) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let r = load_visible(&mut conn, reader, id).await?;
    Ok(Outcome::Ok(render_run(&mut conn, &r).await?))
}

/// `cursor` of an event page: the decimal seq after which the page starts.
fn seq_cursor(q: &Query) -> ApiResult<i64> {
    match q.get("cursor").map(String::as_str) {
        None | Some("") => Ok(0),
        Some(c) => match c.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(ApiError::invalid("cursor", "must be a non-negative integer (the seq of the last event seen)")),
        },
    }
}

pub fn render_event(run_id: &str, e: &store::EventRow) -> Value {
    json!({
        "id": e.seq.to_string(),
        "seq": e.seq,
        "runId": run_id,
        "event": e.event,
        "data": e.data,
        "createdAt": iso(e.created_at),
    })
}

/// E17 / E110 / E120.
pub async fn events_page(ctx: &Ctx, reader: &Reader<'_>, id: &str, q: &Query) -> ApiResult<Outcome> {
    let limit =
        page_request(&Query::from_iter(q.get("limit").map(|l| ("limit".to_string(), l.clone()))), 50, 500)?.limit;
    let after = seq_cursor(q)?;
    let mut conn = ctx.db.read().await?;
    let r = load_visible(&mut conn, reader, id).await?;
    let events = store::events_after(&mut conn, &r.id, after, limit).await?;
    let total = store::count_events(&mut conn, &r.id).await?;
    let newest = store::last_event(&mut conn, &r.id).await?.map(|e| e.seq).unwrap_or(0);
    let next = match events.last() {
        Some(last) if last.seq < newest => Some(last.seq.to_string()),
        _ => None,
    };
    let items: Vec<Value> = events.iter().map(|e| render_event(&r.id, e)).collect();
    Ok(Outcome::Ok(json!({
        "runId": r.id,
        "items": items,
        "events": items,
        "nextCursor": next,
        "total": total,
        "latestSeq": r.latest_seq,
        "status": r.status,
    })))
}

/// E108.
pub async fn list(ctx: &Ctx, caller: &Caller, agent_id: &str, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let status = enum_param(q, "status", RUN_STATUSES)?;
    let mut conn = ctx.db.read().await?;
    super::agents::load(&mut conn, &caller.tenant_id, agent_id).await?;
    let rows = store::list(&mut conn, &caller.tenant_id, agent_id, status.as_deref(), &page).await?;
    let mut items = Vec::new();
    for r in &rows.items {
        items.push(render_run(&mut conn, r).await?);
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        crate::storage::page::Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

// ---- cancel ----

/// E18 / E122: the status change, the approval and the terminal event in one
/// transaction.
pub async fn cancel(ctx: &Ctx, reader: &Reader<'_>, id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let reason = f.opt_text("reason", 2000);
    f.finish()?;
    let now = now_ms();
    let mut tx = ctx.db.write().await?;
    lock(tx.conn(), "runs", id).await?;
    let r = load_visible(tx.conn(), reader, id).await?;
    match r.status.as_str() {
        "CANCELLED" => {
            let body = render_run(tx.conn(), &r).await?;
            return Ok(Outcome::Ok(body));
        }
        "COMPLETED" | "FAILED" => {
            return Err(ApiError::conflict("RUN_ALREADY_FINISHED", format!("the run is {}", r.status)));
        }
        _ => {}
    }
    let Some(seq) = store::next_seq_if(tx.conn(), &r.id, LIVE, now).await? else {
        return Err(ApiError::conflict("CONFLICT", "the run changed; try again"));
    };
    if let Some(a) = store::pending_of_run(tx.conn(), &r.id).await? {
        store::decide_approval(tx.conn(), &a.id, "CANCELLED", reason.as_deref(), None, now).await?;
    }
    let data = json!({ "runId": r.id, "status": "CANCELLED", "finalOutput": null, "citations": [] });
    store::insert_event(tx.conn(), &r.id, &r.tenant_id, seq, "RunFinished", &data, now).await?;
    store::finish(tx.conn(), &r.id, "CANCELLED", None, None, reason.as_deref(), now).await?;
    let mut after = store::get(tx.conn(), &r.tenant_id, &r.id).await?.ok_or_else(|| ApiError::not_found("run"))?;
    signals::run_ended(tx.conn(), &after).await?;
    let body = render_run(tx.conn(), &after).await?;
    tx.commit().await?;
    crate::http::metrics::run_finished("CANCELLED", after.created_at);
    after.status = "CANCELLED".into();
    ctx.runs.notify(&after.id);
    Ok(Outcome::Ok(body))
}
