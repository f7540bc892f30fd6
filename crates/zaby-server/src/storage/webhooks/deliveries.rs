//! The outbox (`webhook_events`) and one delivery per event and endpoint
//! (`webhook_deliveries`, E134, E135): written with the change they report, claimed
//! with leases by the delivery worker.

use serde_json::Value;
use sqlx::FromRow;

use crate::args;
use crate::storage::page::{Page, PageRequest, fetch_page};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as, scalar_i64};

/// How long a later event of a run waits for an earlier one still being retried
/// before it goes out of order (docs/webhooks.md).
pub const ORDER_WAIT_MS: i64 = 3_600_000;

#[derive(Debug, Clone, FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub run_id: Option<String>,
    pub seq: i64,
    pub status: String,
    pub attempts: i64,
    pub last_attempt_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub response_status: Option<i64>,
    pub response_body_excerpt: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

/// An event of the outbox, for one delivery: its exact body.
#[derive(Debug, Clone, FromRow)]
pub struct EventRow {
    pub id: String,
    pub body: String,
}

/// One event and the endpoints it goes to, all in the caller's transaction.
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub event_type: &'a str,
    pub run_id: Option<&'a str>,
    pub body: &'a Value,
    pub now: i64,
}

/// Stores the event and a `PENDING` delivery, due now, to each endpoint. A delivery
/// of a run's event takes the next `seq` of that run at that endpoint, so the worker
/// can keep the run's events in order.
pub async fn insert_event(conn: &mut Conn, e: &NewEvent<'_>, webhook_ids: &[String]) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO webhook_events (id, tenant_id, type, run_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        args![e.id, e.tenant_id, e.event_type, e.run_id, e.body, e.now],
    )
    .await?;
    for webhook_id in webhook_ids {
        let seq =
            match e.run_id {
                Some(run_id) => scalar_i64(
                    conn,
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM webhook_deliveries WHERE webhook_id = $1 AND run_id = $2",
                    args![webhook_id, run_id],
                )
                .await?,
                None => 0,
            };
        exec(
            conn,
            "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, run_id, seq, status, \
             attempts, next_attempt_at, lease_until, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', 0, $8, 0, $8)",
            args![crate::util::ids::new_id(), e.tenant_id, webhook_id, e.id, e.event_type, e.run_id, seq, e.now],
        )
        .await?;
    }
    Ok(())
}

pub async fn list(
    conn: &mut Conn,
    webhook_id: &str,
    status: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<DeliveryRow>> {
    let mut f = Filter::new();
    f.eq("webhook_id", webhook_id);
    if let Some(s) = status {
        f.eq("status", s);
    }
    fetch_page(conn, "webhook_deliveries", &f, page).await
}

pub async fn get(conn: &mut Conn, webhook_id: &str, id: &str) -> DbResult<Option<DeliveryRow>> {
    one_as(conn, "SELECT * FROM webhook_deliveries WHERE webhook_id = $1 AND id = $2", args![webhook_id, id]).await
}

/// E135: due now, whatever its status was.
pub async fn requeue(conn: &mut Conn, id: &str, now: i64) -> DbResult<()> {
    exec(conn, "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at = $2 WHERE id = $1", args![id, now])
        .await?;
    Ok(())
}

/// Deliveries due now and not leased, oldest first. One waits while an earlier
/// delivery of the same run to the same endpoint is still pending, unless it has
/// waited [`ORDER_WAIT_MS`] already.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> DbResult<Vec<DeliveryRow>> {
    all_as(
        conn,
        "SELECT * FROM webhook_deliveries d WHERE d.status = 'PENDING' AND d.next_attempt_at <= $1 \
         AND d.lease_until < $1 AND (d.run_id IS NULL OR d.created_at <= $2 OR NOT EXISTS ( \
           SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id AND e.run_id = d.run_id \
           AND e.seq < d.seq AND e.status = 'PENDING')) \
         ORDER BY d.next_attempt_at, d.created_at, d.seq LIMIT $3",
        args![now, now - ORDER_WAIT_MS, limit],
    )
    .await
}

/// Whether an earlier delivery of the same run to the same endpoint is still pending
/// (so this one goes out of order).
pub async fn earlier_pending(conn: &mut Conn, d: &DeliveryRow) -> DbResult<bool> {
    let Some(run_id) = &d.run_id else { return Ok(false) };
    Ok(scalar_i64(
        conn,
        "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1 AND run_id = $2 AND seq < $3 AND status = 'PENDING'",
        args![&d.webhook_id, run_id, d.seq],
    )
    .await?
        > 0)
}

/// Takes the delivery for one attempt if nobody holds it; exactly one claimer wins.
pub async fn claim(conn: &mut Conn, id: &str, owner: &str, now: i64, lease_ms: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE webhook_deliveries SET lease_owner = $2, lease_until = $3 \
         WHERE id = $1 AND status = 'PENDING' AND next_attempt_at <= $4 AND lease_until < $4",
        args![id, owner, now + lease_ms, now],
    )
    .await?
        > 0)
}

pub async fn event(conn: &mut Conn, id: &str) -> DbResult<Option<EventRow>> {
    one_as(conn, "SELECT id, body FROM webhook_events WHERE id = $1", args![id]).await
}

/// What one attempt gave.
pub struct Attempt<'a> {
    pub at: i64,
    pub status: &'a str,
    pub next_attempt_at: Option<i64>,
    pub response_status: Option<i64>,
    pub excerpt: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// Records an attempt and releases the lease; `false` when the lease was lost.
pub async fn finish(conn: &mut Conn, id: &str, owner: &str, a: &Attempt<'_>) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $3, status = $4, \
         next_attempt_at = $5, response_status = $6, response_body_excerpt = $7, note = COALESCE($8, note), \
         lease_owner = NULL, lease_until = 0 WHERE id = $1 AND lease_owner = $2",
        args![id, owner, a.at, a.status, a.next_attempt_at, a.response_status, a.excerpt, a.note],
    )
    .await?
        > 0)
}
