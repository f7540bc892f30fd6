//! The executor's hold on runs: claims, leases, event sequence numbers, progress and
//! the end of a run.

use serde_json::Value;
use sqlx::FromRow;
use zaby::types::RunStatus;

use super::RunRow;
use crate::args;
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

/// The statuses of a session's runs that make it busy (docs/busy-sessions.md), as an
/// SQL list; a macro, so that the statements can be `concat!`ed from it.
macro_rules! busy_statuses {
    () => {
        "('QUEUED', 'RUNNING', 'WAITING_FOR_APPROVAL', 'WAITING_FOR_TOOL_RESULT')"
    };
}
pub(crate) use busy_statuses;

/// The claim condition of a QUEUED row of `runs` (unaliased): not enqueued, or no run
/// of its session created before it is still going. FIFO per session, by
/// `(created_at, id)`; the start gives an enqueued run a `created_at` after every run
/// still going in its session.
const QUEUE_FREE: &str = concat!(
    "(runs.enqueued = 0 OR NOT EXISTS (SELECT 1 FROM runs e \
     WHERE e.tenant_id = runs.tenant_id AND e.session_id = runs.session_id AND e.status IN ",
    busy_statuses!(),
    " AND (e.created_at < runs.created_at OR (e.created_at = runs.created_at AND e.id < runs.id))))"
);

/// A run an executor may claim now (QUEUED, or RUNNING with a lapsed lease), and the
/// tenant and end user (runtime runs) it counts against.
#[derive(FromRow)]
pub struct Claimable {
    pub id: String,
    pub tenant_id: String,
    pub end_user: Option<String>,
}

/// Claimable runs in turns: every tenant's oldest, then every tenant's second, and so
/// on; inside a tenant, its end users take turns the same way. At most `per_tenant`
/// of each tenant, `limit` in all. So a tenant's backlog never hides another tenant's
/// first run from the executor. An enqueued run waits for its session's earlier runs
/// ([`QUEUE_FREE`]).
pub async fn claimable(conn: &mut Conn, now: i64, per_tenant: i64, limit: i64) -> DbResult<Vec<Claimable>> {
    all_as(
        conn,
        &format!(
            "SELECT id, tenant_id, end_user FROM ( \
               SELECT id, tenant_id, end_user, created_at, \
                 ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY user_turn, created_at, id) AS turn \
               FROM ( \
                 SELECT id, tenant_id, end_user, created_at, \
                   ROW_NUMBER() OVER (PARTITION BY tenant_id, COALESCE(end_user, '') ORDER BY created_at, id) AS user_turn \
                 FROM runs WHERE (status = 'QUEUED' AND {QUEUE_FREE}) OR (status = 'RUNNING' AND lease_until < $1) \
               ) AS u \
             ) AS t WHERE turn <= $2 ORDER BY turn, created_at, id LIMIT $3"
        ),
        args![now, per_tenant, limit],
    )
    .await
}

/// Takes those of `ids` (at most 500) that are still claimable, in one statement, and
/// returns their rows as claimed; exactly one claimer wins each run (PostgreSQL
/// re-checks the condition on the locked row).
pub async fn claim(conn: &mut Conn, ids: &[String], owner: &str, now: i64, lease_ms: i64) -> DbResult<Vec<RunRow>> {
    let (list, mut args) = crate::storage::sql::id_list(ids);
    let n = args.len();
    args.extend(args![owner, now + lease_ms, now]);
    let (owner_p, until_p, now_p) = (n + 1, n + 2, n + 3);
    all_as(
        conn,
        &format!(
            "UPDATE runs SET status = 'RUNNING', lease_owner = ${owner_p}, lease_until = ${until_p}, \
             started_at = COALESCE(started_at, ${now_p}), claims = claims + 1, updated_at = ${now_p} \
             WHERE id IN ({list}) AND ((status = 'QUEUED' AND {QUEUE_FREE}) \
             OR (status = 'RUNNING' AND lease_until < ${now_p})) \
             RETURNING *"
        ),
        args,
    )
    .await
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

/// How a run ends, stored with its last events ([`next_seqs_owned`]).
pub struct Ending<'a> {
    pub status: &'a str,
    pub final_output: Option<&'a str>,
    pub error: Option<&'a Value>,
}

/// Allocates the next `count` seqs for the holder of a RUNNING run, saves the
/// executor's progress with them and extends the lease to at least `lease_until`
/// (every stored event renews the lease), in one statement; with `end`, the same
/// statement ends the run as [`finish`] does. `None` when the run is no longer RUNNING
/// under `owner` (cancelled, lease lost).
#[allow(clippy::too_many_arguments)]
pub async fn next_seqs_owned(
    conn: &mut Conn,
    id: &str,
    owner: &str,
    count: i64,
    now: i64,
    lease_until: i64,
    p: &Progress,
    end: Option<&Ending<'_>>,
) -> DbResult<Option<Allocated>> {
    let mut args = args![id, owner, now, count, &p.loop_state, p.steps, p.input_tokens, p.output_tokens, p.tool_calls];
    let rest = match end {
        None => {
            args.extend(args![lease_until]);
            "lease_until = CASE WHEN lease_until < $10 THEN $10 ELSE lease_until END"
        }
        Some(e) => {
            args.extend(args![e.status, e.final_output, e.error.map(|v| v.to_string())]);
            "status = $10, final_output = $11, error = $12, completed_at = $3, lease_owner = NULL, lease_until = 0, \
             mcp_bearer_sealed = NULL"
        }
    };
    let latest = one_as::<(i64, i64)>(
        conn,
        &format!(
            "UPDATE runs SET latest_seq = latest_seq + $4, updated_at = $3, \
             loop_state = $5, steps = $6, input_tokens = $7, output_tokens = $8, tool_calls = $9, {rest} \
             WHERE id = $1 AND status = 'RUNNING' AND lease_owner = $2 RETURNING latest_seq, \
             (SELECT COUNT(*) FROM webhook_endpoints w WHERE w.tenant_id = runs.tenant_id AND w.enabled = 1)"
        ),
        args,
    )
    .await?;
    Ok(latest.map(|(seq, endpoints)| Allocated { first: seq - count + 1, tenant_has_webhooks: endpoints > 0 }))
}

/// What [`next_seqs_owned`] allocated, and whether the run's tenant has an enabled
/// webhook endpoint as this transaction sees it: the run's last transaction, which holds
/// the write lock, asks the outbox for nothing when it has none, rather than spending a
/// lookup per event type on every run.
pub struct Allocated {
    pub first: i64,
    pub tenant_has_webhooks: bool,
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

/// A waiting run (`from`: WAITING_FOR_APPROVAL after a decision, WAITING_FOR_TOOL_RESULT
/// after the last result) → RUNNING with no lease, so the next executor poll resumes it.
/// False when the run was not in `from` (cancelled meanwhile, or already resumed).
pub async fn resume(conn: &mut Conn, id: &str, from: RunStatus, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE runs SET status = 'RUNNING', lease_owner = NULL, lease_until = 0, updated_at = $2 \
         WHERE id = $1 AND status = $3",
        args![id, now, from.as_str()],
    )
    .await?
        > 0)
}
