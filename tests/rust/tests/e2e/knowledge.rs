//! Knowledge bases, documents, jobs, retrieval, setup objects and the knowledge
//! library: E41–E67 (E57 is in the MCP scenario, which owns a credential).

use std::sync::Arc;

use futures::{Stream, StreamExt};
use serde_json::json;
use zaby::Zaby;
use zaby::types::{
    DocumentOrigin, DocumentStatus, E44Query, E45Query, E50Query, E53Query, E58Query, E65Query, FileType,
    GovernancePolicyInput, IngestionPolicyInput, IngestionPolicyUpdateInput, KnowledgeBaseInput, KnowledgeJob,
    KnowledgeJobStatus, KnowledgeJobType, LinkLibraryDocumentInput, ListQuery, ProfileInput, ProfileUpdateInput,
    ProjectLibraryDocumentInput, RetrievalMode, RetrieveInput, SourceGroupInput, SourceGroupUpdateInput, SourceInput,
    SourceUpdateInput, TextDocumentInput,
};

use crate::support::{Ctx, eventually, expect_err, object};

const HANDBOOK: &str = "# Returns\n\nCustomers can return any item within 30 days of delivery for a full refund.\n\n\
# Shipping\n\nOrders ship within 2 business days. Express delivery takes one day.\n";

async fn job_done(z: &Zaby, kb: &str, job: &str) -> KnowledgeJob {
    eventually("the knowledge job to end", || async {
        let j = z.knowledge_bases().get_job(kb, job).await?;
        let ended = matches!(
            j.status,
            KnowledgeJobStatus::Completed | KnowledgeJobStatus::Failed | KnowledgeJobStatus::Cancelled
        );
        Ok(ended.then_some(j))
    })
    .await
}

async fn collect<T>(mut pages: impl Stream<Item = zaby::Result<T>> + Unpin) -> zaby::Result<Vec<T>> {
    let mut out = Vec::new();
    while let Some(v) = pages.next().await {
        out.push(v?);
    }
    Ok(out)
}

fn query(text: &str) -> RetrieveInput {
    RetrieveInput { query: text.into(), ..Default::default() }
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let slug = ctx.slug("handbook");

    // E41: a knowledge base with an explicit slug, which is then taken.
    let input = KnowledgeBaseInput { name: "Handbook".into(), slug: Some(slug.clone()), ..Default::default() };
    let kb = z.knowledge_bases().create(input).await?;
    let kb_id = kb.id.clone();
    assert_eq!(kb.slug, slug);
    let taken = KnowledgeBaseInput { name: "x".into(), slug: Some(slug.clone()), ..Default::default() };
    let dup = expect_err(z.knowledge_bases().create(taken), 409, "SLUG_ALREADY_EXISTS").await;
    assert!(dup.is("ZabyConflictError"));

    // E42 → E66: a text document is ingested by a job.
    let handbook = TextDocumentInput {
        title: Some("Customer handbook".into()),
        content: HANDBOOK.into(),
        file_type: Some(FileType::Md),
        ..Default::default()
    };
    let doc = z.knowledge_bases().upload_text_document(&kb_id, handbook).await?;
    assert_eq!(doc.status, DocumentStatus::Processing);
    let job = job_done(z, &kb_id, doc.job_id.as_deref().expect("an ingestion job")).await;
    assert_eq!(
        (job.status, job.r#type),
        (KnowledgeJobStatus::Completed, KnowledgeJobType::DocumentIngestion),
        "{job:?}"
    );
    assert_eq!(job.progress, 1.0);

    // E67: a job cancelled before it ran; cancelling again is refused.
    let never = TextDocumentInput { content: "Never indexed.".into(), ..Default::default() };
    let doomed = z.knowledge_bases().upload_text_document(&kb_id, never).await?;
    let doomed_job = doomed.job_id.expect("an ingestion job");
    let cancelled = z.knowledge_bases().cancel_job(&kb_id, &doomed_job).await?;
    assert_eq!(cancelled.status, KnowledgeJobStatus::Cancelled);
    assert!(cancelled.cancelled_at.is_some());
    let twice = expect_err(z.knowledge_bases().cancel_job(&kb_id, &doomed_job), 409, "JOB_ALREADY_FINISHED").await;
    assert!(twice.is("ZabyConflictError"));
    // E65: the jobs, by status.
    let by_status = E65Query { status: Some(KnowledgeJobStatus::Cancelled), ..Default::default() };
    let done = z.knowledge_bases().list_jobs(&kb_id, by_status).await?;
    assert_eq!(done.total, Some(1));
    assert_eq!(done.items[0].id, doomed_job);
    assert_eq!(collect(z.knowledge_bases().iter_jobs(&kb_id, None)).await?.len(), 2);

    // E48: keyword retrieval finds the refund passage; E49 drafts an answer from it.
    let keyword = RetrieveInput { mode: Some(RetrievalMode::Keyword), top_k: Some(3), ..query("refund") };
    let hits = z.knowledge_bases().retrieve(&kb_id, keyword).await?;
    assert!(hits.total.unwrap_or_default() >= 1, "{hits:?}");
    let best = &hits.items[0];
    assert!(best.content.contains("full refund"), "{best:?}");
    assert_eq!(best.title, "Customer handbook");
    let answer = z.knowledge_bases().provisional_answer(&kb_id, query("refund")).await?;
    assert_eq!(answer.status, "ANSWERED");
    assert!(answer.answer.contains("full refund"), "{answer:?}");
    assert_eq!(answer.citations[0].chunk_id, best.chunk_id);
    let none = z.knowledge_bases().provisional_answer(&kb_id, query("zeppelin")).await?;
    assert_eq!((none.status.as_str(), none.answer.as_str()), ("NO_ANSWER", ""));

    // E63 → E64 → E62: profiles; the default flag moves. A profile's config is free-form.
    let wide = ProfileInput {
        name: "wide".into(),
        config: Some(object(json!({ "maxChunks": 10 }))),
        is_default: Some(true),
        ..Default::default()
    };
    let wide = z.knowledge_bases().create_profile(&kb_id, wide).await?;
    let narrow =
        ProfileInput { name: "narrow".into(), config: Some(object(json!({ "maxChunks": 1 }))), ..Default::default() };
    let narrow = z.knowledge_bases().create_profile(&kb_id, narrow).await?;
    let make_default = ProfileUpdateInput {
        is_default: Some(true),
        description: Some(Some("one chunk".into())),
        ..Default::default()
    };
    let narrow = z.knowledge_bases().update_profile(&kb_id, &narrow.id, make_default).await?;
    assert_eq!((narrow.is_default, narrow.description.as_deref()), (true, Some("one chunk")));
    let profiles = z.knowledge_bases().list_profiles(&kb_id, None).await?;
    let defaults: Vec<&str> = profiles.items.iter().filter(|p| p.is_default).map(|p| p.id.as_str()).collect();
    assert_eq!(defaults, [narrow.id.as_str()], "only one default: {profiles:?}");
    assert!(profiles.items.iter().any(|p| p.id == wide.id));
    let pages_of_one = ListQuery { limit: Some(1), ..Default::default() };
    assert_eq!(collect(z.knowledge_bases().iter_profiles(&kb_id, pages_of_one)).await?.len(), 2);

    // E51 → E52 → E50: a source group.
    let wikis = SourceGroupInput { name: "Wikis".into(), sync_mode: Some("SCHEDULED".into()), ..Default::default() };
    let group = z.knowledge_bases().create_source_group(&kb_id, wikis).await?;
    let group_id = group.id.clone();
    assert_eq!((group.source_type.as_str(), group.status.as_str()), ("MANUAL_UPLOAD", "ACTIVE"));
    let describe = SourceGroupUpdateInput { description: Some(Some("team wikis".into())), ..Default::default() };
    let group = z.knowledge_bases().update_source_group(&kb_id, &group_id, describe).await?;
    assert_eq!((group.description.as_deref(), group.sync_mode.as_str()), (Some("team wikis"), "SCHEDULED"));
    let groups = z.knowledge_bases().list_source_groups(&kb_id, None::<E50Query>).await?;
    assert_eq!((groups.total, groups.items[0].id.as_str()), (Some(1), group_id.as_str()));
    assert_eq!(collect(z.knowledge_bases().iter_source_groups(&kb_id, None)).await?.len(), 1);

    // E54 → E55 → E53: a source in the group; E56 re-syncs it.
    let ops_wiki = SourceInput {
        name: "Ops wiki".into(),
        r#type: "web_crawl".into(),
        source_group_id: Some(group_id.clone()),
        config: Some(object(json!({ "url": "https://wiki.example.com" }))),
        ..Default::default()
    };
    let source = z.knowledge_bases().create_source(&kb_id, ops_wiki).await?;
    let source_id = source.id.clone();
    let rename = SourceUpdateInput { name: Some("Ops wiki (EU)".into()), ..Default::default() };
    let source = z.knowledge_bases().update_source(&kb_id, &source_id, rename).await?;
    assert_eq!(
        (source.name.as_str(), source.config.get("url").and_then(|u| u.as_str())),
        ("Ops wiki (EU)", Some("https://wiki.example.com"))
    );
    let of_group = E53Query { source_group_id: Some(group_id.clone()), ..Default::default() };
    let in_group = z.knowledge_bases().list_sources(&kb_id, of_group).await?;
    assert_eq!(in_group.total, Some(1));
    assert_eq!(in_group.items[0].id, source_id);
    assert_eq!(collect(z.knowledge_bases().iter_sources(&kb_id, None)).await?.len(), 1);
    let sync = z.knowledge_bases().reprocess_source(&kb_id, &source_id).await?;
    assert_eq!((sync.r#type, sync.source_id.as_deref()), (KnowledgeJobType::SourceSync, Some(source_id.as_str())));
    assert_eq!(job_done(z, &kb_id, &sync.id).await.status, KnowledgeJobStatus::Completed);
    let sources = z.knowledge_bases().list_sources(&kb_id, None).await?;
    assert!(sources.items[0].last_synced_at.is_some());

    // E59 → E60 → E58: an ingestion policy with a schedule.
    let nightly = IngestionPolicyInput {
        name: "nightly".into(),
        source_id: Some(source_id.clone()),
        schedule: Some("0 6 * * *".into()),
        ..Default::default()
    };
    let policy = z.knowledge_bases().create_ingestion_policy(&kb_id, nightly).await?;
    let bad = IngestionPolicyInput { name: "bad".into(), schedule: Some("0 6 * *".into()), ..Default::default() };
    expect_err(z.knowledge_bases().create_ingestion_policy(&kb_id, bad), 422, "VALIDATION_ERROR").await;
    let inactive = IngestionPolicyUpdateInput { status: Some("INACTIVE".into()), ..Default::default() };
    let policy = z.knowledge_bases().update_ingestion_policy(&kb_id, &policy.id, inactive).await?;
    assert_eq!((policy.status.as_deref(), policy.schedule.as_deref()), (Some("INACTIVE"), Some("0 6 * * *")));
    let of_source = E58Query { source_id: Some(source_id.clone()), ..Default::default() };
    let policies = z.knowledge_bases().list_ingestion_policies(&kb_id, of_source).await?;
    assert_eq!(policies.items[0].id, policy.id);
    assert_eq!(collect(z.knowledge_bases().iter_ingestion_policies(&kb_id, None)).await?.len(), 1);

    // E61: the governance policy is replaced and versioned. Rules and settings are free-form.
    let deny_pii = GovernancePolicyInput { rules: vec![object(json!({ "deny": "pii" }))], ..Default::default() };
    let g1 = z.knowledge_bases().upsert_governance_policy(&kb_id, deny_pii).await?;
    let review = GovernancePolicyInput {
        rules: vec![],
        settings: Some(object(json!({ "review": true }))),
        ..Default::default()
    };
    let g2 = z.knowledge_bases().upsert_governance_policy(&kb_id, review).await?;
    assert_eq!((g1.version, g2.version), (Some(1), Some(2)));
    assert_eq!((g2.rules, g2.settings), (vec![], Some(object(json!({ "review": true })))));

    library(&ctx, &kb_id).await
}

/// E43–E47: a library document, its findings, linked and projected into the KB.
async fn library(ctx: &Ctx, kb_id: &str) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let title = ctx.slug("Warranty terms");
    let terms = TextDocumentInput {
        title: Some(title.clone()),
        file_type: Some(FileType::Md),
        content: "# Warranty\n\nEvery kettle carries a two year warranty.\n\n# Repairs\n\nRepairs are free during the warranty.\n".into(),
        ..Default::default()
    };
    let lib = z.knowledge_bases().create_library_text_document(terms).await?;
    assert_eq!(lib.status, DocumentStatus::Ready);
    let lib_id = lib.id.clone();
    let by_title = E44Query { q: Some(title.clone()), ..Default::default() };
    let listed = z.knowledge_bases().list_library_documents(by_title.clone()).await?;
    assert_eq!((listed.total, listed.items[0].id.as_str()), (Some(1), lib_id.as_str()));
    assert_eq!(collect(z.knowledge_bases().iter_library_documents(by_title)).await?.len(), 1);
    let findings = z.knowledge_bases().list_library_document_findings(&lib_id, None).await?;
    let total = findings.total.unwrap_or_default();
    assert!(total >= 2, "{findings:?}");
    assert!(
        findings.items.iter().any(|f| f.content.contains("two year warranty") || f.title.contains("two year warranty")),
        "{findings:?}"
    );
    let pages_of_one = E45Query { limit: Some(1), ..Default::default() };
    let all = collect(z.knowledge_bases().iter_library_document_findings(&lib_id, pages_of_one)).await?;
    assert_eq!(all.len() as i64, total);

    let link = LinkLibraryDocumentInput { library_document_id: lib_id.clone(), ..Default::default() };
    let selection = z.knowledge_bases().link_library_document(kb_id, link).await?;
    assert_eq!(
        (selection.is_included, selection.library_document_version_id.as_str()),
        (true, lib.current_version_id.as_str())
    );
    let nope = LinkLibraryDocumentInput { library_document_id: "nope".into(), ..Default::default() };
    expect_err(z.knowledge_bases().link_library_document(kb_id, nope), 422, "VALIDATION_ERROR").await;
    let selection_id = selection.id.expect("a stored selection has an id");
    let projection = z
        .knowledge_bases()
        .project_library_document(kb_id, &selection_id, ProjectLibraryDocumentInput::default())
        .await?;
    assert_eq!(
        (projection.document.origin, projection.job.r#type),
        (Some(DocumentOrigin::LibraryProjection), KnowledgeJobType::LibraryProjection)
    );
    job_done(z, kb_id, &projection.job.id).await;
    // The projected findings are now retrievable in the knowledge base.
    let hits = z.knowledge_bases().retrieve(kb_id, query("kettle warranty")).await?;
    assert!(hits.items.iter().any(|h| h.document_id == projection.document.id), "{hits:?}");
    Ok(())
}
