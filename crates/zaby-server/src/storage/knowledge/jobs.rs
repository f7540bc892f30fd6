//! Ingestion jobs: queued, leased by one worker, finished once.

use sqlx::FromRow;
use zaby::types::ErrorInfo;

use crate::args;
use crate::storage::columns::ErrorOpt;
use crate::storage::page::{Page, PageRequest, fetch_page};
use crate::storage::sql::{Conn, DbResult, Filter, all_as, exec, one_as};

#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    pub id: String,
    pub tenant_id: String,
    pub kb_id: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub status: String,
    pub document_id: Option<String>,
    pub source_id: Option<String>,
    pub selection_id: Option<String>,
    pub items_processed: i64,
    #[sqlx(try_from = "ErrorOpt")]
    pub error: Option<ErrorInfo>,
    pub run_after: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub updated_at: i64,
}

pub async fn insert_job(conn: &mut Conn, j: &JobRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO kb_jobs (id, tenant_id, kb_id, type, status, document_id, source_id, selection_id, items_processed, error, run_after, lease_until, created_at, started_at, completed_at, cancelled_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, NULL, $11, NULL, NULL, NULL, $12)",
        args![
            &j.id, &j.tenant_id, &j.kb_id, &j.kind, &j.status, &j.document_id, &j.source_id, &j.selection_id,
            j.items_processed, j.run_after, j.created_at, j.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get_job(conn: &mut Conn, tenant_id: &str, kb_id: &str, id: &str) -> DbResult<Option<JobRow>> {
    one_as(conn, "SELECT * FROM kb_jobs WHERE tenant_id = $1 AND kb_id = $2 AND id = $3", args![tenant_id, kb_id, id])
        .await
}

pub async fn get_job_by_id(conn: &mut Conn, id: &str) -> DbResult<Option<JobRow>> {
    one_as(conn, "SELECT * FROM kb_jobs WHERE id = $1", args![id]).await
}

pub async fn list_jobs(
    conn: &mut Conn,
    tenant_id: &str,
    kb_id: &str,
    status: Option<&str>,
    kind: Option<&str>,
    page: &PageRequest,
) -> DbResult<Page<JobRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id).eq("kb_id", kb_id);
    if let Some(s) = status {
        f.eq("status", s);
    }
    if let Some(t) = kind {
        f.eq("type", t);
    }
    fetch_page(conn, "kb_jobs", &f, page).await
}

/// QUEUED jobs whose delay has passed → RUNNING (once across replicas); RUNNING
/// then lasts at least `pace` ms. Returns how many were started.
pub async fn start_due_jobs(conn: &mut Conn, now: i64, pace: i64) -> DbResult<u64> {
    exec(
        conn,
        "UPDATE kb_jobs SET status = 'RUNNING', started_at = $1, run_after = $2, updated_at = $1 WHERE status = 'QUEUED' AND run_after <= $1",
        args![now, now + pace],
    )
    .await
}

/// RUNNING jobs ready to execute whose lease is free.
pub async fn runnable_jobs(conn: &mut Conn, now: i64, limit: i64) -> DbResult<Vec<String>> {
    let ids: Vec<(String,)> = all_as(
        conn,
        "SELECT id FROM kb_jobs WHERE status = 'RUNNING' AND run_after <= $1 AND (lease_until IS NULL OR lease_until < $1) ORDER BY run_after, id LIMIT $2",
        args![now, limit],
    )
    .await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Takes the execution lease of a RUNNING job; `false` when another worker holds it.
pub async fn lease_job(conn: &mut Conn, id: &str, now: i64, until: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET lease_until = $3 WHERE id = $1 AND status = 'RUNNING' AND (lease_until IS NULL OR lease_until < $2)",
        args![id, now, until],
    )
    .await?
        > 0)
}

/// The earliest time a QUEUED or RUNNING job needs attention.
pub async fn next_job_due(conn: &mut Conn) -> DbResult<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        one_as(conn, "SELECT MIN(run_after) AS t FROM kb_jobs WHERE status IN ('QUEUED', 'RUNNING')", vec![]).await?;
    Ok(row.and_then(|(t,)| t))
}

/// RUNNING → COMPLETED; `false` when the job was cancelled (or finished) meanwhile.
pub async fn complete_job(conn: &mut Conn, id: &str, items: i64, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET status = 'COMPLETED', items_processed = $2, completed_at = $3, updated_at = $3, lease_until = NULL WHERE id = $1 AND status = 'RUNNING'",
        args![id, items, now],
    )
    .await?
        > 0)
}

pub async fn fail_job(conn: &mut Conn, id: &str, error: &ErrorInfo, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET status = 'FAILED', error = $2, completed_at = $3, updated_at = $3, lease_until = NULL WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')",
        args![id, error, now],
    )
    .await?
        > 0)
}

pub async fn cancel_job(conn: &mut Conn, id: &str, now: i64) -> DbResult<bool> {
    Ok(exec(
        conn,
        "UPDATE kb_jobs SET status = 'CANCELLED', cancelled_at = $2, completed_at = $2, updated_at = $2, lease_until = NULL WHERE id = $1 AND status IN ('QUEUED', 'RUNNING')",
        args![id, now],
    )
    .await?
        > 0)
}
