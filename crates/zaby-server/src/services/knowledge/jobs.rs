//! Knowledge jobs, executed from storage (`docs/api/knowledge-bases.md` `KnowledgeJob`), and the
//! ingestion-policy scheduler.
//!
//! * A job is created `QUEUED` with `run_after = createdAt + ZABY_JOB_DELAY_MS`.
//! * The worker moves due QUEUED jobs to RUNNING with one conditional update (once
//!   across replicas) and sets `run_after = startedAt + ZABY_JOB_DELAY_MS`: a job
//!   also stays RUNNING for the job pacing, so `RUNNING` is observable (and
//!   cancellable) in tests. With the default pacing 0 nothing waits.
//! * A RUNNING job is executed under a lease (60 s, taken by a conditional update),
//!   so one replica executes it; a replica that dies mid-job leaves the lease to
//!   expire and another one takes over, also after a restart.
//! * The result is written in one transaction that first moves RUNNING → COMPLETED
//!   conditionally; a job cancelled meanwhile writes nothing.
//! * Ingestion policies: each ACTIVE policy with a schedule keeps `checked_until`;
//!   a pass advances it to now with a conditional update and, when a due time fell
//!   in between, creates the SOURCE_SYNC jobs in the same transaction. So each due
//!   time fires once across replicas. A due time older than [`SCHEDULE_GRACE_MS`]
//!   (the server was not running) is skipped, not replayed.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, watch};
use zaby::types::{DocumentStatus, ErrorInfo, KnowledgeJobStatus, KnowledgeJobType, SourceStatus};

use crate::error::ApiResult;
use crate::services::SharedCtx;
use crate::services::webhooks::knowledge_events;
use crate::services::{Ctx, knowledge::new_job};
use crate::storage::knowledge::{self as store, DocumentRow, ItemRow, JobRow, NewChunk, PolicyDoc, SourceDoc};
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;

const MAX_IDLE: Duration = Duration::from_millis(1000);
const MIN_WAIT: Duration = Duration::from_millis(5);
const LEASE_MS: i64 = 60_000;
/// How late a scheduled due time may be noticed and still fire.
pub const SCHEDULE_GRACE_MS: i64 = 60_000;

static WAKEUP: Notify = Notify::const_new();

/// Wakes the worker (a job was created).
pub fn wake() {
    WAKEUP.notify_waiters();
}

pub async fn run(ctx: SharedCtx, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Err(e) = tick(&ctx).await {
            tracing::warn!(code = e.code, message = %e.message, "knowledge job pass failed");
        }
        if let Err(e) = fire_schedules(&ctx, now_ms()).await {
            tracing::warn!(code = e.code, message = %e.message, "ingestion schedule pass failed");
        }
        let wait = next_wait(&ctx).await.unwrap_or(MAX_IDLE);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = WAKEUP.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn next_wait(ctx: &SharedCtx) -> ApiResult<Duration> {
    let mut conn = ctx.db.read().await?;
    Ok(match store::next_job_due(&mut conn).await? {
        Some(t) => Duration::from_millis((t - now_ms()).max(0) as u64).clamp(MIN_WAIT, MAX_IDLE),
        None => MAX_IDLE,
    })
}

/// Starts due jobs and executes the runnable ones.
pub async fn tick(ctx: &Ctx) -> ApiResult<()> {
    let now = now_ms();
    {
        let mut tx = ctx.db.write().await?;
        store::start_due_jobs(tx.conn(), now, ctx.settings.job_delay_ms as i64).await?;
        tx.commit().await?;
    }
    let ids = {
        let mut conn = ctx.db.read().await?;
        store::runnable_jobs(&mut conn, now_ms(), 20).await?
    };
    for id in ids {
        let now = now_ms();
        let leased = {
            let mut tx = ctx.db.write().await?;
            let ok = store::lease_job(tx.conn(), &id, now, now + LEASE_MS).await?;
            tx.commit().await?;
            ok
        };
        if leased {
            execute(ctx, &id).await?;
        }
    }
    Ok(())
}

/// A document's new chunks, computed outside any transaction.
async fn prepare_chunks(ctx: &Ctx, conn: &mut Conn, d: &DocumentRow) -> Result<Vec<NewChunk>, String> {
    let profile = super::kb_profile(conn, &d.kb_id).await.map_err(|e| e.message)?;
    let chunks = zaby_knowledge::chunk_text(&d.content, profile.chunk_size);
    let vectors = match &ctx.embeddings {
        Some(client) if !chunks.is_empty() => {
            let texts: Vec<&str> = chunks.iter().map(|c| c.content.as_str()).collect();
            Some(client.embed(&texts).await.map_err(|e| format!("embeddings provider failed: {e}"))?)
        }
        _ => None,
    };
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let counts = zaby_knowledge::term_counts(&c.content);
            // The document's free-form metadata, with the chunk's heading.
            let mut metadata = d.doc.metadata.clone();
            metadata.insert("heading".into(), Value::from(c.heading));
            NewChunk {
                id: new_id(),
                index: c.index as i64,
                content: c.content,
                metadata: Value::Object(metadata),
                embedding: vectors.as_ref().and_then(|v| v.get(i).cloned()),
                term_len: counts.len as i64,
                terms: counts.counts.into_iter().map(|(t, n)| (t, n as i64)).collect(),
            }
        })
        .collect())
}

async fn execute(ctx: &Ctx, id: &str) -> ApiResult<()> {
    let job = {
        let mut conn = ctx.db.read().await?;
        match store::get_job_by_id(&mut conn, id).await? {
            Some(j) if j.status == KnowledgeJobStatus::Running.as_str() => j,
            _ => return Ok(()),
        }
    };
    match job.kind.as_str() {
        k if k == KnowledgeJobType::SourceSync.as_str() => execute_sync(ctx, &job).await,
        _ => execute_ingestion(ctx, &job).await,
    }
}

/// A failed job's stored `error`.
fn job_error(code: &str, message: &str) -> ErrorInfo {
    ErrorInfo { code: code.into(), message: message.into(), extra: Default::default() }
}

async fn execute_ingestion(ctx: &Ctx, job: &JobRow) -> ApiResult<()> {
    let doc = {
        let mut conn = ctx.db.read().await?;
        match &job.document_id {
            Some(d) => store::get_document(&mut conn, &job.tenant_id, d).await?,
            None => None,
        }
    };
    let Some(doc) = doc else {
        let mut tx = ctx.db.write().await?;
        let error = job_error("DOCUMENT_NOT_FOUND", "the document no longer exists");
        if store::fail_job(tx.conn(), &job.id, &error, now_ms()).await? {
            knowledge_events::record_job(tx.conn(), &job.id).await?;
        }
        tx.commit().await?;
        return Ok(());
    };
    let prepared = {
        let mut conn = ctx.db.read().await?;
        prepare_chunks(ctx, &mut conn, &doc).await
    };
    let mut tx = ctx.db.write().await?;
    let now = now_ms();
    match prepared {
        Ok(chunks) => {
            if store::complete_job(tx.conn(), &job.id, chunks.len() as i64, now).await? {
                store_ready(tx.conn(), &doc, &chunks, now).await?;
                knowledge_events::record_job(tx.conn(), &job.id).await?;
            }
        }
        Err(message) => {
            if store::fail_job(tx.conn(), &job.id, &job_error("INGESTION_FAILED", &message), now).await? {
                store::delete_chunks(tx.conn(), &doc.id).await?;
                store::set_document_status(tx.conn(), &doc.id, DocumentStatus::Failed.as_str(), 0, now).await?;
                knowledge_events::record_job(tx.conn(), &job.id).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn execute_sync(ctx: &Ctx, job: &JobRow) -> ApiResult<()> {
    let source_id = job.source_id.clone().unwrap_or_default();
    let docs = {
        let mut conn = ctx.db.read().await?;
        store::documents_of_source(&mut conn, &source_id).await?
    };
    let mut prepared = Vec::new();
    let mut failure = None;
    for d in docs.iter().filter(|d| d.status == DocumentStatus::Ready.as_str()) {
        let mut conn = ctx.db.read().await?;
        match prepare_chunks(ctx, &mut conn, d).await {
            Ok(c) => prepared.push((d, c)),
            Err(m) => {
                failure = Some(m);
                break;
            }
        }
    }
    let mut tx = ctx.db.write().await?;
    let now = now_ms();
    if let Some(message) = failure {
        if store::fail_job(tx.conn(), &job.id, &job_error("SYNC_FAILED", &message), now).await? {
            knowledge_events::record_job(tx.conn(), &job.id).await?;
        }
    } else if store::complete_job(tx.conn(), &job.id, prepared.len() as i64, now).await? {
        for (d, chunks) in &prepared {
            // A document deleted or re-ingested meanwhile is left alone.
            match store::get_document(tx.conn(), &d.tenant_id, &d.id).await? {
                Some(current) if current.status == DocumentStatus::Ready.as_str() => {
                    store_ready(tx.conn(), d, chunks, now).await?;
                }
                _ => {}
            }
        }
        if let Some(mut s) = store::get_item::<SourceDoc>(tx.conn(), &job.tenant_id, &job.kb_id, &source_id).await? {
            s.doc.last_synced_at = Some(now);
            store::update_item(tx.conn(), &s).await?;
        }
        knowledge_events::record_job(tx.conn(), &job.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A document's chunks replaced by `chunks`, and the document READY with their count:
/// the last step of an ingestion and of a source sync.
async fn store_ready(conn: &mut Conn, doc: &DocumentRow, chunks: &[NewChunk], now: i64) -> ApiResult<()> {
    store::replace_chunks(conn, doc, chunks).await?;
    store::set_document_status(conn, &doc.id, DocumentStatus::Ready.as_str(), chunks.len() as i64, now).await?;
    Ok(())
}

/// After a job was cancelled: an ingestion's document is FAILED with no chunks.
pub async fn on_cancelled(conn: &mut Conn, job: &JobRow, now: i64) -> ApiResult<()> {
    if job.kind != KnowledgeJobType::SourceSync.as_str()
        && let Some(doc_id) = &job.document_id
    {
        store::delete_chunks(conn, doc_id).await?;
        if store::get_document(conn, &job.tenant_id, doc_id).await?.is_some() {
            store::set_document_status(conn, doc_id, DocumentStatus::Failed.as_str(), 0, now).await?;
        }
    }
    Ok(())
}

/// Creates a QUEUED SOURCE_SYNC job for a source and records it as its `lastJobId`.
pub async fn queue_sync(
    ctx: &Ctx,
    conn: &mut Conn,
    kb: &store::KbRow,
    source: &mut ItemRow<SourceDoc>,
    now: i64,
) -> ApiResult<JobRow> {
    let mut job = new_job(ctx, kb, KnowledgeJobType::SourceSync, now);
    job.source_id = Some(source.id.clone());
    store::insert_job(conn, &job).await?;
    source.doc.last_job_id = Some(job.id.clone());
    source.updated_at = now;
    store::update_item(conn, source).await?;
    Ok(job)
}

/// Fires the ingestion policies due at `now` (the worker passes the wall clock; tests
/// may pass a later time). Returns the jobs created.
pub async fn fire_schedules(ctx: &Ctx, now: i64) -> ApiResult<Vec<JobRow>> {
    let policies = {
        let mut conn = ctx.db.read().await?;
        store::scheduled_policies(&mut conn).await?
    };
    let mut created = Vec::new();
    for p in policies {
        let Some(expr) = &p.extra else { continue };
        let Ok(schedule) = zaby_knowledge::Schedule::parse(expr) else { continue };
        let Some(due) = schedule.latest_due(p.checked_until, now) else { continue };
        let mut tx = ctx.db.write().await?;
        if !store::advance_policy(tx.conn(), &p.id, p.checked_until, now).await? {
            continue;
        }
        if now - due <= SCHEDULE_GRACE_MS
            && let Some(kb) = store::get_kb(tx.conn(), &p.tenant_id, &p.kb_id).await?
        {
            let sources = covered_sources(tx.conn(), &p).await?;
            for mut s in sources {
                created.push(queue_sync(ctx, tx.conn(), &kb, &mut s, now_ms()).await?);
            }
            tracing::info!(policy = %p.id, due, jobs = created.len(), "ingestion policy fired");
        }
        tx.commit().await?;
    }
    if !created.is_empty() {
        wake();
    }
    Ok(created)
}

/// The ACTIVE sources a policy covers: its source; else its group's; else the KB's.
async fn covered_sources(conn: &mut Conn, p: &ItemRow<PolicyDoc>) -> ApiResult<Vec<ItemRow<SourceDoc>>> {
    let active = ("status", SourceStatus::Active.as_str().to_string());
    let list = if let Some(source_id) = &p.link {
        store::all_items(conn, &p.kb_id, &[("id", source_id.clone()), active]).await?
    } else if let Some(group) = &p.doc.source_group_id {
        store::all_items(conn, &p.kb_id, &[("source_group_id", group.clone()), active]).await?
    } else {
        store::all_items(conn, &p.kb_id, &[active]).await?
    };
    Ok(list)
}
