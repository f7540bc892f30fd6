//! Busy sessions: the runs a session still has going and the lock that serializes the
//! starts that look at them (the claim condition of an enqueued run is the executor's,
//! `executor::QUEUE_FREE`).

use super::executor::busy_statuses;
use crate::args;
use crate::storage::sql::{Conn, DbResult, all_as, exec};

/// Serializes the starts of one session that look at its runs (PostgreSQL: a
/// transaction-scoped advisory lock on the session; SQLite write transactions are
/// serialized already).
pub async fn lock_session(conn: &mut Conn, tenant_id: &str, session_id: &str) -> DbResult<()> {
    if conn.kind() == crate::storage::DbKind::Sqlite {
        return Ok(());
    }
    exec(
        conn,
        "SELECT CAST(1 AS BIGINT) FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) AS l",
        args![format!("runs-session|{tenant_id}|{session_id}")],
    )
    .await?;
    Ok(())
}

/// `(id, created_at)` of the session's runs still going, oldest first.
pub async fn active_in_session(conn: &mut Conn, tenant_id: &str, session_id: &str) -> DbResult<Vec<(String, i64)>> {
    all_as(
        conn,
        concat!(
            "SELECT id, created_at FROM runs WHERE tenant_id = $1 AND session_id = $2 AND status IN ",
            busy_statuses!(),
            " ORDER BY created_at, id"
        ),
        args![tenant_id, session_id],
    )
    .await
}

/// Marks a just-inserted run as waiting for its session's earlier runs.
pub async fn mark_enqueued(conn: &mut Conn, id: &str) -> DbResult<()> {
    exec(conn, "UPDATE runs SET enqueued = 1 WHERE id = $1", args![id]).await?;
    Ok(())
}
