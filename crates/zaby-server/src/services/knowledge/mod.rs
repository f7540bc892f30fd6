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

use serde_json::{Map, Value};
use zaby::types::{
    DocumentOrigin, DocumentStatus, E65Query, FileType, KnowledgeAccessLevel, KnowledgeBaseInput, KnowledgeJobStatus,
    KnowledgeJobType, TextDocumentInput,
};
use zaby_knowledge::ProfileConfig;

use super::{Caller, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::storage::knowledge::{self as store, DocumentRow, FileDoc, JobRow, KbDoc, KbRow, SourceDoc};
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

/// Longest document text accepted (characters); the body limit usually bites first.
pub const CONTENT_MAX: usize = 10_000_000;

fn from_field_error(e: zaby_knowledge::FieldError) -> ApiError {
    ApiError::invalid(&e.field, &e.message)
}

/// The profile configuration ingestion and E48/E49 use: the default profile's, else
/// chunk size 1000 and no cap.
pub async fn kb_profile(conn: &mut Conn, kb_id: &str) -> ApiResult<ProfileConfig> {
    Ok(match store::default_profile(conn, kb_id).await? {
        Some(p) => p.doc.profile_config().unwrap_or_default(),
        None => ProfileConfig::default(),
    })
}

/// A knowledge base of the caller's tenant, else 404.
pub async fn load_kb(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<KbRow> {
    store::get_kb(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("knowledge base"))
}

/// E41.
pub async fn create_kb(ctx: &Ctx, caller: &Caller, input: KnowledgeBaseInput) -> ApiResult<KbRow> {
    let mut p = Problems::default();
    p.text("name", &input.name, 200, false);
    if let Some(s) = &input.slug {
        p.text("slug", s, 100, false);
        if !p.has("slug") && !zaby_knowledge::is_valid_slug(s) {
            p.add("slug", "must be lower-case letters, digits and single dashes");
        }
    }
    if let Some(d) = &input.description {
        p.text("description", d, 10_000, true);
    }
    if let Some(tags) = &input.tags {
        p.texts("tags", tags, 200);
    }
    p.finish()?;
    let KnowledgeBaseInput { name, slug, description, access_level, status, tags, metadata, .. } = input;
    let now = now_ms();
    let mut k = KbRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug: String::new(),
        name: name.clone(),
        // The catalogue's schema lists ACTIVE and INACTIVE, checked by the extractor.
        status: status.unwrap_or_else(|| "ACTIVE".into()),
        doc: KbDoc {
            description,
            access_level: access_level.unwrap_or(KnowledgeAccessLevel::Private),
            tags: tags.unwrap_or_default(),
            metadata: metadata.unwrap_or_default(),
        },
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
                return Ok(k);
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

/// The text fields shared by E42 and E43, defaults applied.
pub struct TextInput {
    pub content: String,
    pub title: String,
    pub filename: Option<String>,
    pub file_type: FileType,
    pub metadata: Map<String, Value>,
}

/// `docs/api/knowledge-bases.md` TextDocumentInput accepts `text` for `content` and
/// `name` for `title`; the canonical member wins when both are given. Applied to the
/// body before the typed extractor's checks, so `content` is then required as usual.
pub fn text_aliases(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        for (alias, canonical) in [("text", "content"), ("name", "title")] {
            let alias_value = map.remove(alias);
            if map.get(canonical).is_none_or(Value::is_null)
                && let Some(v) = alias_value.filter(|v| !v.is_null())
            {
                map.insert(canonical.into(), v);
            }
        }
    }
    body
}

/// Checks what the catalogue cannot say of a `TextDocumentInput` and applies the
/// defaults (title from the content, `TXT`).
pub fn text_input(input: &TextDocumentInput, p: &mut Problems) -> TextInput {
    p.text("content", &input.content, CONTENT_MAX, true);
    if let Some(t) = &input.title {
        p.text("title", t, 500, false);
    }
    if let Some(f) = &input.filename {
        p.text("filename", f, 500, false);
    }
    TextInput {
        title: input.title.clone().unwrap_or_else(|| zaby_knowledge::default_title(&input.content)),
        content: input.content.clone(),
        filename: input.filename.clone(),
        file_type: input.file_type.unwrap_or(FileType::Txt),
        metadata: input.metadata.clone().unwrap_or_default(),
    }
}

/// A new QUEUED job (not stored).
pub fn new_job(ctx: &Ctx, kb: &KbRow, kind: KnowledgeJobType, now: i64) -> JobRow {
    JobRow {
        id: new_id(),
        tenant_id: kb.tenant_id.clone(),
        kb_id: kb.id.clone(),
        kind: kind.as_str().into(),
        status: KnowledgeJobStatus::Queued.as_str().into(),
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
    origin: DocumentOrigin,
    selection_id: Option<String>,
) -> ApiResult<(DocumentRow, JobRow)> {
    let now = now_ms();
    let kind = match origin {
        DocumentOrigin::LibraryProjection => KnowledgeJobType::LibraryProjection,
        DocumentOrigin::TextUpload => KnowledgeJobType::DocumentIngestion,
    };
    let mut job = new_job(ctx, kb, kind, now);
    let d = DocumentRow {
        id: new_id(),
        tenant_id: kb.tenant_id.clone(),
        kb_id: kb.id.clone(),
        source_id: source_id.clone(),
        status: DocumentStatus::Processing.as_str().into(),
        origin: origin.as_str().into(),
        job_id: Some(job.id.clone()),
        title: input.title,
        content: input.content,
        chunk_count: 0,
        doc: FileDoc {
            filename: input.filename,
            file_type: input.file_type,
            metadata: input.metadata,
            content_length: None,
            finding_count: None,
        },
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
pub async fn upload_text(ctx: &Ctx, caller: &Caller, kb_id: &str, input: TextDocumentInput) -> ApiResult<DocumentRow> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut p = Problems::default();
    if let Some(s) = &input.source_id {
        p.text("sourceId", s, 100, false);
    }
    let text = text_input(&input, &mut p);
    p.finish()?;
    if let Some(s) = &input.source_id
        && store::get_item::<SourceDoc>(tx.conn(), &caller.tenant_id, &kb.id, s).await?.is_none()
    {
        return Err(ApiError::invalid("sourceId", "does not name a source of this knowledge base"));
    }
    let (d, _) = queue_document(ctx, tx.conn(), &kb, text, input.source_id, DocumentOrigin::TextUpload, None).await?;
    tx.commit().await?;
    jobs::wake();
    Ok(d)
}

/// E65.
pub async fn list_jobs(ctx: &Ctx, caller: &Caller, kb_id: &str, q: &E65Query) -> ApiResult<Page<JobRow>> {
    let page = super::paging::page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.as_ref().map(|s| s.as_str());
    let kind = q.r#type.as_ref().map(|t| t.as_str());
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    Ok(store::list_jobs(&mut conn, &caller.tenant_id, &kb.id, status, kind, &page).await?)
}

/// E66.
pub async fn get_job(ctx: &Ctx, caller: &Caller, kb_id: &str, job_id: &str) -> ApiResult<JobRow> {
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    store::get_job(&mut conn, &caller.tenant_id, &kb.id, job_id).await?.ok_or_else(|| ApiError::not_found("job"))
}

/// E67: QUEUED/RUNNING → CANCELLED; an ingestion's document is left FAILED without
/// chunks.
pub async fn cancel_job(ctx: &Ctx, caller: &Caller, kb_id: &str, job_id: &str) -> ApiResult<JobRow> {
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
    Ok(j)
}
