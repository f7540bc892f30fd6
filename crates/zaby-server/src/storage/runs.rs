//! Runs, run events, approvals, feedback and signals (migration 0002).
//!
//! Event sequence numbers are allocated by a conditional `UPDATE runs SET
//! latest_seq = latest_seq + 1 WHERE … status = 'RUNNING' AND lease_owner = …`, so
//! the executor that stores an event is the one holding the run, the sequence has no
//! gaps, and a cancel (which bumps the same row in its own transaction) excludes any
//! later event.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, RowExt, all, exec, one, scalar_i64};
use crate::args;

#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: String,
    pub tenant_id: String,
    pub agent_id: String,
    pub deployment_id: Option<String>,
    pub external_app_id: Option<String>,
    pub policy_id: Option<String>,
    pub grant_id: Option<String>,
    pub session_id: String,
    pub workflow_id: String,
    pub status: String,
    pub is_test_run: bool,
    pub input: Value,
    pub request_id: Option<String>,
    pub snapshot: Value,
    pub end_user: Option<Value>,
    pub mcp_bearer_sealed: Option<String>,
    pub final_output: Option<String>,
    pub error: Option<Value>,
    pub latest_seq: i64,
    pub steps: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub tool_calls: i64,
    pub approvals_requested: i64,
    pub loop_state: Option<Value>,
    pub cancel_reason: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: i64,
    pub claims: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub updated_at: i64,
}

impl RunRow {
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "COMPLETED" | "FAILED" | "CANCELLED")
    }
}

fn json_opt(row: &AnyRow, col: &str) -> DbResult<Option<Value>> {
    match row.text_opt(col)? {
        None => Ok(None),
        Some(t) => serde_json::from_str(&t).map(Some).map_err(|e| sqlx::Error::Decode(Box::new(e))),
    }
}

fn run(row: &AnyRow) -> DbResult<RunRow> {
    Ok(RunRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        agent_id: row.text("agent_id")?,
        deployment_id: row.text_opt("deployment_id")?,
        external_app_id: row.text_opt("external_app_id")?,
        policy_id: row.text_opt("policy_id")?,
        grant_id: row.text_opt("grant_id")?,
        session_id: row.text("session_id")?,
        workflow_id: row.text("workflow_id")?,
        status: row.text("status")?,
        is_test_run: row.flag("is_test_run")?,
        input: row.json("input")?,
        request_id: row.text_opt("request_id")?,
        snapshot: row.json("snapshot")?,
        end_user: json_opt(row, "end_user")?,
        mcp_bearer_sealed: row.text_opt("mcp_bearer_sealed")?,
        final_output: row.text_opt("final_output")?,
        error: json_opt(row, "error")?,
        latest_seq: row.int("latest_seq")?,
        steps: row.int("steps")?,
        input_tokens: row.int("input_tokens")?,
        output_tokens: row.int("output_tokens")?,
        tool_calls: row.int("tool_calls")?,
        approvals_requested: row.int("approvals_requested")?,
        loop_state: json_opt(row, "loop_state")?,
        cancel_reason: row.text_opt("cancel_reason")?,
        lease_owner: row.text_opt("lease_owner")?,
        lease_until: row.int("lease_until")?,
        claims: row.int("claims")?,
        created_at: row.int("created_at")?,
        started_at: row.int_opt("started_at")?,
        completed_at: row.int_opt("completed_at")?,
        updated_at: row.int("updated_at")?,
    })
}

pub async fn insert_run(conn: &mut Conn, r: &RunRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO runs (id, tenant_id, agent_id, deployment_id, external_app_id, policy_id, grant_id, session_id, \
         workflow_id, status, is_test_run, input, request_id, snapshot, end_user, mcp_bearer_sealed, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
        args![
            &r.id,
            &r.tenant_id,
            &r.agent_id,
            &r.deployment_id,
            &r.external_app_id,
            &r.policy_id,
            &r.grant_id,
            &r.session_id,
            &r.workflow_id,
            &r.status,
            r.is_test_run,
            &r.input,
            &r.request_id,
            &r.snapshot,
            r.end_user.as_ref().map(|v| v.to_string()),
            &r.mcp_bearer_sealed,
            r.created_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<RunRow>> {
    one(conn, "SELECT * FROM runs WHERE tenant_id = $1 AND id = $2", args![tenant_id, id])
        .await?
        .as_ref()
        .map(run)
        .transpose()
}

pub async fn get_by_id(conn: &mut Conn, id: &str) -> DbResult<Option<RunRow>> {
    one(conn, "SELECT * FROM runs WHERE id = $1", args![id]).await?.as_ref().map(run).transpose()
}

pub async fn list(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    status: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<RunRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id).eq("agent_id", agent_id);
    if let Some(s) = status {
        f.eq("status", s);
    }
    let page = fetch_page(conn, "runs", &f, page).await?;
    let items = page.items.iter().map(run).collect::<DbResult<Vec<_>>>()?;
    Ok(Page { items, cursors: page.cursors, next_cursor: page.next_cursor, total: page.total })
}

/// Runs of a policy that occupy a concurrency slot.
pub async fn count_live_of_policy(conn: &mut Conn, tenant_id: &str, policy_id: &str) -> DbResult<i64> {
    scalar_i64(
        conn,
        "SELECT COUNT(*) FROM runs WHERE tenant_id = $1 AND policy_id = $2 \
         AND status IN ('QUEUED', 'RUNNING', 'WAITING_FOR_APPROVAL')",
        args![tenant_id, policy_id],
    )
    .await
}

/// `(user message input, finalOutput)` of the session's last 20 COMPLETED runs
/// created before `before`, oldest first.
pub async fn session_history(
    conn: &mut Conn,
    tenant_id: &str,
    session_id: &str,
    before: i64,
    exclude_id: &str,
) -> DbResult<Vec<(Value, String)>> {
    let rows = all(
        conn,
        "SELECT input, final_output FROM runs WHERE tenant_id = $1 AND session_id = $2 AND status = 'COMPLETED' \
         AND created_at <= $3 AND id <> $4 ORDER BY created_at DESC, id DESC LIMIT 20",
        args![tenant_id, session_id, before, exclude_id],
    )
    .await?;
    let mut out = Vec::new();
    for r in rows.iter().rev() {
        out.push((r.json("input")?, r.text_opt("final_output")?.unwrap_or_default()));
    }
    Ok(out)
}

/// `(id, latest_seq, status)` of the given runs (at most 500 ids), for the stream poller.
pub async fn states_of(conn: &mut Conn, ids: &[String]) -> DbResult<Vec<(String, i64, String)>> {
    let (list, args) = crate::storage::sql::id_list(ids);
    let rows = all(conn, &format!("SELECT id, latest_seq, status FROM runs WHERE id IN ({list})"), args).await?;
    rows.iter().map(|r| Ok((r.text("id")?, r.int("latest_seq")?, r.text("status")?))).collect()
}

// ---- executor: claims and leases ----

/// Ids of runs an executor may claim now: QUEUED, or RUNNING with a lapsed lease.
/// A run the executor may claim, and the tenant it counts against.
pub struct Claimable {
    pub id: String,
    pub tenant_id: String,
}

/// Claimable runs in turns: every tenant's oldest, then every tenant's second, and so
/// on; inside a tenant, its end users take turns the same way. At most `per_tenant`
/// of each tenant, `limit` in all. So a tenant's backlog never hides another tenant's
/// first run from the executor.
pub async fn claimable(conn: &mut Conn, now: i64, per_tenant: i64, limit: i64) -> DbResult<Vec<Claimable>> {
    all(
        conn,
        "SELECT id, tenant_id FROM ( \
           SELECT id, tenant_id, created_at, \
             ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY user_turn, created_at, id) AS turn \
           FROM ( \
             SELECT id, tenant_id, created_at, \
               ROW_NUMBER() OVER (PARTITION BY tenant_id, COALESCE(end_user, '') ORDER BY created_at, id) AS user_turn \
             FROM runs WHERE status = 'QUEUED' OR (status = 'RUNNING' AND lease_until < $1) \
           ) AS u \
         ) AS t WHERE turn <= $2 ORDER BY turn, created_at, id LIMIT $3",
        args![now, per_tenant, limit],
    )
    .await?
    .iter()
    .map(|r| Ok(Claimable { id: r.text("id")?, tenant_id: r.text("tenant_id")? }))
    .collect()
}

/// Takes the run if it is still claimable; exactly one claimer wins.
pub async fn claim(conn: &mut Conn, id: &str, owner: &str, now: i64, lease_ms: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE runs SET status = 'RUNNING', lease_owner = $2, lease_until = $3, started_at = COALESCE(started_at, $4), \
         claims = claims + 1, updated_at = $4 \
         WHERE id = $1 AND (status = 'QUEUED' OR (status = 'RUNNING' AND lease_until < $4))",
        args![id, owner, now + lease_ms, now],
    )
    .await?
        > 0)
}

pub async fn renew(conn: &mut Conn, id: &str, owner: &str, until: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE runs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
        args![id, owner, until],
    )
    .await?
        > 0)
}

/// Gives a held run back (graceful shutdown): any executor may claim it at once.
pub async fn release(conn: &mut Conn, id: &str, owner: &str) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE runs SET lease_until = 0, lease_owner = NULL WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
        args![id, owner],
    )
    .await?
        > 0)
}

/// Gives a held run back after an executor error: no owner, claimable again once
/// `until` has passed (the retry backoff), with the loop state that counts the
/// failures.
pub async fn give_back(conn: &mut Conn, id: &str, owner: &str, loop_state: &Value, until: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE runs SET lease_until = $3, lease_owner = NULL, loop_state = $4 \
         WHERE id = $1 AND lease_owner = $2 AND status = 'RUNNING'",
        args![id, owner, until, loop_state],
    )
    .await?
        > 0)
}

/// Releases every run this executor holds (shutdown); claims are owned by
/// `<executor id>:<claim id>`.
pub async fn release_all(conn: &mut Conn, executor_id: &str) -> DbResult<u64> {
    exec(
        conn,
        "UPDATE runs SET lease_until = 0, lease_owner = NULL WHERE lease_owner LIKE $1 AND status = 'RUNNING'",
        args![format!("{executor_id}:%")],
    )
    .await
}

/// Allocates the next `count` seqs for the holder of a RUNNING run, saves the
/// executor's progress with them and extends the lease to at least `lease_until`
/// (every stored event renews the lease), in one statement; the first seq, or `None`
/// when the run is no longer RUNNING under `owner` (cancelled, lease lost).
pub async fn next_seqs_owned(
    conn: &mut Conn,
    id: &str,
    owner: &str,
    count: i64,
    now: i64,
    lease_until: i64,
    p: &Progress,
) -> DbResult<Option<i64>> {
    let row = one(
        conn,
        "UPDATE runs SET latest_seq = latest_seq + $5, updated_at = $3, \
         lease_until = CASE WHEN lease_until < $4 THEN $4 ELSE lease_until END, \
         loop_state = $6, steps = $7, input_tokens = $8, output_tokens = $9, tool_calls = $10 \
         WHERE id = $1 AND status = 'RUNNING' AND lease_owner = $2 RETURNING latest_seq",
        args![
            id,
            owner,
            now,
            lease_until,
            count,
            &p.loop_state,
            p.steps,
            p.input_tokens,
            p.output_tokens,
            p.tool_calls
        ],
    )
    .await?;
    row.map(|r| Ok(r.int("latest_seq")? - count + 1)).transpose()
}

/// Allocates the next seq of a run in one of `statuses` (cancel, approval decisions).
pub async fn next_seq_if(conn: &mut Conn, id: &str, statuses: &[&str], now: i64) -> DbResult<Option<i64>> {
    let mut f = Filter::new();
    let now_p = f.bind(now);
    let id_p = f.bind(id);
    let list: Vec<String> = statuses.iter().map(|s| f.bind(*s)).collect();
    let sql = format!(
        "UPDATE runs SET latest_seq = latest_seq + 1, updated_at = {now_p} WHERE id = {id_p} AND status IN ({})",
        list.join(", ")
    );
    if exec(conn, &sql, f.args).await? == 0 {
        return Ok(None);
    }
    Ok(Some(scalar_i64(conn, "SELECT latest_seq FROM runs WHERE id = $1", args![id]).await?))
}

pub async fn insert_event(
    conn: &mut Conn,
    run_id: &str,
    tenant_id: &str,
    seq: i64,
    event: &str,
    data: &Value,
    now: i64,
) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO run_events (run_id, seq, tenant_id, event, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![run_id, seq, tenant_id, event, data, now],
    )
    .await?;
    Ok(())
}

/// Stores consecutive events from seq `first` on, in one statement.
pub async fn insert_events(
    conn: &mut Conn,
    run_id: &str,
    tenant_id: &str,
    first: i64,
    events: &[(&str, Value)],
    now: i64,
) -> DbResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut f = Filter::new();
    let rows: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, (event, data))| {
            let ps = [
                f.bind(run_id),
                f.bind(first + i as i64),
                f.bind(tenant_id),
                f.bind(*event),
                f.bind(data),
                f.bind(now),
            ];
            format!("({})", ps.join(", "))
        })
        .collect();
    let sql =
        format!("INSERT INTO run_events (run_id, seq, tenant_id, event, data, created_at) VALUES {}", rows.join(", "));
    exec(conn, &sql, f.args).await?;
    Ok(())
}

/// The status of a run, without the rest of its row (streams poll it).
pub async fn status_of(conn: &mut Conn, id: &str) -> DbResult<Option<String>> {
    one(conn, "SELECT status FROM runs WHERE id = $1", args![id]).await?.map(|r| r.text("status")).transpose()
}

/// The executor's bookkeeping after a batch of events.
#[derive(Debug, Clone)]
pub struct Progress {
    pub loop_state: Value,
    pub steps: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub tool_calls: i64,
}

pub async fn save_progress(conn: &mut Conn, id: &str, p: &Progress) -> DbResult<()> {
    exec(
        conn,
        "UPDATE runs SET loop_state = $2, steps = $3, input_tokens = $4, output_tokens = $5, tool_calls = $6 WHERE id = $1",
        args![id, &p.loop_state, p.steps, p.input_tokens, p.output_tokens, p.tool_calls],
    )
    .await?;
    Ok(())
}

/// Ends a run: status, output or error, completion time; drops the lease and the
/// MCP bearer token.
pub async fn finish(
    conn: &mut Conn,
    id: &str,
    status: &str,
    final_output: Option<&str>,
    error: Option<&Value>,
    cancel_reason: Option<&str>,
    now: i64,
) -> DbResult<()> {
    exec(
        conn,
        "UPDATE runs SET status = $2, final_output = $3, error = $4, cancel_reason = COALESCE($5, cancel_reason), \
         completed_at = $6, updated_at = $6, lease_owner = NULL, lease_until = 0, mcp_bearer_sealed = NULL WHERE id = $1",
        args![id, status, final_output, error.map(|e| e.to_string()), cancel_reason, now],
    )
    .await?;
    Ok(())
}

pub async fn set_waiting(conn: &mut Conn, id: &str, now: i64) -> DbResult<()> {
    exec(
        conn,
        "UPDATE runs SET status = 'WAITING_FOR_APPROVAL', lease_owner = NULL, lease_until = 0, \
         approvals_requested = approvals_requested + 1, updated_at = $2 WHERE id = $1",
        args![id, now],
    )
    .await?;
    Ok(())
}

/// WAITING_FOR_APPROVAL → RUNNING with no lease, so the next executor poll resumes it.
pub async fn resume_after_decision(conn: &mut Conn, id: &str, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE runs SET status = 'RUNNING', lease_owner = NULL, lease_until = 0, updated_at = $2 \
         WHERE id = $1 AND status = 'WAITING_FOR_APPROVAL'",
        args![id, now],
    )
    .await?
        > 0)
}

// ---- events ----

#[derive(Debug, Clone)]
pub struct EventRow {
    pub seq: i64,
    pub event: String,
    pub data: Value,
    pub created_at: i64,
}

fn event(row: &AnyRow) -> DbResult<EventRow> {
    Ok(EventRow {
        seq: row.int("seq")?,
        event: row.text("event")?,
        data: row.json("data")?,
        created_at: row.int("created_at")?,
    })
}

pub async fn events_after(conn: &mut Conn, run_id: &str, after: i64, limit: i64) -> DbResult<Vec<EventRow>> {
    all(
        conn,
        "SELECT seq, event, data, created_at FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        args![run_id, after, limit],
    )
    .await?
    .iter()
    .map(event)
    .collect()
}

pub async fn count_events(conn: &mut Conn, run_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM run_events WHERE run_id = $1", args![run_id]).await
}

pub async fn last_event(conn: &mut Conn, run_id: &str) -> DbResult<Option<EventRow>> {
    one(
        conn,
        "SELECT seq, event, data, created_at FROM run_events WHERE run_id = $1 ORDER BY seq DESC LIMIT 1",
        args![run_id],
    )
    .await?
    .as_ref()
    .map(event)
    .transpose()
}

/// Event retention: deletes the non-terminal events of runs that ended before `cutoff`.
pub async fn purge_events(conn: &mut Conn, cutoff: i64) -> DbResult<u64> {
    exec(
        conn,
        "DELETE FROM run_events WHERE event NOT IN ('RunFinished', 'RunError') AND run_id IN \
         (SELECT id FROM runs WHERE completed_at IS NOT NULL AND completed_at < $1)",
        args![cutoff],
    )
    .await
}

// ---- approvals ----

#[derive(Debug, Clone)]
pub struct ApprovalRow {
    pub id: String,
    pub tenant_id: String,
    pub run_id: String,
    pub agent_id: Option<String>,
    pub deployment_id: Option<String>,
    pub external_app_id: Option<String>,
    pub tool_call_id: String,
    pub tool_name: String,
    pub arguments: Value,
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub expires_at: i64,
}

fn approval(row: &AnyRow) -> DbResult<ApprovalRow> {
    Ok(ApprovalRow {
        id: row.text("id")?,
        tenant_id: row.text("tenant_id")?,
        run_id: row.text("run_id")?,
        agent_id: row.text_opt("agent_id")?,
        deployment_id: row.text_opt("deployment_id")?,
        external_app_id: row.text_opt("external_app_id")?,
        tool_call_id: row.text("tool_call_id")?,
        tool_name: row.text("tool_name")?,
        arguments: row.json("arguments")?,
        status: row.text("status")?,
        reason: row.text_opt("reason")?,
        decided_by: row.text_opt("decided_by")?,
        created_at: row.int("created_at")?,
        decided_at: row.int_opt("decided_at")?,
        expires_at: row.int("expires_at")?,
    })
}

pub async fn insert_approval(conn: &mut Conn, a: &ApprovalRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO approvals (id, tenant_id, run_id, agent_id, deployment_id, external_app_id, tool_call_id, tool_name, \
         arguments, status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        args![
            &a.id,
            &a.tenant_id,
            &a.run_id,
            &a.agent_id,
            &a.deployment_id,
            &a.external_app_id,
            &a.tool_call_id,
            &a.tool_name,
            &a.arguments,
            &a.status,
            a.created_at,
            a.expires_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_approval(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<ApprovalRow>> {
    one(conn, "SELECT * FROM approvals WHERE tenant_id = $1 AND id = $2", args![tenant_id, id])
        .await?
        .as_ref()
        .map(approval)
        .transpose()
}

pub async fn approval_of_call(conn: &mut Conn, run_id: &str, tool_call_id: &str) -> DbResult<Option<ApprovalRow>> {
    one(
        conn,
        "SELECT * FROM approvals WHERE run_id = $1 AND tool_call_id = $2 ORDER BY created_at DESC LIMIT 1",
        args![run_id, tool_call_id],
    )
    .await?
    .as_ref()
    .map(approval)
    .transpose()
}

/// Approvals still waiting for a decision, in every tenant (`zaby_approvals_pending`).
pub async fn count_pending_approvals(conn: &mut Conn) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM approvals WHERE status = 'PENDING'", args![]).await
}

pub async fn pending_of_run(conn: &mut Conn, run_id: &str) -> DbResult<Option<ApprovalRow>> {
    one(conn, "SELECT * FROM approvals WHERE run_id = $1 AND status = 'PENDING' LIMIT 1", args![run_id])
        .await?
        .as_ref()
        .map(approval)
        .transpose()
}

#[derive(Debug, Default)]
pub struct ApprovalFilter {
    pub status: Option<String>,
    pub agent_id: Option<String>,
    pub run_id: Option<String>,
}

pub async fn list_approvals(
    conn: &mut Conn,
    tenant_id: &str,
    af: &ApprovalFilter,
    page: &PageRequest,
) -> DbResult<Page<ApprovalRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(s) = &af.status {
        f.eq("status", s.as_str());
    }
    if let Some(a) = &af.agent_id {
        f.eq("agent_id", a.as_str());
    }
    if let Some(r) = &af.run_id {
        f.eq("run_id", r.as_str());
    }
    let page = fetch_page(conn, "approvals", &f, page).await?;
    let items = page.items.iter().map(approval).collect::<DbResult<Vec<_>>>()?;
    Ok(Page { items, cursors: page.cursors, next_cursor: page.next_cursor, total: page.total })
}

/// PENDING → `status`; false when it was no longer PENDING.
pub async fn decide_approval(
    conn: &mut Conn,
    id: &str,
    status: &str,
    reason: Option<&str>,
    decided_by: Option<&str>,
    now: i64,
) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE approvals SET status = $2, reason = $3, decided_by = $4, decided_at = $5 WHERE id = $1 AND status = 'PENDING'",
        args![id, status, reason, decided_by, now],
    )
    .await?
        > 0)
}

/// Ids of PENDING approvals past their expiry.
pub async fn expired_approvals(conn: &mut Conn, now: i64, limit: i64) -> DbResult<Vec<(String, String)>> {
    all(
        conn,
        "SELECT id, tenant_id FROM approvals WHERE status = 'PENDING' AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
        args![now, limit],
    )
    .await?
    .iter()
    .map(|r| Ok((r.text("id")?, r.text("tenant_id")?)))
    .collect()
}

// ---- feedback ----

pub async fn insert_feedback(conn: &mut Conn, tenant_id: &str, agent_id: &str, f: &Value, now: i64) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO feedback (id, tenant_id, run_id, agent_id, rating, label, comment, domain_key, topic_key, metadata, \
         source, agent_session_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        args![
            f["id"].as_str(),
            tenant_id,
            f["runId"].as_str(),
            agent_id,
            f["rating"].as_i64(),
            f["label"].as_str(),
            f["comment"].as_str(),
            f["domainKey"].as_str(),
            f["topicKey"].as_str(),
            &f["metadata"],
            f["source"].as_str(),
            f["agentSessionId"].as_str(),
            now
        ],
    )
    .await?;
    Ok(())
}

/// Ratings (`None` when unrated) of the feedback created in `[from, to]`.
pub async fn feedback_ratings(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: Option<&str>,
    from: i64,
    to: i64,
) -> DbResult<Vec<Option<f64>>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = agent_id {
        f.eq("agent_id", a);
    }
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    let rows = all(conn, &format!("SELECT rating FROM feedback WHERE {}", f.sql()), f.args).await?;
    rows.iter().map(|r| Ok(r.int_opt("rating")?.map(|v| v as f64))).collect()
}

// ---- signals ----

#[allow(clippy::too_many_arguments)]
pub async fn insert_signal(
    conn: &mut Conn,
    id: &str,
    tenant_id: &str,
    agent_id: &str,
    run_id: Option<&str>,
    kind: &str,
    value: Option<f64>,
    payload: &Value,
    is_test_run: bool,
    now: i64,
) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO signals (id, tenant_id, agent_id, run_id, type, value, payload, is_test_run, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        vec![
            id.into(),
            tenant_id.into(),
            agent_id.into(),
            run_id.into(),
            kind.into(),
            super::sql::Arg::Float(value),
            payload.into(),
            is_test_run.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// `(type, value, payload)` of a run's signals, oldest first (tests, diagnostics).
pub async fn signals_of_run(conn: &mut Conn, run_id: &str) -> DbResult<Vec<(String, Option<f64>, Value)>> {
    let rows =
        all(conn, "SELECT type, value, payload FROM signals WHERE run_id = $1 ORDER BY created_at, id", args![run_id])
            .await?;
    rows.iter().map(|r| Ok((r.text("type")?, r.try_get::<Option<f64>, _>("value")?, r.json("payload")?))).collect()
}

// ---- usage ----

/// Runs created in `[from, to]` of the tenant (and agent).
pub async fn runs_in_window(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: Option<&str>,
    from: i64,
    to: i64,
) -> DbResult<Vec<RunRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    if let Some(a) = agent_id {
        f.eq("agent_id", a);
    }
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    all(conn, &format!("SELECT * FROM runs WHERE {} ORDER BY created_at, id", f.sql()), f.args)
        .await?
        .iter()
        .map(run)
        .collect()
}

/// Run counts for the token usage report: started in `[from, to]`, and live now.
/// `filter` narrows by the columns runs share with grants (tenant, app, deployment,
/// policy, agent).
pub async fn usage_counts(conn: &mut Conn, filter: &Filter, from: i64, to: i64) -> DbResult<(i64, i64)> {
    let mut f = filter.clone();
    let a = f.bind(from);
    let b = f.bind(to);
    f.clause(format!("created_at >= {a} AND created_at <= {b}"));
    let started = scalar_i64(conn, &format!("SELECT COUNT(*) FROM runs WHERE {}", f.sql()), f.args).await?;
    let mut g = filter.clone();
    g.clause("status IN ('QUEUED', 'RUNNING', 'WAITING_FOR_APPROVAL')".into());
    let live = scalar_i64(conn, &format!("SELECT COUNT(*) FROM runs WHERE {}", g.sql()), g.args).await?;
    Ok((started, live))
}
