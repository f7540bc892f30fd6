//! Client function tool calls (docs/function-tools.md): they are the run's own
//! `tool_call` events with `execution: "client"`, answered by `tool_result` events, so
//! no table of their own; the run waits in `WAITING_FOR_TOOL_RESULT`.

use crate::args;
use crate::storage::sql::{Conn, DbResult, all_as, exec};

use super::EventRow;

/// The run's `tool_call` and `tool_result` events, in order.
pub async fn tool_events(conn: &mut Conn, run_id: &str) -> DbResult<Vec<EventRow>> {
    all_as(
        conn,
        "SELECT seq, event, data, created_at FROM run_events WHERE run_id = $1 \
         AND event IN ('tool_call', 'tool_result') ORDER BY seq",
        args![run_id],
    )
    .await
}

/// RUNNING (held by `owner`) → WAITING_FOR_TOOL_RESULT with no lease; false when the
/// run is no longer the owner's.
pub async fn wait_for_results(conn: &mut Conn, id: &str, owner: &str, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE runs SET status = 'WAITING_FOR_TOOL_RESULT', lease_owner = NULL, lease_until = 0, updated_at = $3 \
         WHERE id = $1 AND status = 'RUNNING' AND lease_owner = $2",
        args![id, owner, now],
    )
    .await?
        > 0)
}

/// `(id, tenant id)` of runs waiting for tool results, the longest waiting first.
pub async fn waiting_for_results(conn: &mut Conn, limit: i64) -> DbResult<Vec<(String, String)>> {
    all_as(
        conn,
        "SELECT id, tenant_id FROM runs WHERE status = 'WAITING_FOR_TOOL_RESULT' ORDER BY updated_at LIMIT $1",
        args![limit],
    )
    .await
}
