//! Knowledge bases, their documents and jobs, and the library (E41–E47, E56, E65–E67).

use serde_json::{Map, Value};
use zaby::types::{
    Document, GovernancePolicy, IngestionPolicy, KnowledgeBase, KnowledgeJob, KnowledgeJobStatus, KnowledgeProfile,
    LibraryDocument, LibraryDocumentFinding, LibraryDocumentSelection, ProjectionResult, ProvisionalAnswer,
    ProvisionalAnswerCitation, Source, SourceGroup,
};

use super::stored;
use crate::error::ApiResult;
use crate::services::knowledge::library::Projection;
use crate::services::knowledge::retrieval::Answer;
use crate::services::knowledge::setup::Counted;
use crate::storage::knowledge::{
    DocumentRow, FindingRow, GovernanceRow, GroupDoc, ItemRow, JobRow, KbRow, LibDocRow, PolicyDoc, ProfileDoc,
    SelectionRow, SourceDoc,
};
use crate::util::clock::iso;

/// A member of a stored JSON document that the wire has as an object.
fn object(v: &Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// `KnowledgeBase` (E41).
pub(crate) fn knowledge_base(k: KbRow, document_count: i64) -> ApiResult<KnowledgeBase> {
    Ok(KnowledgeBase {
        description: k.doc.description,
        access_level: k.doc.access_level,
        tags: k.doc.tags,
        metadata: k.doc.metadata,
        id: k.id,
        name: k.name,
        slug: k.slug,
        status: k.status,
        document_count: Some(document_count),
        created_at: Some(iso(k.created_at)),
        updated_at: Some(iso(k.updated_at)),
        extra: Map::new(),
    })
}

/// `Document` (E42; `ProjectionResult.document`).
pub(crate) fn document(d: DocumentRow) -> ApiResult<Document> {
    Ok(Document {
        content_length: Some(zaby_knowledge::char_len(&d.content) as i64),
        filename: d.doc.filename,
        file_type: d.doc.file_type,
        status: stored("document status", &d.status)?,
        origin: Some(stored("document origin", &d.origin)?),
        metadata: d.doc.metadata,
        id: d.id,
        knowledge_base_id: d.kb_id,
        title: d.title,
        chunk_count: Some(d.chunk_count),
        source_id: d.source_id,
        job_id: d.job_id,
        created_at: Some(iso(d.created_at)),
        updated_at: Some(iso(d.updated_at)),
        extra: Map::new(),
    })
}

/// `KnowledgeJob` (E47, E56, E65–E67): progress is 1 once completed, a cancelled job
/// has no completion time.
pub(crate) fn job(j: JobRow) -> ApiResult<KnowledgeJob> {
    let status: KnowledgeJobStatus = stored("job status", &j.status)?;
    Ok(KnowledgeJob {
        r#type: stored("job type", &j.kind)?,
        progress: if status == KnowledgeJobStatus::Completed { 1.0 } else { 0.0 },
        completed_at: if status == KnowledgeJobStatus::Cancelled { None } else { j.completed_at.map(iso) },
        status,
        id: j.id,
        knowledge_base_id: j.kb_id,
        document_id: j.document_id,
        source_id: j.source_id,
        selection_id: j.selection_id,
        items_processed: j.items_processed,
        error: j.error,
        created_at: iso(j.created_at),
        started_at: j.started_at.map(iso),
        cancelled_at: j.cancelled_at.map(iso),
        extra: Map::new(),
    })
}

/// `LibraryDocument` (E43, E44).
pub(crate) fn library_document(d: LibDocRow) -> ApiResult<LibraryDocument> {
    Ok(LibraryDocument {
        filename: d.doc.filename,
        file_type: d.doc.file_type,
        status: stored("library document status", &d.status)?,
        content_length: d.doc.content_length,
        finding_count: d.doc.finding_count,
        metadata: d.doc.metadata,
        id: d.id,
        title: d.title,
        current_version_id: d.current_version_id,
        version_count: Some(d.version_count),
        created_at: Some(iso(d.created_at)),
        updated_at: Some(iso(d.updated_at)),
        extra: Map::new(),
    })
}

/// `LibraryDocumentFinding` (E45).
pub(crate) fn finding(f: FindingRow) -> ApiResult<LibraryDocumentFinding> {
    Ok(LibraryDocumentFinding {
        metadata: object(&f.metadata),
        id: f.id,
        library_document_id: f.library_document_id,
        library_document_version_id: f.version_id,
        index: f.index,
        category: f.category,
        title: f.title,
        content: f.content,
        extra: Map::new(),
    })
}

/// `LibraryDocumentSelection` (E46).
pub(crate) fn selection(s: SelectionRow) -> LibraryDocumentSelection {
    LibraryDocumentSelection {
        metadata: object(&s.metadata),
        id: Some(s.id),
        knowledge_base_id: Some(s.kb_id),
        library_document_id: s.library_document_id,
        library_document_version_id: s.version_id,
        is_included: s.is_included,
        projected_document_id: s.projected_document_id,
        created_at: Some(iso(s.created_at)),
        updated_at: Some(iso(s.updated_at)),
        extra: Map::new(),
    }
}

/// `ProvisionalAnswer` (E49): every retrieved chunk is cited; the confidence is the
/// best score, 0 without an answer.
pub(crate) fn provisional_answer(a: Answer) -> ProvisionalAnswer {
    let confidence = a.hits.first().map_or(0.0, |h| h.score);
    let citations = a
        .hits
        .into_iter()
        .map(|h| ProvisionalAnswerCitation {
            chunk_id: h.chunk.id,
            document_id: h.chunk.document_id,
            title: h.chunk.title,
            score: h.score,
            extra: Map::new(),
        })
        .collect();
    let (status, answer) = match a.answer {
        Some(text) => ("ANSWERED", text),
        None => ("NO_ANSWER", String::new()),
    };
    ProvisionalAnswer { query: a.query, status: status.into(), answer, confidence, citations, extra: Map::new() }
}

/// `SourceGroup` (E50–E52).
pub(crate) fn source_group(c: Counted<GroupDoc>) -> ApiResult<SourceGroup> {
    let Counted { row: r, count } = c;
    let d = r.doc;
    Ok(SourceGroup {
        name: d.name,
        source_type: d.source_type,
        sync_mode: d.sync_mode,
        description: d.description,
        metadata: d.metadata,
        status: r.status,
        id: r.id,
        knowledge_base_id: r.kb_id,
        source_count: Some(count),
        created_at: Some(iso(r.created_at)),
        updated_at: Some(iso(r.updated_at)),
        extra: Map::new(),
    })
}

/// `Source` (E53–E55, E57).
pub(crate) fn source(c: Counted<SourceDoc>) -> ApiResult<Source> {
    let Counted { row: r, count } = c;
    let d = r.doc;
    Ok(Source {
        name: d.name,
        config: d.config,
        credential_id: d.credential_id,
        last_synced_at: d.last_synced_at.map(iso),
        last_job_id: d.last_job_id,
        metadata: d.metadata,
        r#type: r.extra.unwrap_or_default(),
        source_group_id: r.link,
        status: r.status,
        id: r.id,
        knowledge_base_id: r.kb_id,
        document_count: Some(count),
        created_at: Some(iso(r.created_at)),
        updated_at: Some(iso(r.updated_at)),
        extra: Map::new(),
    })
}

/// `IngestionPolicy` (E58–E60): the source is the row's link, the schedule its
/// `extra` column.
pub(crate) fn ingestion_policy(r: ItemRow<PolicyDoc>) -> ApiResult<IngestionPolicy> {
    let d = r.doc;
    Ok(IngestionPolicy {
        name: d.name,
        source_group_id: d.source_group_id,
        config: Some(d.config),
        metadata: d.metadata,
        source_id: r.link,
        schedule: r.extra,
        status: Some(r.status),
        id: r.id,
        knowledge_base_id: r.kb_id,
        created_at: Some(iso(r.created_at)),
        updated_at: Some(iso(r.updated_at)),
        extra: Map::new(),
    })
}

/// `GovernancePolicy` (E61).
pub(crate) fn governance(g: GovernanceRow) -> ApiResult<GovernancePolicy> {
    let d = g.doc;
    Ok(GovernancePolicy {
        rules: d.rules,
        settings: Some(d.settings),
        metadata: d.metadata,
        id: Some(g.id),
        knowledge_base_id: g.kb_id,
        version: Some(g.version),
        created_at: Some(iso(g.created_at)),
        updated_at: Some(iso(g.updated_at)),
        extra: Map::new(),
    })
}

/// `KnowledgeProfile` (E62–E64): the status column holds `isDefault` as "1"/"0".
pub(crate) fn profile(r: ItemRow<ProfileDoc>) -> ApiResult<KnowledgeProfile> {
    let d = r.doc;
    Ok(KnowledgeProfile {
        name: d.name,
        description: d.description,
        config: d.config,
        metadata: d.metadata,
        is_default: r.status == "1",
        id: r.id,
        knowledge_base_id: r.kb_id,
        created_at: Some(iso(r.created_at)),
        updated_at: Some(iso(r.updated_at)),
        extra: Map::new(),
    })
}

/// `ProjectionResult` (E47).
pub(crate) fn projection(p: Projection) -> ApiResult<ProjectionResult> {
    let Projection { selection, document: d, job: j } = p;
    Ok(ProjectionResult {
        selection_id: selection.id,
        knowledge_base_id: selection.kb_id,
        library_document_id: selection.library_document_id,
        library_document_version_id: selection.version_id,
        document: document(d)?,
        job: job(j)?,
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use zaby::types::ErrorInfo;

    use super::*;
    use crate::http::extract::catalogue::response_problems;

    fn wire<T: serde::Serialize>(t: T) -> Value {
        serde_json::to_value(t).unwrap()
    }

    /// A stored document as the server writes it.
    fn stored_doc<D: serde::de::DeserializeOwned>(doc: Value) -> D {
        serde_json::from_value(doc).expect("a stored document")
    }

    fn kb() -> KbRow {
        KbRow {
            id: "kb-1".into(),
            tenant_id: "t".into(),
            slug: "docs".into(),
            name: "Docs".into(),
            status: "ACTIVE".into(),
            doc: stored_doc(
                json!({"description": null, "accessLevel": "PRIVATE", "tags": ["a"], "metadata": {"k": 1}}),
            ),
            created_at: 0,
            updated_at: 1,
        }
    }

    fn doc() -> DocumentRow {
        DocumentRow {
            id: "d-1".into(),
            tenant_id: "t".into(),
            kb_id: "kb-1".into(),
            source_id: None,
            status: "PROCESSING".into(),
            origin: "LIBRARY_PROJECTION".into(),
            job_id: Some("j-1".into()),
            title: "Guide".into(),
            content: "héllo".into(),
            chunk_count: 0,
            doc: stored_doc(json!({"filename": "g.md", "fileType": "MD", "metadata": {}})),
            created_at: 0,
            updated_at: 0,
        }
    }

    fn job_row(status: &str) -> JobRow {
        JobRow {
            id: "j-1".into(),
            tenant_id: "t".into(),
            kb_id: "kb-1".into(),
            kind: "LIBRARY_PROJECTION".into(),
            status: status.into(),
            document_id: Some("d-1".into()),
            source_id: None,
            selection_id: Some("s-1".into()),
            items_processed: 0,
            error: None,
            run_after: 0,
            created_at: 0,
            started_at: Some(1),
            completed_at: Some(2),
            cancelled_at: None,
            updated_at: 2,
        }
    }

    fn selection_row() -> SelectionRow {
        SelectionRow {
            id: "s-1".into(),
            tenant_id: "t".into(),
            kb_id: "kb-1".into(),
            library_document_id: "l-1".into(),
            version_id: "v-1".into(),
            is_included: true,
            metadata: json!({}),
            projected_document_id: Some("d-1".into()),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_knowledge_base_keeps_the_catalogue_wire_format() {
        let wire = wire(knowledge_base(kb(), 0).unwrap());
        assert_eq!(response_problems("KnowledgeBase", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "kb-1", "name": "Docs", "slug": "docs", "description": null, "accessLevel": "PRIVATE",
                "status": "ACTIVE", "tags": ["a"], "metadata": {"k": 1}, "documentCount": 0,
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.001Z",
            })
        );
    }

    #[test]
    fn documents_jobs_and_library_answers_keep_the_catalogue_wire_format() {
        let lib = LibDocRow {
            id: "l-1".into(),
            tenant_id: "t".into(),
            title: "Guide".into(),
            status: "READY".into(),
            current_version_id: "v-1".into(),
            version_count: 1,
            doc: stored_doc(json!({
                "filename": null, "fileType": "TXT", "metadata": {}, "contentLength": 5, "findingCount": 1,
            })),
            created_at: 0,
            updated_at: 0,
        };
        let found = FindingRow {
            id: "f-1".into(),
            library_document_id: "l-1".into(),
            version_id: "v-1".into(),
            index: 0,
            category: "section".into(),
            title: "Intro".into(),
            content: "hi".into(),
            metadata: json!({"headingLevel": 1, "version": 1}),
            created_at: 0,
        };
        let p = Projection { selection: selection_row(), document: doc(), job: job_row("QUEUED") };
        assert_eq!(response_problems("Document", &wire(document(doc()).unwrap())), []);
        assert_eq!(response_problems("KnowledgeJob", &wire(job(job_row("RUNNING")).unwrap())), []);
        assert_eq!(response_problems("LibraryDocument", &wire(library_document(lib).unwrap())), []);
        assert_eq!(response_problems("LibraryDocumentFinding", &wire(finding(found).unwrap())), []);
        assert_eq!(response_problems("LibraryDocumentSelection", &wire(selection(selection_row()))), []);
        let projected = wire(projection(p).unwrap());
        assert_eq!(response_problems("ProjectionResult", &projected), []);
        assert_eq!(projected["document"]["contentLength"], 5, "characters, not bytes");
        assert_eq!(projected["job"]["status"], "QUEUED");
    }

    fn item<D: serde::de::DeserializeOwned>(
        status: &str,
        link: Option<&str>,
        extra: Option<&str>,
        doc: Value,
    ) -> ItemRow<D> {
        ItemRow {
            id: "i-1".into(),
            tenant_id: "t".into(),
            kb_id: "kb-1".into(),
            status: status.into(),
            link: link.map(Into::into),
            extra: extra.map(Into::into),
            checked_until: 0,
            doc: stored_doc(doc),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_setup_of_a_knowledge_base_keeps_the_catalogue_wire_format() {
        let group = item(
            "ACTIVE",
            None,
            None,
            json!({"name": "G", "sourceType": "MANUAL_UPLOAD", "syncMode": "MANUAL", "description": null, "metadata": {}}),
        );
        let group = wire(source_group(Counted { row: group, count: 2 }).unwrap());
        assert_eq!(response_problems("SourceGroup", &group), []);
        assert_eq!(group["sourceCount"], 2);
        let src = item(
            "ERROR",
            Some("g-1"),
            Some("web"),
            json!({"name": "S", "config": {}, "credentialId": null, "lastSyncedAt": 5, "lastJobId": "j-1", "metadata": {}}),
        );
        let src = wire(source(Counted { row: src, count: 0 }).unwrap());
        assert_eq!(response_problems("Source", &src), []);
        assert_eq!((&src["type"], &src["lastSyncedAt"]), (&json!("web"), &json!("1970-01-01T00:00:00.005Z")));
        let policy = item(
            "ACTIVE",
            Some("s-1"),
            Some("0 * * * *"),
            json!({"name": "P", "sourceGroupId": null, "config": {}, "metadata": {}}),
        );
        let policy = wire(ingestion_policy(policy).unwrap());
        assert_eq!(response_problems("IngestionPolicy", &policy), []);
        assert_eq!((&policy["sourceId"], &policy["schedule"]), (&json!("s-1"), &json!("0 * * * *")));
        let stored =
            item("1", None, None, json!({"name": "Default", "description": null, "config": {}, "metadata": {}}));
        let prof = wire(profile(stored).unwrap());
        assert_eq!(response_problems("KnowledgeProfile", &prof), []);
        assert_eq!(prof["isDefault"], true);
        let g = GovernanceRow {
            id: "g-1".into(),
            kb_id: "kb-1".into(),
            version: 2,
            doc: stored_doc(json!({"rules": [{"deny": "pii"}], "settings": {}, "metadata": {}})),
            created_at: 0,
            updated_at: 0,
        };
        let g = wire(governance(g).unwrap());
        assert_eq!(response_problems("GovernancePolicy", &g), []);
        assert_eq!((&g["rules"], &g["version"]), (&json!([{"deny": "pii"}]), &json!(2)));
    }

    #[test]
    fn a_job_reports_progress_and_completion_by_its_status() {
        let done = wire(job(job_row("COMPLETED")).unwrap());
        assert_eq!(
            (done["progress"].as_f64(), done["completedAt"].as_str()),
            (Some(1.0), Some("1970-01-01T00:00:00.002Z"))
        );
        let cancelled = wire(job(job_row("CANCELLED")).unwrap());
        assert_eq!((cancelled["progress"].as_f64(), &cancelled["completedAt"]), (Some(0.0), &Value::Null));
        let mut failed = job_row("FAILED");
        failed.error = Some(ErrorInfo { code: "INGESTION_FAILED".into(), message: "empty".into(), extra: Map::new() });
        let failed = wire(job(failed).unwrap());
        assert_eq!(failed["error"], json!({"code": "INGESTION_FAILED", "message": "empty"}));
        assert_eq!(response_problems("KnowledgeJob", &failed), []);
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = wire(knowledge_base(kb(), 3).unwrap());
        let map = wire.as_object_mut().unwrap();
        let level = map.remove("accessLevel").unwrap();
        map.insert("access".into(), level);
        let fields: Vec<String> = response_problems("KnowledgeBase", &wire).into_iter().map(|(f, _)| f).collect();
        assert!(fields.contains(&"access".into()) && fields.contains(&"accessLevel".into()), "{fields:?}");
    }

    #[test]
    fn a_stored_value_the_catalogue_does_not_know_is_an_internal_error() {
        let mut d = doc();
        d.origin = "EMAIL".into();
        assert_eq!(document(d).unwrap_err().code, "INTERNAL_ERROR");
        assert_eq!(job(job_row("PAUSED")).unwrap_err().code, "INTERNAL_ERROR");
    }
}
