//! The executor's hold on runs: claims, leases, event sequence numbers, progress and
//! the end of a run.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

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
/// first run from the executor.
pub async fn claimable(conn: &mut Conn, now: i64, per_tenant: i64, limit: i64) -> DbResult<Vec<Claimable>> {
    all_as(
        conn,
        "SELECT id, tenant_id, end_user FROM ( \
           SELECT id, tenant_id, end_user, created_at, \
             ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY user_turn, created_at, id) AS turn \
           FROM ( \
             SELECT id, tenant_id, end_user, created_at, \
               ROW_NUMBER() OVER (PARTITION BY tenant_id, COALESCE(end_user, '') ORDER BY created_at, id) AS user_turn \
             FROM runs WHERE status = 'QUEUED' OR (status = 'RUNNING' AND lease_until < $1) \
           ) AS u \
         ) AS t WHERE turn <= $2 ORDER BY turn, created_at, id LIMIT $3",
        args![now, per_tenant, limit],
    )
    .await
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
    let latest = one_as::<(i64,)>(
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
    Ok(latest.map(|(seq,)| seq - count + 1))
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
