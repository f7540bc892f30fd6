//! The knowledge library (E43–E47): tenant-wide, versioned documents, their findings
//! per version, selections linking them into knowledge bases, and projections.

use serde_json::{Map, Value, json};
use zaby::types::{
    DocumentOrigin, DocumentStatus, E44Query, E45Query, FileType, LinkLibraryDocumentInput,
    ProjectLibraryDocumentInput, TextDocumentInput,
};
use zaby_knowledge::Finding;

use super::{TextInput, jobs, load_kb, queue_document, text_input};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::knowledge::{
    self as store, DocumentRow, FileDoc, FindingRow, JobRow, LibDocRow, SelectionRow, VersionRow,
};
use crate::storage::page::Page;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

/// What E47 made: the selection, its new projected document and that document's job.
pub struct Projection {
    pub selection: SelectionRow,
    pub document: DocumentRow,
    pub job: JobRow,
}

/// E43: a new library document, or a new version of `libraryDocumentId`. Findings are
/// extracted at once, so the document is READY in the response.
pub async fn create_text(ctx: &Ctx, caller: &Caller, body: TextDocumentInput) -> ApiResult<LibDocRow> {
    let mut p = Problems::default();
    if let Some(id) = &body.library_document_id {
        p.text("libraryDocumentId", id, 100, false);
    }
    let input = text_input(&body, &mut p);
    p.finish()?;
    let target = body.library_document_id;
    let mut tx = ctx.db.write().await?;
    let now = now_ms();
    let (mut d, insert) = match &target {
        Some(id) => {
            let d = store::get_lib_doc(tx.conn(), &caller.tenant_id, id).await?.ok_or_else(|| {
                ApiError::invalid("libraryDocumentId", "does not name a library document of this tenant")
            })?;
            (d, false)
        }
        None => (
            LibDocRow {
                id: new_id(),
                tenant_id: caller.tenant_id.clone(),
                title: input.title.clone(),
                status: DocumentStatus::Ready.as_str().into(),
                current_version_id: String::new(),
                version_count: 0,
                doc: FileDoc {
                    filename: None,
                    file_type: FileType::Txt,
                    metadata: Map::new(),
                    content_length: None,
                    finding_count: None,
                },
                created_at: now,
                updated_at: now,
            },
            true,
        ),
    };
    // A new version changes only the members it gives.
    if insert || body.title.is_some() {
        d.title = input.title.clone();
    }
    if insert || body.filename.is_some() {
        d.doc.filename = input.filename.clone();
    }
    if insert || body.file_type.is_some() {
        d.doc.file_type = input.file_type;
    }
    if insert || body.metadata.is_some() {
        d.doc.metadata = input.metadata.clone();
    }
    let version = VersionRow {
        id: new_id(),
        library_document_id: d.id.clone(),
        version: d.version_count + 1,
        content: input.content.clone(),
        created_at: now,
    };
    let findings = zaby_knowledge::extract_findings(&input.content);
    d.current_version_id = version.id.clone();
    d.version_count += 1;
    d.doc.content_length = Some(zaby_knowledge::char_len(&input.content) as i64);
    d.doc.finding_count = Some(findings.len() as i64);
    d.updated_at = now;
    store::upsert_lib_doc(tx.conn(), &d, insert).await?;
    store::insert_version(tx.conn(), &caller.tenant_id, &version).await?;
    for finding in findings {
        let row = FindingRow {
            id: new_id(),
            library_document_id: d.id.clone(),
            version_id: version.id.clone(),
            index: finding.index as i64,
            category: finding.category,
            title: finding.title,
            content: finding.content,
            // Free-form metadata on the wire; these two members are what the server puts there.
            metadata: json!({"headingLevel": finding.heading_level, "version": version.version}),
            created_at: now,
        };
        store::insert_finding(tx.conn(), &caller.tenant_id, &row).await?;
    }
    tx.commit().await?;
    Ok(d)
}

/// E44.
pub async fn list_docs(ctx: &Ctx, caller: &Caller, q: &E44Query) -> ApiResult<Page<LibDocRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.as_ref().map(|s| s.as_str());
    let mut conn = ctx.db.read().await?;
    Ok(store::list_lib_docs(&mut conn, &caller.tenant_id, q.q.as_deref(), status, &page).await?)
}

/// E45: the findings of the current version. The query takes `category` only
/// (docs/api/knowledge-bases.md); a version's findings are reached through a
/// selection that links it (E46, E47).
pub async fn list_findings(ctx: &Ctx, caller: &Caller, id: &str, q: &E45Query) -> ApiResult<Page<FindingRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let mut conn = ctx.db.read().await?;
    let d = store::get_lib_doc(&mut conn, &caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("library document"))?;
    Ok(store::list_findings(&mut conn, &d.current_version_id, q.category.as_deref(), &page).await?)
}

/// E46: the selection, and whether it is new (201) rather than an existing link
/// updated (200).
pub async fn link(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    input: LinkLibraryDocumentInput,
) -> ApiResult<(SelectionRow, bool)> {
    let mut p = Problems::default();
    p.text("libraryDocumentId", &input.library_document_id, 100, false);
    if let Some(v) = &input.library_document_version_id {
        p.text("libraryDocumentVersionId", v, 100, false);
    }
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    p.finish()?;
    let LinkLibraryDocumentInput { library_document_id: doc_id, library_document_version_id: version_id, .. } = input;
    let (included, metadata) = (input.is_included, input.metadata.map(Value::Object));
    let d = store::get_lib_doc(tx.conn(), &caller.tenant_id, &doc_id)
        .await?
        .ok_or_else(|| ApiError::invalid("libraryDocumentId", "does not name a library document of this tenant"))?;
    let version = match version_id {
        Some(v) => {
            store::get_version(tx.conn(), &d.id, &v)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid("libraryDocumentVersionId", "is not a version of this library document")
                })?
                .id
        }
        None => d.current_version_id.clone(),
    };
    let now = now_ms();
    let (s, created) = match store::selection_of(tx.conn(), &kb.id, &d.id).await? {
        Some(mut s) => {
            s.version_id = version;
            if let Some(i) = included {
                s.is_included = i;
            }
            if let Some(m) = metadata {
                s.metadata = m;
            }
            s.updated_at = now;
            store::save_selection(tx.conn(), &s, false).await?;
            (s, false)
        }
        None => {
            let s = SelectionRow {
                id: new_id(),
                tenant_id: caller.tenant_id.clone(),
                kb_id: kb.id.clone(),
                library_document_id: d.id.clone(),
                version_id: version,
                is_included: included.unwrap_or(true),
                metadata: metadata.unwrap_or_else(|| Value::Object(Map::new())),
                projected_document_id: None,
                created_at: now,
                updated_at: now,
            };
            store::save_selection(tx.conn(), &s, true).await?;
            (s, true)
        }
    };
    tx.commit().await?;
    Ok((s, created))
}

/// E47: copies the selected findings of the linked version into one KB document
/// (origin `LIBRARY_PROJECTION`), replacing the previous projection.
pub async fn project(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    selection_id: &str,
    input: ProjectLibraryDocumentInput,
) -> ApiResult<Projection> {
    let mut p = Problems::default();
    let ProjectLibraryDocumentInput { projection, title, metadata, .. } = input;
    let (finding_ids, categories) = match projection {
        Some(f) => (f.finding_ids, f.categories),
        None => (None, None),
    };
    p.texts("projection.findingIds", finding_ids.as_deref().unwrap_or_default(), 100);
    p.texts("projection.categories", categories.as_deref().unwrap_or_default(), 100);
    if let Some(t) = &title {
        p.text("title", t, 500, false);
    }
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut s = store::get_selection(tx.conn(), &caller.tenant_id, &kb.id, selection_id)
        .await?
        .ok_or_else(|| ApiError::not_found("library document selection"))?;
    p.finish()?;
    if !s.is_included {
        return Err(ApiError::conflict("SELECTION_NOT_INCLUDED", "the selection is not included (isIncluded: false)"));
    }
    let lib = store::get_lib_doc(tx.conn(), &caller.tenant_id, &s.library_document_id)
        .await?
        .ok_or_else(|| ApiError::not_found("library document"))?;
    let all = store::findings_of_version(tx.conn(), &s.version_id).await?;
    if let Some(ids) = finding_ids.as_ref().filter(|v| !v.is_empty()) {
        for (i, id) in ids.iter().enumerate() {
            if !all.iter().any(|f| &f.id == id) {
                return Err(ApiError::invalid(
                    &format!("projection.findingIds.{i}"),
                    "is not a finding of the linked version",
                ));
            }
        }
    }
    let selected: Vec<Finding> = all
        .iter()
        .filter(|f| finding_ids.as_ref().is_none_or(|ids| ids.is_empty() || ids.contains(&f.id)))
        .filter(|f| categories.as_ref().is_none_or(|c| c.is_empty() || c.contains(&f.category)))
        .map(|f| Finding {
            index: f.index as usize,
            category: f.category.clone(),
            title: f.title.clone(),
            content: f.content.clone(),
            heading_level: f.metadata["headingLevel"].as_u64().map(|n| n as u8),
        })
        .collect();
    let content = zaby_knowledge::render_projection(&selected);
    let now = now_ms();
    // Replace the previous projection: its job is cancelled and the document removed.
    if let Some(prev) = s.projected_document_id.take()
        && let Some(prev_doc) = store::get_document(tx.conn(), &caller.tenant_id, &prev).await?
    {
        if let Some(job_id) = &prev_doc.job_id {
            store::cancel_job(tx.conn(), job_id, now).await?;
        }
        store::delete_document(tx.conn(), &prev_doc.id).await?;
    }
    let input = TextInput {
        content,
        title: title.unwrap_or_else(|| lib.title.clone()),
        filename: lib.doc.filename.clone(),
        file_type: lib.doc.file_type,
        metadata: metadata.unwrap_or_default(),
    };
    let origin = DocumentOrigin::LibraryProjection;
    let (document, job) = queue_document(ctx, tx.conn(), &kb, input, None, origin, Some(s.id.clone())).await?;
    s.projected_document_id = Some(document.id.clone());
    s.updated_at = now;
    store::save_selection(tx.conn(), &s, false).await?;
    tx.commit().await?;
    jobs::wake();
    Ok(Projection { selection: s, document, job })
}
