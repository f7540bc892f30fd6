//! The knowledge library (E43–E47): tenant-wide, versioned documents, their findings
//! per version, selections linking them into knowledge bases, and projections.

use serde_json::{Value, json};
use zaby_knowledge::Finding;

use super::{TextInput, jobs, load_kb, queue_document, render_document, render_job, text_input};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, enum_param, list_body, page_request, str_param};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::knowledge::{self as store, FindingRow, LibDocRow, SelectionRow, VersionRow};
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;
use crate::util::input::Fields;

const DOC_STATUSES: &[&str] = &["PROCESSING", "READY", "FAILED"];

pub fn render_lib_doc(d: &LibDocRow) -> Value {
    json!({
        "id": d.id,
        "title": d.title,
        "filename": d.doc["filename"],
        "fileType": d.doc["fileType"],
        "status": d.status,
        "currentVersionId": d.current_version_id,
        "versionCount": d.version_count,
        "contentLength": d.doc["contentLength"],
        "findingCount": d.doc["findingCount"],
        "metadata": d.doc["metadata"],
        "createdAt": iso(d.created_at),
        "updatedAt": iso(d.updated_at),
    })
}

fn render_finding(f: &FindingRow) -> Value {
    json!({
        "id": f.id,
        "libraryDocumentId": f.library_document_id,
        "libraryDocumentVersionId": f.version_id,
        "index": f.index,
        "category": f.category,
        "title": f.title,
        "content": f.content,
        "metadata": f.metadata,
    })
}

fn render_selection(s: &SelectionRow) -> Value {
    json!({
        "id": s.id,
        "knowledgeBaseId": s.kb_id,
        "libraryDocumentId": s.library_document_id,
        "libraryDocumentVersionId": s.version_id,
        "isIncluded": s.is_included,
        "metadata": s.metadata,
        "projectedDocumentId": s.projected_document_id,
        "createdAt": iso(s.created_at),
        "updatedAt": iso(s.updated_at),
    })
}

/// E43: a new library document, or a new version of `libraryDocumentId`. Findings are
/// extracted at once, so the document is READY in the response.
pub async fn create_text(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let target = f.opt_str("libraryDocumentId", 100);
    let explicit_title = f.has("title") || f.has("name");
    let input: Option<TextInput> = text_input(&mut f);
    let has_file_type = f.has("fileType");
    let has_filename = f.has("filename");
    let has_metadata = f.has("metadata");
    f.finish()?;
    let input = input.ok_or_else(|| ApiError::invalid("content", "is required"))?;
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
                status: "READY".into(),
                current_version_id: String::new(),
                version_count: 0,
                doc: json!({"filename": null, "fileType": "TXT", "metadata": {}}),
                created_at: now,
                updated_at: now,
            },
            true,
        ),
    };
    if insert || explicit_title {
        d.title = input.title.clone();
    }
    if insert || has_filename {
        d.doc["filename"] = json!(input.filename);
    }
    if insert || has_file_type {
        d.doc["fileType"] = json!(input.file_type);
    }
    if insert || has_metadata {
        d.doc["metadata"] = input.metadata.clone();
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
    d.doc["contentLength"] = json!(zaby_knowledge::char_len(&input.content));
    d.doc["findingCount"] = json!(findings.len());
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
            metadata: json!({"headingLevel": finding.heading_level, "version": version.version}),
            created_at: now,
        };
        store::insert_finding(tx.conn(), &caller.tenant_id, &row).await?;
    }
    tx.commit().await?;
    Ok(Outcome::Created(render_lib_doc(&d)))
}

/// E44.
pub async fn list_docs(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let status = enum_param(q, "status", DOC_STATUSES)?;
    let text = str_param(q, "q");
    let mut conn = ctx.db.read().await?;
    let rows = store::list_lib_docs(&mut conn, &caller.tenant_id, text.as_deref(), status.as_deref(), &page).await?;
    Ok(Outcome::Ok(list_body(ctx.settings.max_page_bytes, rows.map(|d| render_lib_doc(&d)))))
}

/// E45: the findings of the current version (or of `libraryDocumentVersionId`).
pub async fn list_findings(ctx: &Ctx, caller: &Caller, id: &str, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let category = str_param(q, "category");
    let mut conn = ctx.db.read().await?;
    let d = store::get_lib_doc(&mut conn, &caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("library document"))?;
    let version = match str_param(q, "libraryDocumentVersionId") {
        Some(v) => {
            store::get_version(&mut conn, &d.id, &v)
                .await?
                .ok_or_else(|| ApiError::invalid("libraryDocumentVersionId", "is not a version of this document"))?
                .id
        }
        None => d.current_version_id.clone(),
    };
    let rows = store::list_findings(&mut conn, &version, category.as_deref(), &page).await?;
    Ok(Outcome::Ok(list_body(ctx.settings.max_page_bytes, rows.map(|f| render_finding(&f)))))
}

/// E46: 201 for a new selection, 200 when the document was already linked.
pub async fn link(ctx: &Ctx, caller: &Caller, kb_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let doc_id = f.req_str("libraryDocumentId", 100);
    let version_id = f.opt_str("libraryDocumentVersionId", 100);
    let included = f.opt_bool("isIncluded");
    let metadata = f.opt_object("metadata");
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    f.finish()?;
    let doc_id = doc_id.unwrap_or_default();
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
                metadata: metadata.unwrap_or_else(|| json!({})),
                projected_document_id: None,
                created_at: now,
                updated_at: now,
            };
            store::save_selection(tx.conn(), &s, true).await?;
            (s, true)
        }
    };
    tx.commit().await?;
    let out = render_selection(&s);
    Ok(if created { Outcome::Created(out) } else { Outcome::Ok(out) })
}

/// E47: copies the selected findings of the linked version into one KB document
/// (origin `LIBRARY_PROJECTION`), replacing the previous projection.
pub async fn project(ctx: &Ctx, caller: &Caller, kb_id: &str, selection_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let (finding_ids, categories) = match f.raw("projection") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Object(_)) => {
            let proj = f.raw("projection").cloned().unwrap_or(Value::Null);
            let mut pf = Fields::new(&proj);
            let ids = pf.opt_str_list("findingIds", 100);
            let cats = pf.opt_str_list("categories", 100);
            if let Err(e) = pf.finish() {
                let mut list = Vec::new();
                if let Some(d) = &e.details {
                    for err in d["errors"].as_array().into_iter().flatten() {
                        list.push((
                            format!("projection.{}", err["field"].as_str().unwrap_or("")),
                            err["message"].as_str().unwrap_or("").to_string(),
                        ));
                    }
                }
                return Err(ApiError::validation(list));
            }
            (ids, cats)
        }
        Some(_) => {
            f.error("projection", "must be an object");
            (None, None)
        }
    };
    let title = f.opt_str("title", 500);
    let metadata = f.opt_object("metadata");
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut s = store::get_selection(tx.conn(), &caller.tenant_id, &kb.id, selection_id)
        .await?
        .ok_or_else(|| ApiError::not_found("library document selection"))?;
    f.finish()?;
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
        filename: lib.doc["filename"].as_str().map(str::to_string),
        file_type: lib.doc["fileType"].as_str().unwrap_or("TXT").to_string(),
        metadata: metadata.unwrap_or_else(|| json!({})),
    };
    let (doc, job) = queue_document(ctx, tx.conn(), &kb, input, None, "LIBRARY_PROJECTION", Some(s.id.clone())).await?;
    s.projected_document_id = Some(doc.id.clone());
    s.updated_at = now;
    store::save_selection(tx.conn(), &s, false).await?;
    tx.commit().await?;
    jobs::wake();
    Ok(Outcome::Created(json!({
        "selectionId": s.id,
        "knowledgeBaseId": kb.id,
        "libraryDocumentId": s.library_document_id,
        "libraryDocumentVersionId": s.version_id,
        "document": render_document(&doc),
        "job": render_job(&job),
    })))
}
