//! Idempotency records (`docs/idempotency.md`). A record is claimed inside the transaction
//! that performs the effect and completed before it commits, so only successful
//! outcomes are ever visible, and a concurrent duplicate waits on the claim.

use sqlx::FromRow;

use super::sql::{Conn, DbResult, exec, one_as};
use crate::args;

#[derive(Debug, Clone, FromRow)]
pub struct Record {
    pub body_hash: String,
    pub response: Option<String>,
}

/// Tries to claim `(scope, key)`. `None` means the claim is ours (the record row
/// exists only inside our transaction); `Some` is the committed record of an
/// earlier request. Under PostgreSQL the insert waits for a concurrent claimer's
/// transaction to end; under SQLite write transactions are already serialized.
pub async fn claim(
    conn: &mut Conn,
    scope: &str,
    key: &str,
    body_hash: &str,
    now: i64,
    ttl_ms: i64,
) -> DbResult<Option<Record>> {
    exec(
        conn,
        "DELETE FROM idempotency_records WHERE scope = $1 AND request_key = $2 AND expires_at <= $3",
        args![scope, key, now],
    )
    .await?;
    let inserted = exec(
        conn,
        "INSERT INTO idempotency_records (scope, request_key, body_hash, status, response, created_at, expires_at) \
         VALUES ($1, $2, $3, 0, NULL, $4, $5) ON CONFLICT DO NOTHING",
        args![scope, key, body_hash, now, now + ttl_ms],
    )
    .await?;
    if inserted > 0 {
        return Ok(None);
    }
    let record =
        one_as(conn, "SELECT * FROM idempotency_records WHERE scope = $1 AND request_key = $2", args![scope, key])
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
    Ok(Some(record))
}

/// Stores the outcome of a claimed key (same transaction as the effect).
pub async fn complete(conn: &mut Conn, scope: &str, key: &str, status: i64, response: &str) -> DbResult<()> {
    exec(
        conn,
        "UPDATE idempotency_records SET status = $3, response = $4 WHERE scope = $1 AND request_key = $2",
        args![scope, key, status, response],
    )
    .await?;
    Ok(())
}

/// Deletes up to `limit` records that expired at or before `now`; the count deleted.
/// Bounded so that a large backlog is cleared in short write transactions.
pub async fn purge_expired(conn: &mut Conn, now: i64, limit: i64) -> DbResult<u64> {
    exec(
        conn,
        "DELETE FROM idempotency_records WHERE (scope, request_key) IN \
         (SELECT scope, request_key FROM idempotency_records WHERE expires_at <= $1 LIMIT $2)",
        args![now, limit],
    )
    .await
}
