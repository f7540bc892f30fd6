//! Knowledge bases, documents, jobs, retrieval, setup objects and the knowledge
//! library: E41–E67 (E57 is in the MCP scenario, which owns a credential).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};
use zaby::Zaby;

use crate::support::{Ctx, eventually, expect_err, items, s};

const HANDBOOK: &str = "# Returns\n\nCustomers can return any item within 30 days of delivery for a full refund.\n\n\
# Shipping\n\nOrders ship within 2 business days. Express delivery takes one day.\n";

async fn job_done(z: &Zaby, kb: &str, job: &str) -> Value {
    eventually("the knowledge job to end", || async {
        let j = z.knowledge_bases().get_job(kb, job).json().await?;
        Ok(matches!(j["status"].as_str(), Some("COMPLETED" | "FAILED" | "CANCELLED")).then_some(j))
    })
    .await
}

async fn collect(mut pages: zaby::Paginator) -> zaby::Result<Vec<Value>> {
    let mut out = Vec::new();
    while let Some(v) = pages.next().await {
        out.push(v?);
    }
    Ok(out)
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let slug = ctx.slug("handbook");

    // E41: a knowledge base with an explicit slug, which is then taken.
    let kb = z.knowledge_bases().create(json!({ "name": "Handbook", "slug": slug })).json().await?;
    let kb_id = s(&kb, "id").to_string();
    assert_eq!(kb["slug"], json!(slug));
    let dup =
        expect_err(z.knowledge_bases().create(json!({ "name": "x", "slug": slug })), 409, "SLUG_ALREADY_EXISTS").await;
    assert!(dup.is("ZabyConflictError"));

    // E42 → E66: a text document is ingested by a job.
    let doc = z
        .knowledge_bases()
        .upload_text_document(&kb_id, json!({ "title": "Customer handbook", "content": HANDBOOK, "fileType": "MD" }))
        .json()
        .await?;
    assert_eq!(doc["status"], "PROCESSING");
    let job = job_done(z, &kb_id, s(&doc, "jobId")).await;
    assert_eq!(
        (job["status"].as_str(), job["type"].as_str()),
        (Some("COMPLETED"), Some("DOCUMENT_INGESTION")),
        "{job}"
    );
    assert_eq!(job["progress"], 1.0);

    // E67: a job cancelled before it ran; cancelling again is refused.
    let doomed =
        z.knowledge_bases().upload_text_document(&kb_id, json!({ "content": "Never indexed." })).json().await?;
    let cancelled = z.knowledge_bases().cancel_job(&kb_id, s(&doomed, "jobId")).json().await?;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(cancelled["cancelledAt"].is_string());
    let twice =
        expect_err(z.knowledge_bases().cancel_job(&kb_id, s(&doomed, "jobId")), 409, "JOB_ALREADY_FINISHED").await;
    assert!(twice.is("ZabyConflictError"));
    // E65: the jobs, by status.
    let done = z.knowledge_bases().list_jobs(&kb_id, json!({ "status": "CANCELLED" })).json().await?;
    assert_eq!(done["total"], 1);
    assert_eq!(items(&done)[0]["id"], doomed["jobId"]);
    assert_eq!(collect(z.knowledge_bases().iter_jobs(&kb_id, None).json()).await?.len(), 2);

    // E48: keyword retrieval finds the refund passage; E49 drafts an answer from it.
    let hits =
        z.knowledge_bases().retrieve(&kb_id, json!({ "query": "refund", "mode": "keyword", "topK": 3 })).json().await?;
    assert!(hits["total"].as_u64().unwrap() >= 1, "{hits}");
    let best = &items(&hits)[0];
    assert!(s(best, "content").contains("full refund"), "{best}");
    assert_eq!(best["title"], "Customer handbook");
    let answer = z.knowledge_bases().provisional_answer(&kb_id, json!({ "query": "refund" })).json().await?;
    assert_eq!(answer["status"], "ANSWERED");
    assert!(s(&answer, "answer").contains("full refund"), "{answer}");
    assert_eq!(answer["citations"][0]["chunkId"], best["chunkId"]);
    let none = z.knowledge_bases().provisional_answer(&kb_id, json!({ "query": "zeppelin" })).json().await?;
    assert_eq!((none["status"].as_str(), none["answer"].as_str()), (Some("NO_ANSWER"), Some("")));

    // E63 → E64 → E62: profiles; the default flag moves.
    let wide = z
        .knowledge_bases()
        .create_profile(&kb_id, json!({ "name": "wide", "config": { "maxChunks": 10 }, "isDefault": true }))
        .json()
        .await?;
    let narrow = z
        .knowledge_bases()
        .create_profile(&kb_id, json!({ "name": "narrow", "config": { "maxChunks": 1 } }))
        .json()
        .await?;
    let narrow = z
        .knowledge_bases()
        .update_profile(&kb_id, s(&narrow, "id"), json!({ "isDefault": true, "description": "one chunk" }))
        .json()
        .await?;
    assert_eq!((narrow["isDefault"].as_bool(), narrow["description"].as_str()), (Some(true), Some("one chunk")));
    let profiles = z.knowledge_bases().list_profiles(&kb_id, None).json().await?;
    let defaults: Vec<&Value> = items(&profiles).iter().filter(|p| p["isDefault"] == true).map(|p| &p["id"]).collect();
    assert_eq!(defaults, [&narrow["id"]], "only one default: {profiles}");
    assert!(items(&profiles).iter().any(|p| p["id"] == wide["id"]));
    assert_eq!(collect(z.knowledge_bases().iter_profiles(&kb_id, json!({ "limit": 1 })).json()).await?.len(), 2);

    // E51 → E52 → E50: a source group.
    let group = z
        .knowledge_bases()
        .create_source_group(&kb_id, json!({ "name": "Wikis", "syncMode": "SCHEDULED" }))
        .json()
        .await?;
    let group_id = s(&group, "id").to_string();
    assert_eq!((group["sourceType"].as_str(), group["status"].as_str()), (Some("MANUAL_UPLOAD"), Some("ACTIVE")));
    let group = z
        .knowledge_bases()
        .update_source_group(&kb_id, &group_id, json!({ "description": "team wikis" }))
        .json()
        .await?;
    assert_eq!((group["description"].as_str(), group["syncMode"].as_str()), (Some("team wikis"), Some("SCHEDULED")));
    let groups = z.knowledge_bases().list_source_groups(&kb_id, None).json().await?;
    assert_eq!((groups["total"].as_i64(), items(&groups)[0]["id"].as_str()), (Some(1), Some(group_id.as_str())));
    assert_eq!(collect(z.knowledge_bases().iter_source_groups(&kb_id, None).json()).await?.len(), 1);

    // E54 → E55 → E53: a source in the group; E56 re-syncs it.
    let source = z
        .knowledge_bases()
        .create_source(&kb_id, json!({ "name": "Ops wiki", "type": "web_crawl", "sourceGroupId": group_id, "config": { "url": "https://wiki.example.com" } })).json()
        .await?;
    let source_id = s(&source, "id").to_string();
    let source =
        z.knowledge_bases().update_source(&kb_id, &source_id, json!({ "name": "Ops wiki (EU)" })).json().await?;
    assert_eq!(
        (source["name"].as_str(), source["config"]["url"].as_str()),
        (Some("Ops wiki (EU)"), Some("https://wiki.example.com"))
    );
    let in_group = z.knowledge_bases().list_sources(&kb_id, json!({ "sourceGroupId": group_id })).json().await?;
    assert_eq!(in_group["total"], 1);
    assert_eq!(items(&in_group)[0]["id"], json!(source_id));
    assert_eq!(collect(z.knowledge_bases().iter_sources(&kb_id, None).json()).await?.len(), 1);
    let sync = z.knowledge_bases().reprocess_source(&kb_id, &source_id).json().await?;
    assert_eq!((sync["type"].as_str(), sync["sourceId"].as_str()), (Some("SOURCE_SYNC"), Some(source_id.as_str())));
    assert_eq!(job_done(z, &kb_id, s(&sync, "id")).await["status"], "COMPLETED");
    assert!(z.knowledge_bases().list_sources(&kb_id, None).json().await?["items"][0]["lastSyncedAt"].is_string());

    // E59 → E60 → E58: an ingestion policy with a schedule.
    let policy = z
        .knowledge_bases()
        .create_ingestion_policy(&kb_id, json!({ "name": "nightly", "sourceId": source_id, "schedule": "0 6 * * *" }))
        .json()
        .await?;
    expect_err(
        z.knowledge_bases().create_ingestion_policy(&kb_id, json!({ "name": "bad", "schedule": "0 6 * *" })),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    let policy = z
        .knowledge_bases()
        .update_ingestion_policy(&kb_id, s(&policy, "id"), json!({ "status": "INACTIVE" }))
        .json()
        .await?;
    assert_eq!((policy["status"].as_str(), policy["schedule"].as_str()), (Some("INACTIVE"), Some("0 6 * * *")));
    let policies = z.knowledge_bases().list_ingestion_policies(&kb_id, json!({ "sourceId": source_id })).json().await?;
    assert_eq!(items(&policies)[0]["id"], policy["id"]);
    assert_eq!(collect(z.knowledge_bases().iter_ingestion_policies(&kb_id, None).json()).await?.len(), 1);

    // E61: the governance policy is replaced and versioned.
    let g1 =
        z.knowledge_bases().upsert_governance_policy(&kb_id, json!({ "rules": [{ "deny": "pii" }] })).json().await?;
    let g2 = z
        .knowledge_bases()
        .upsert_governance_policy(&kb_id, json!({ "rules": [], "settings": { "review": true } }))
        .json()
        .await?;
    assert_eq!((g1["version"].as_i64(), g2["version"].as_i64()), (Some(1), Some(2)));
    assert_eq!((g2["rules"].clone(), g2["settings"].clone()), (json!([]), json!({ "review": true })));

    library(&ctx, &kb_id).await
}

/// E43–E47: a library document, its findings, linked and projected into the KB.
async fn library(ctx: &Ctx, kb_id: &str) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let title = ctx.slug("Warranty terms");
    let lib = z
        .knowledge_bases()
        .create_library_text_document(json!({
            "title": title, "fileType": "MD",
            "content": "# Warranty\n\nEvery kettle carries a two year warranty.\n\n# Repairs\n\nRepairs are free during the warranty.\n",
        })).json()
        .await?;
    assert_eq!(lib["status"], "READY");
    let lib_id = s(&lib, "id").to_string();
    let listed = z.knowledge_bases().list_library_documents(json!({ "q": title })).json().await?;
    assert_eq!((listed["total"].as_i64(), items(&listed)[0]["id"].as_str()), (Some(1), Some(lib_id.as_str())));
    assert_eq!(collect(z.knowledge_bases().iter_library_documents(json!({ "q": title })).json()).await?.len(), 1);
    let findings = z.knowledge_bases().list_library_document_findings(&lib_id, None).json().await?;
    assert!(findings["total"].as_u64().unwrap() >= 2, "{findings}");
    assert!(items(&findings).iter().any(|f| f.to_string().contains("two year warranty")), "{findings}");
    let all =
        collect(z.knowledge_bases().iter_library_document_findings(&lib_id, json!({ "limit": 1 })).json()).await?;
    assert_eq!(all.len() as u64, findings["total"].as_u64().unwrap());

    let selection =
        z.knowledge_bases().link_library_document(kb_id, json!({ "libraryDocumentId": lib_id })).json().await?;
    assert_eq!(
        (selection["isIncluded"].as_bool(), selection["libraryDocumentVersionId"].clone()),
        (Some(true), lib["currentVersionId"].clone())
    );
    expect_err(
        z.knowledge_bases().link_library_document(kb_id, json!({ "libraryDocumentId": "nope" })),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    let projection = z.knowledge_bases().project_library_document(kb_id, s(&selection, "id"), json!({})).json().await?;
    assert_eq!(
        (projection["document"]["origin"].as_str(), projection["job"]["type"].as_str()),
        (Some("LIBRARY_PROJECTION"), Some("LIBRARY_PROJECTION"))
    );
    job_done(z, kb_id, s(&projection["job"], "id")).await;
    // The projected findings are now retrievable in the knowledge base.
    let hits = z.knowledge_bases().retrieve(kb_id, json!({ "query": "kettle warranty" })).json().await?;
    assert!(items(&hits).iter().any(|h| h["documentId"] == projection["document"]["id"]), "{hits}");
    Ok(())
}
