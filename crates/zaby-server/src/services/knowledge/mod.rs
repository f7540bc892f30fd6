//! Knowledge bases (`docs/api/knowledge-bases.md`): knowledge bases, text documents, retrieval and
//! provisional answers here; ingestion jobs and schedules in [`jobs`]; the library
//! in [`library`]; sources, groups, policies and profiles in [`setup`].
//!
//! Every computation (chunking, terms, scoring, slugs, schedules, profiles) comes from
//! `zaby_knowledge`; this module loads rows, calls it and stores the results.

pub mod jobs;
pub mod library;
pub mod retrieval;
pub mod runs;
pub mod setup;

use serde_json::{Value, json};
use zaby_knowledge::ProfileConfig;

use super::{Caller, Ctx, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::storage::knowledge::{self as store, DocumentRow, JobRow, KbRow};
use crate::storage::sql::Conn;
use crate::util::clock::{iso, iso_opt, now_ms};
use crate::util::ids::new_id;
use crate::util::input::Fields;

pub const ACCESS_LEVELS: &[&str] = &["PRIVATE", "TENANT", "PUBLIC"];
pub const ACTIVE_INACTIVE: &[&str] = &["ACTIVE", "INACTIVE"];
pub const FILE_TYPES: &[&str] = &["MD", "TXT", "HTML", "JSON", "CSV"];
pub const JOB_TYPES: &[&str] = &["DOCUMENT_INGESTION", "SOURCE_SYNC", "LIBRARY_PROJECTION"];
pub const JOB_STATUSES: &[&str] = &["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

/// Longest document text accepted (characters); the body limit usually bites first.
pub const CONTENT_MAX: usize = 10_000_000;

fn from_field_error(e: zaby_knowledge::FieldError) -> ApiError {
    ApiError::invalid(&e.field, &e.message)
}

pub fn render_kb(k: &KbRow, document_count: i64) -> Value {
    json!({
        "id": k.id,
        "name": k.name,
        "slug": k.slug,
        "description": k.doc["description"],
        "accessLevel": k.doc["accessLevel"],
        "status": k.status,
        "tags": k.doc["tags"],
        "metadata": k.doc["metadata"],
        "documentCount": document_count,
        "createdAt": iso(k.created_at),
        "updatedAt": iso(k.updated_at),
    })
}

pub fn render_document(d: &DocumentRow) -> Value {
    json!({
        "id": d.id,
        "knowledgeBaseId": d.kb_id,
        "title": d.title,
        "filename": d.doc["filename"],
        "fileType": d.doc["fileType"],
        "status": d.status,
        "contentLength": zaby_knowledge::char_len(&d.content),
        "chunkCount": d.chunk_count,
        "sourceId": d.source_id,
        "origin": d.origin,
        "jobId": d.job_id,
        "metadata": d.doc["metadata"],
        "createdAt": iso(d.created_at),
        "updatedAt": iso(d.updated_at),
    })
}

pub fn render_job(j: &JobRow) -> Value {
    let progress = if j.status == "COMPLETED" { 1.0 } else { 0.0 };
    json!({
        "id": j.id,
        "knowledgeBaseId": j.kb_id,
        "type": j.kind,
        "status": j.status,
        "documentId": j.document_id,
        "sourceId": j.source_id,
        "selectionId": j.selection_id,
        "progress": progress,
        "itemsProcessed": j.items_processed,
        "error": j.error,
        "createdAt": iso(j.created_at),
        "startedAt": iso_opt(j.started_at),
        "completedAt": iso_opt(if j.status == "CANCELLED" { None } else { j.completed_at }),
        "cancelledAt": iso_opt(j.cancelled_at),
    })
}

/// The profile configuration ingestion and E48/E49 use: the default profile's, else
/// chunk size 1000 and no cap.
pub async fn kb_profile(conn: &mut Conn, kb_id: &str) -> ApiResult<ProfileConfig> {
    Ok(match store::default_profile(conn, kb_id).await? {
        Some(p) => ProfileConfig::from_json(&p.doc["config"]).unwrap_or_default(),
        None => ProfileConfig::default(),
    })
}

/// A knowledge base of the caller's tenant, else 404.
pub async fn load_kb(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<KbRow> {
    store::get_kb(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("knowledge base"))
}

/// E41.
pub async fn create_kb(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let name = f.req_str("name", 200);
    let slug = f.opt_str("slug", 100);
    if let Some(s) = &slug
        && !zaby_knowledge::is_valid_slug(s)
    {
        f.error("slug", "must be lower-case letters, digits and single dashes");
    }
    let description = f.opt_text("description", 10_000);
    let access = f.opt_enum("accessLevel", ACCESS_LEVELS);
    let status = f.opt_enum("status", ACTIVE_INACTIVE);
    let tags = f.opt_str_list("tags", 200);
    let metadata = f.opt_object("metadata");
    f.finish()?;
    let name = name.unwrap_or_default();
    let now = now_ms();
    let mut k = KbRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug: String::new(),
        name: name.clone(),
        status: status.unwrap_or_else(|| "ACTIVE".into()),
        doc: json!({
            "description": description,
            "accessLevel": access.unwrap_or_else(|| "PRIVATE".into()),
            "tags": tags.unwrap_or_default(),
            "metadata": metadata.unwrap_or_else(|| json!({})),
        }),
        created_at: now,
        updated_at: now,
    };
    let clash = |s: &str| ApiError::conflict("SLUG_ALREADY_EXISTS", format!("a knowledge base with slug {s} exists"));
    // A derived slug that loses a race to a concurrent create is derived again.
    for _ in 0..5 {
        let mut tx = ctx.db.write().await?;
        k.slug = match &slug {
            Some(s) => {
                if store::slug_taken(tx.conn(), &caller.tenant_id, s).await? {
                    return Err(clash(s));
                }
                s.clone()
            }
            None => {
                let mut chosen = None;
                for candidate in zaby_knowledge::slug_candidates(&name) {
                    if !store::slug_taken(tx.conn(), &caller.tenant_id, &candidate).await? {
                        chosen = Some(candidate);
                        break;
                    }
                }
                chosen.unwrap_or_else(new_id)
            }
        };
        match store::insert_kb(tx.conn(), &k).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(Outcome::Created(render_kb(&k, 0)));
            }
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                if slug.is_some() {
                    return Err(clash(&k.slug));
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::unavailable("could not derive a unique slug, try again"))
}

/// The text fields shared by E42 and E43: `(content, title, filename, fileType, metadata)`.
pub struct TextInput {
    pub content: String,
    pub title: String,
    pub filename: Option<String>,
    pub file_type: String,
    pub metadata: Value,
}

/// Reads `TextDocumentInput` (aliases `text` → `content`, `name` → `title`; the
/// canonical field wins). The caller reads its own extra fields from `f` first.
pub fn text_input(f: &mut Fields) -> Option<TextInput> {
    let content = if f.has("content") && !f.raw("content").is_some_and(Value::is_null) {
        f.opt_text("content", CONTENT_MAX)
    } else if f.has("text") && !f.raw("text").is_some_and(Value::is_null) {
        f.opt_text("text", CONTENT_MAX)
    } else {
        f.error("content", "is required");
        None
    };
    let title = if f.has("title") && !f.raw("title").is_some_and(Value::is_null) {
        f.opt_str("title", 500)
    } else {
        f.opt_str("name", 500)
    };
    let filename = f.opt_str("filename", 500);
    let file_type = f.opt_enum("fileType", FILE_TYPES);
    let metadata = f.opt_object("metadata");
    let content = content?;
    Some(TextInput {
        title: title.unwrap_or_else(|| zaby_knowledge::default_title(&content)),
        content,
        filename,
        file_type: file_type.unwrap_or_else(|| "TXT".into()),
        metadata: metadata.unwrap_or_else(|| json!({})),
    })
}

/// A new QUEUED job (not stored).
pub fn new_job(ctx: &Ctx, kb: &KbRow, kind: &str, now: i64) -> JobRow {
    JobRow {
        id: new_id(),
        tenant_id: kb.tenant_id.clone(),
        kb_id: kb.id.clone(),
        kind: kind.into(),
        status: "QUEUED".into(),
        document_id: None,
        source_id: None,
        selection_id: None,
        items_processed: 0,
        error: None,
        run_after: now + ctx.settings.job_delay_ms as i64,
        created_at: now,
        started_at: None,
        completed_at: None,
        cancelled_at: None,
        updated_at: now,
    }
}

/// Stores a PROCESSING document and its ingestion job (in the caller's transaction).
pub async fn queue_document(
    ctx: &Ctx,
    conn: &mut Conn,
    kb: &KbRow,
    input: TextInput,
    source_id: Option<String>,
    origin: &str,
    selection_id: Option<String>,
) -> ApiResult<(DocumentRow, JobRow)> {
    let now = now_ms();
    let kind = if origin == "LIBRARY_PROJECTION" { "LIBRARY_PROJECTION" } else { "DOCUMENT_INGESTION" };
    let mut job = new_job(ctx, kb, kind, now);
    let d = DocumentRow {
        id: new_id(),
        tenant_id: kb.tenant_id.clone(),
        kb_id: kb.id.clone(),
        source_id: source_id.clone(),
        status: "PROCESSING".into(),
        origin: origin.into(),
        job_id: Some(job.id.clone()),
        title: input.title,
        content: input.content,
        chunk_count: 0,
        doc: json!({"filename": input.filename, "fileType": input.file_type, "metadata": input.metadata}),
        created_at: now,
        updated_at: now,
    };
    job.document_id = Some(d.id.clone());
    job.source_id = source_id;
    job.selection_id = selection_id;
    store::insert_document(conn, &d).await?;
    store::insert_job(conn, &job).await?;
    Ok((d, job))
}

/// E42.
pub async fn upload_text(ctx: &Ctx, caller: &Caller, kb_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut f = Fields::new(body);
    let source_id = f.opt_str("sourceId", 100);
    let input = text_input(&mut f);
    f.finish()?;
    let input = input.ok_or_else(|| ApiError::invalid("content", "is required"))?;
    if let Some(s) = &source_id
        && store::get_item(tx.conn(), store::Kind::Source, &caller.tenant_id, &kb.id, s).await?.is_none()
    {
        return Err(ApiError::invalid("sourceId", "does not name a source of this knowledge base"));
    }
    let (d, _) = queue_document(ctx, tx.conn(), &kb, input, source_id, "TEXT_UPLOAD", None).await?;
    tx.commit().await?;
    jobs::wake();
    Ok(Outcome::Created(render_document(&d)))
}

/// E65.
pub async fn list_jobs(ctx: &Ctx, caller: &Caller, kb_id: &str, q: &super::paging::Query) -> ApiResult<Outcome> {
    use super::paging::{enum_param, list_body, page_request};
    let page = page_request(q, 20, 100)?;
    let status = enum_param(q, "status", JOB_STATUSES)?;
    let kind = enum_param(q, "type", JOB_TYPES)?;
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let rows =
        store::list_jobs(&mut conn, &caller.tenant_id, &kb.id, status.as_deref(), kind.as_deref(), &page).await?;
    Ok(Outcome::Ok(list_body(ctx.settings.max_page_bytes, rows.map(|j| render_job(&j)))))
}

/// E66.
pub async fn get_job(ctx: &Ctx, caller: &Caller, kb_id: &str, job_id: &str) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let j = store::get_job(&mut conn, &caller.tenant_id, &kb.id, job_id)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))?;
    Ok(Outcome::Ok(render_job(&j)))
}

/// E67: QUEUED/RUNNING → CANCELLED; an ingestion's document is left FAILED without
/// chunks.
pub async fn cancel_job(ctx: &Ctx, caller: &Caller, kb_id: &str, job_id: &str) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let j = store::get_job(tx.conn(), &caller.tenant_id, &kb.id, job_id)
        .await?
        .ok_or_else(|| ApiError::not_found("job"))?;
    let now = now_ms();
    if !store::cancel_job(tx.conn(), &j.id, now).await? {
        return Err(ApiError::conflict("JOB_ALREADY_FINISHED", format!("the job is already {}", j.status)));
    }
    jobs::on_cancelled(tx.conn(), &j, now).await?;
    let j = store::get_job_by_id(tx.conn(), &j.id).await?.ok_or_else(|| ApiError::not_found("job"))?;
    tx.commit().await?;
    Ok(Outcome::Ok(render_job(&j)))
}
