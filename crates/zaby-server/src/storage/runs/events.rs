//! A run's stored events, in sequence order.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::columns::{Json, JsonOpt};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

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

#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub event: String,
    #[sqlx(try_from = "Json")]
    pub data: Value,
    pub created_at: i64,
}

pub async fn events_after(conn: &mut Conn, run_id: &str, after: i64, limit: i64) -> DbResult<Vec<EventRow>> {
    all_as(
        conn,
        "SELECT seq, event, data, created_at FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        args![run_id, after, limit],
    )
    .await
}

/// One row of [`status_and_events_after`]: the run's status, and an event unless the
/// run has none after the position.
#[derive(FromRow)]
struct StatusEvent {
    status: String,
    seq: Option<i64>,
    event: Option<String>,
    #[sqlx(try_from = "JsonOpt")]
    data: Option<Value>,
    created_at: Option<i64>,
}

/// A run's status and its events after `after` (at most `limit`), `None` when the run
/// does not exist. One statement sees one snapshot, so when the status is terminal
/// every event of the run is among those stored, as streams need; and a stream's read
/// costs one round trip instead of two.
pub async fn status_and_events_after(
    conn: &mut Conn,
    run_id: &str,
    after: i64,
    limit: i64,
) -> DbResult<Option<(String, Vec<EventRow>)>> {
    let rows: Vec<StatusEvent> = all_as(
        conn,
        "SELECT r.status, e.seq, e.event, e.data, e.created_at FROM runs r \
         LEFT JOIN run_events e ON e.run_id = r.id AND e.seq > $2 WHERE r.id = $1 ORDER BY e.seq LIMIT $3",
        args![run_id, after, limit],
    )
    .await?;
    let Some(status) = rows.first().map(|r| r.status.clone()) else { return Ok(None) };
    let events = rows
        .into_iter()
        .filter_map(|r| {
            Some(EventRow {
                seq: r.seq?,
                event: r.event?,
                data: r.data.unwrap_or(Value::Null),
                created_at: r.created_at?,
            })
        })
        .collect();
    Ok(Some((status, events)))
}

pub async fn count_events(conn: &mut Conn, run_id: &str) -> DbResult<i64> {
    scalar_i64(conn, "SELECT COUNT(*) FROM run_events WHERE run_id = $1", args![run_id]).await
}

pub async fn last_event(conn: &mut Conn, run_id: &str) -> DbResult<Option<EventRow>> {
    one_as(
        conn,
        "SELECT seq, event, data, created_at FROM run_events WHERE run_id = $1 ORDER BY seq DESC LIMIT 1",
        args![run_id],
    )
    .await
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
