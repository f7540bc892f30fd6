//! Knowledge bases (`docs/api/knowledge-bases.md`) through the SDK: ingestion jobs, retrieval against
//! the `zaby-knowledge` corpus, identical results on SQLite and PostgreSQL, the
//! library, profiles, sources and scheduled ingestion policies.

use std::path::PathBuf;

use serde_json::{Value, json};
use zaby::Zaby;

use crate::common::*;
use crate::on_both;

on_both!(corpus_retrieval, library_flow, profiles_sources_and_policies);

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../zaby-knowledge/tests/corpus")
}

fn queries() -> Value {
    serde_json::from_str(&std::fs::read_to_string(corpus_dir().join("queries.json")).unwrap()).unwrap()
}

pub async fn wait_job(z: &Zaby, kb: &str, job: &str, status: &str) -> Value {
    eventually(&format!("job {status}"), || async {
        let j = z.knowledge_bases().get_job(kb, job).json().await.unwrap();
        (j["status"] == status).then_some(j)
    })
    .await
}

pub async fn new_kb(z: &Zaby, name: &str) -> String {
    z.knowledge_bases().create(json!({"name": name})).json().await.unwrap()["id"].as_str().unwrap().to_string()
}

/// Uploads a document and waits for its job; returns the document.
pub async fn ingest(z: &Zaby, kb: &str, body: Value) -> Value {
    let d = z.knowledge_bases().upload_text_document(kb, body).json().await.unwrap();
    assert_eq!(d["status"], "PROCESSING");
    let job = wait_job(z, kb, d["jobId"].as_str().unwrap(), "COMPLETED").await;
    assert_eq!(job["progress"], 1.0);
    d
}

/// A knowledge base holding the three corpus documents, uploaded in order.
pub async fn corpus_kb(z: &Zaby) -> (String, Vec<Value>) {
    let kb = new_kb(z, "Corpus").await;
    let mut docs = Vec::new();
    for name in queries()["documents"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        let content = std::fs::read_to_string(corpus_dir().join(name)).unwrap();
        docs.push(ingest(z, &kb, json!({"title": name, "content": content, "fileType": "MD"})).await);
    }
    (kb, docs)
}

async fn corpus_retrieval(s: TestServer) {
    let z = s.zaby();
    let kb0 = z.knowledge_bases().create(json!({"name": "Corpus"})).json().await.unwrap();
    assert_eq!(kb0["slug"], "corpus");
    let (kb, docs) = corpus_kb(&z).await;
    let titles: Vec<&str> = docs.iter().map(|d| d["title"].as_str().unwrap()).collect();
    for q in queries()["queries"].as_array().unwrap() {
        let r = z.knowledge_bases().retrieve(&kb, json!({"query": q["query"]})).json().await.unwrap();
        let best = &r["items"][0];
        let doc_pos = titles.iter().position(|t| *t == q["document"]).unwrap();
        assert_eq!(best["documentId"], docs[doc_pos]["id"], "{q}");
        assert_eq!(best["title"], q["document"]);
        assert_eq!(best["index"], q["index"], "{q}");
        assert_eq!(best["metadata"]["heading"], q["heading"], "{q}");
        assert!(best["content"].as_str().unwrap().contains(q["contains"].as_str().unwrap()), "{q}");
        assert!((best["score"].as_f64().unwrap() - q["score"].as_f64().unwrap()).abs() < 1e-9, "{q} {best}");
        assert_eq!(r["total"], q["total"], "{q}");
        assert_eq!(r["items"].as_array().unwrap().len() as u64, q["total"].as_u64().unwrap());
    }
    for q in queries()["noResults"].as_array().unwrap() {
        let r = z.knowledge_bases().retrieve(&kb, json!({"query": q})).json().await.unwrap();
        assert_eq!(r["items"], json!([]), "{q}");
    }
    // topK (and its alias limit), minScore, validation.
    let q = "Are refunds granted after a service outage?";
    let r = z.knowledge_bases().retrieve(&kb, json!({"query": q, "limit": 2})).json().await.unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 2);
    let r = z.knowledge_bases().retrieve(&kb, json!({"query": q, "topK": 1, "limit": 3})).json().await.unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let all = z.knowledge_bases().retrieve(&kb, json!({"query": q, "topK": 50})).json().await.unwrap();
    let second = all["items"][1]["score"].as_f64().unwrap();
    let r = z.knowledge_bases().retrieve(&kb, json!({"query": q, "minScore": second})).json().await.unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 2);
    assert!(r["items"].as_array().unwrap().iter().all(|i| i["score"].as_f64().unwrap() >= second));
    let e =
        expect_err(z.knowledge_bases().retrieve(&kb, json!({"query": q, "topK": 51})), 422, "VALIDATION_ERROR").await;
    assert!(e.to_string().contains("topK"));
    expect_err(z.knowledge_bases().retrieve(&kb, json!({"query": q, "minScore": 1.5})), 422, "VALIDATION_ERROR").await;
    expect_err(z.knowledge_bases().retrieve(&kb, json!({"query": q, "mode": "fuzzy"})), 422, "VALIDATION_ERROR").await;
    expect_err(z.knowledge_bases().retrieve(&kb, json!({})), 422, "VALIDATION_ERROR").await;
    // Provisional answer: the best chunk's first 500 characters, or NO_ANSWER.
    let a = z.knowledge_bases().provisional_answer(&kb, json!({"query": "rotate API keys"})).json().await.unwrap();
    assert_eq!(a["status"], "ANSWERED");
    let best = z.knowledge_bases().retrieve(&kb, json!({"query": "rotate API keys"})).json().await.unwrap();
    let content: String = best["items"][0]["content"].as_str().unwrap().chars().take(500).collect();
    assert_eq!(a["answer"], content);
    assert_eq!(a["confidence"], best["items"][0]["score"]);
    assert_eq!(a["citations"][0]["chunkId"], best["items"][0]["chunkId"]);
    let a = z
        .knowledge_bases()
        .provisional_answer(&kb, json!({"query": "rotate API keys", "minScore": 0.99}))
        .json()
        .await
        .unwrap();
    assert_eq!(
        (a["status"].as_str(), a["answer"].as_str(), a["citations"].clone()),
        (Some("NO_ANSWER"), Some(""), json!([]))
    );
    // sourceIds: only documents of those sources.
    let src =
        z.knowledge_bases().create_source(&kb, json!({"name": "Wiki", "type": "web_crawl"})).json().await.unwrap();
    let src_id = src["id"].as_str().unwrap();
    let d = ingest(
        &z,
        &kb,
        json!({"text": "Refunds for wiki readers are granted on request.", "name": "Wiki refunds", "sourceId": src_id}),
    )
    .await;
    assert_eq!(d["title"], "Wiki refunds");
    let r = z
        .knowledge_bases()
        .retrieve(&kb, json!({"query": "refunds granted", "sourceIds": [src_id]}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    assert_eq!(r["items"][0]["documentId"], d["id"]);
    assert_eq!(r["items"][0]["sourceId"], src["id"]);
    expect_err(
        z.knowledge_bases().upload_text_document(&kb, json!({"content": "x", "sourceId": "nope"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    // Explicit duplicate slug, derived slugs, INACTIVE, tenant isolation.
    let k2 = z.knowledge_bases().create(json!({"name": "Corpus"})).json().await.unwrap();
    assert_eq!(k2["slug"], "corpus-3");
    expect_err(z.knowledge_bases().create(json!({"name": "X", "slug": "corpus"})), 409, "SLUG_ALREADY_EXISTS").await;
    let off = z.knowledge_bases().create(json!({"name": "Off", "status": "INACTIVE"})).json().await.unwrap();
    expect_err(z.knowledge_bases().retrieve(off["id"].as_str().unwrap(), json!({"query": "x"})), 409, "CONFLICT").await;
    let (_, key) = s.second_tenant().await;
    let other = s.zaby_with_key(&key);
    expect_err(other.knowledge_bases().retrieve(&kb, json!({"query": "refunds"})), 404, "NOT_FOUND").await;
    expect_err(other.knowledge_bases().list_jobs(&kb, None), 404, "NOT_FOUND").await;
}

/// The same corpus and queries give the same items, scores and order on SQLite and
/// PostgreSQL (skipped when PostgreSQL is unavailable and not required).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_on_both_backends() {
    let Some(lite) = TestServer::start(Backend::Sqlite).await else { return };
    let Some(pg) = TestServer::start(Backend::Postgres).await else { return };
    let mut outputs = Vec::new();
    for s in [&lite, &pg] {
        let z = s.zaby();
        let (kb, docs) = corpus_kb(&z).await;
        let mut out = Vec::new();
        for q in queries()["queries"].as_array().unwrap() {
            let r = z.knowledge_bases().retrieve(&kb, json!({"query": q["query"], "topK": 50})).json().await.unwrap();
            let items: Vec<Value> = r["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    let doc = docs.iter().position(|d| d["id"] == i["documentId"]).unwrap();
                    json!([doc, i["index"], i["score"]])
                })
                .collect();
            out.push(json!(items));
        }
        outputs.push(out);
    }
    assert_eq!(outputs[0], outputs[1]);
    lite.stop().await;
    pg.stop().await;
}

async fn with_delay(backend: Backend, delay: u64) -> Option<TestServer> {
    TestServer::start_with(backend, |s| s.job_delay_ms = delay).await
}

async fn job_states(backend: Backend) {
    let Some(mut s) = with_delay(backend, 400).await else { return };
    let z = s.zaby();
    let kb = new_kb(&z, "Jobs").await;
    let d =
        z.knowledge_bases().upload_text_document(&kb, json!({"content": "Alpha beta gamma."})).json().await.unwrap();
    assert_eq!(d["title"], "Alpha beta gamma.");
    let job_id = d["jobId"].as_str().unwrap().to_string();
    let j = z.knowledge_bases().get_job(&kb, &job_id).json().await.unwrap();
    assert_eq!((j["status"].as_str(), j["type"].as_str()), (Some("QUEUED"), Some("DOCUMENT_INGESTION")));
    assert_eq!(j["documentId"], d["id"]);
    let running = wait_job(&z, &kb, &job_id, "RUNNING").await;
    assert!(running["startedAt"].is_string());
    let done = wait_job(&z, &kb, &job_id, "COMPLETED").await;
    assert_eq!(done["itemsProcessed"], 1);
    assert!(done["completedAt"].is_string());
    let r = z.knowledge_bases().retrieve(&kb, json!({"query": "gamma"})).json().await.unwrap();
    assert_eq!(r["items"][0]["documentId"], d["id"]);

    // Cancel while QUEUED and while RUNNING: the document gets no chunks.
    let d2 = z.knowledge_bases().upload_text_document(&kb, json!({"content": "Delta epsilon."})).json().await.unwrap();
    let c = z.knowledge_bases().cancel_job(&kb, d2["jobId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(c["status"], "CANCELLED");
    assert!(c["cancelledAt"].is_string());
    expect_err(z.knowledge_bases().cancel_job(&kb, d2["jobId"].as_str().unwrap()), 409, "JOB_ALREADY_FINISHED").await;
    expect_err(z.knowledge_bases().cancel_job(&kb, &job_id), 409, "JOB_ALREADY_FINISHED").await;
    let d3 = z.knowledge_bases().upload_text_document(&kb, json!({"content": "Delta zeta."})).json().await.unwrap();
    wait_job(&z, &kb, d3["jobId"].as_str().unwrap(), "RUNNING").await;
    let c = z.knowledge_bases().cancel_job(&kb, d3["jobId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(c["status"], "CANCELLED");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        z.knowledge_bases().get_job(&kb, d3["jobId"].as_str().unwrap()).json().await.unwrap()["status"],
        "CANCELLED"
    );
    let r = z.knowledge_bases().retrieve(&kb, json!({"query": "delta"})).json().await.unwrap();
    assert_eq!(r["items"], json!([]));
    let cancelled = z.knowledge_bases().list_jobs(&kb, json!({"status": "CANCELLED"})).json().await.unwrap();
    assert_eq!(cancelled["total"], 2);
    expect_err(z.knowledge_bases().list_jobs(&kb, json!({"status": "DONE"})), 422, "VALIDATION_ERROR").await;

    // A queued job survives a restart.
    let d4 = z.knowledge_bases().upload_text_document(&kb, json!({"content": "Eta theta."})).json().await.unwrap();
    s.restart().await;
    let z = s.zaby();
    wait_job(&z, &kb, d4["jobId"].as_str().unwrap(), "COMPLETED").await;
    let r = z.knowledge_bases().retrieve(&kb, json!({"query": "theta"})).json().await.unwrap();
    assert_eq!(r["items"][0]["documentId"], d4["id"]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_states_sqlite() {
    job_states(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_states_postgres() {
    job_states(Backend::Postgres).await;
}

const GUIDE_V1: &str = "Intro paragraph about the guide.\n\n# Setup\n\nInstall the CLI with brew.\n\n# Usage\n\nRun zaby deploy to ship.\n";
const GUIDE_V2: &str = "# Setup\n\nInstall the CLI with cargo.\n\n# Usage\n\nRun zaby deploy to ship.\n\n# Billing\n\nInvoices arrive monthly.\n";

async fn library_flow(s: TestServer) {
    let z = s.zaby();
    let kbs = z.knowledge_bases();
    let lib = kbs
        .create_library_text_document(json!({"title": "Guide", "content": GUIDE_V1, "fileType": "MD"}))
        .json()
        .await
        .unwrap();
    let lib_id = lib["id"].as_str().unwrap();
    assert_eq!(
        (lib["status"].as_str(), lib["versionCount"].as_u64(), lib["findingCount"].as_u64()),
        (Some("READY"), Some(1), Some(3))
    );
    let v1 = lib["currentVersionId"].as_str().unwrap().to_string();
    let f1 = kbs.list_library_document_findings(lib_id, None).json().await.unwrap();
    let titles: Vec<&str> = f1["items"].as_array().unwrap().iter().map(|f| f["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Intro paragraph about the guide.", "Setup", "Usage"]);
    assert!(
        f1["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["category"] == "section" && f["libraryDocumentVersionId"] == v1)
    );
    let lib2 =
        kbs.create_library_text_document(json!({"text": GUIDE_V2, "libraryDocumentId": lib_id})).json().await.unwrap();
    assert_eq!(
        (lib2["id"].as_str(), lib2["versionCount"].as_u64(), lib2["title"].as_str()),
        (Some(lib_id), Some(2), Some("Guide"))
    );
    let v2 = lib2["currentVersionId"].as_str().unwrap().to_string();
    assert_ne!(v1, v2);
    let f2 = kbs.list_library_document_findings(lib_id, json!({"category": "section"})).json().await.unwrap();
    assert_eq!(f2["total"], 3);
    assert_eq!(f2["items"][2]["title"], "Billing");
    assert_eq!(
        kbs.list_library_document_findings(lib_id, json!({"category": "other"})).json().await.unwrap()["total"],
        0
    );
    let listed = kbs.list_library_documents(json!({"q": "gui"})).json().await.unwrap();
    assert_eq!(listed["total"], 1);
    expect_err(
        kbs.create_library_text_document(json!({"content": "x", "libraryDocumentId": "nope"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;

    let kb = new_kb(&z, "Docs").await;
    expect_err(kbs.link_library_document(&kb, json!({"libraryDocumentId": "nope"})), 422, "VALIDATION_ERROR").await;
    // Link version 1 explicitly (201), then again (200, updated).
    let sel = kbs
        .link_library_document(&kb, json!({"libraryDocumentId": lib_id, "libraryDocumentVersionId": v1}))
        .json()
        .await
        .unwrap();
    assert_eq!(
        (sel["libraryDocumentVersionId"].as_str(), sel["isIncluded"].as_bool()),
        (Some(v1.as_str()), Some(true))
    );
    let sel_id = sel["id"].as_str().unwrap();
    let p = kbs
        .project_library_document(&kb, sel_id, json!({"projection": {"categories": ["section"]}}))
        .json()
        .await
        .unwrap();
    assert_eq!(
        (p["job"]["type"].as_str(), p["document"]["origin"].as_str()),
        (Some("LIBRARY_PROJECTION"), Some("LIBRARY_PROJECTION"))
    );
    assert_eq!(p["libraryDocumentVersionId"], v1);
    wait_job(&z, &kb, p["job"]["id"].as_str().unwrap(), "COMPLETED").await;
    let r = kbs.retrieve(&kb, json!({"query": "install brew"})).json().await.unwrap();
    assert_eq!(r["items"][0]["documentId"], p["document"]["id"]);
    assert_eq!(r["items"][0]["title"], "Guide");

    // Re-link to the current version and project only one finding: replaces the first projection.
    let sel2 = kbs.link_library_document(&kb, json!({"libraryDocumentId": lib_id})).json().await.unwrap();
    assert_eq!((sel2["id"].as_str(), sel2["libraryDocumentVersionId"].as_str()), (Some(sel_id), Some(v2.as_str())));
    let billing = kbs.list_library_document_findings(lib_id, None).json().await.unwrap()["items"][2]["id"].clone();
    let p2 = kbs
        .project_library_document(
            &kb,
            sel_id,
            json!({"projection": {"findingIds": [billing]}, "title": "Billing only"}),
        )
        .json()
        .await
        .unwrap();
    wait_job(&z, &kb, p2["job"]["id"].as_str().unwrap(), "COMPLETED").await;
    assert_eq!(kbs.retrieve(&kb, json!({"query": "install brew cargo"})).json().await.unwrap()["items"], json!([]));
    let r = kbs.retrieve(&kb, json!({"query": "invoices monthly"})).json().await.unwrap();
    assert_eq!(
        (r["items"][0]["documentId"].as_str(), r["items"][0]["title"].as_str()),
        (p2["document"]["id"].as_str(), Some("Billing only"))
    );
    let sel3 =
        kbs.link_library_document(&kb, json!({"libraryDocumentId": lib_id, "isIncluded": false})).json().await.unwrap();
    assert_eq!(sel3["projectedDocumentId"], p2["document"]["id"]);
    expect_err(kbs.project_library_document(&kb, sel_id, json!({})), 409, "SELECTION_NOT_INCLUDED").await;
    expect_err(kbs.project_library_document(&kb, "nope", json!({})), 404, "NOT_FOUND").await;
}

async fn profiles_sources_and_policies(s: TestServer) {
    let z = s.zaby();
    let kbs = z.knowledge_bases();
    let kb = new_kb(&z, "Profiles").await;
    let e = expect_err(
        kbs.create_profile(&kb, json!({"name": "bad", "config": {"chunkSize": 100}})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(e.to_string().contains("config.chunkSize"), "{e}");
    expect_err(kbs.create_profile(&kb, json!({"name": "bad", "config": {"maxChunks": 0}})), 422, "VALIDATION_ERROR")
        .await;
    let small = kbs
        .create_profile(&kb, json!({"name": "small", "config": {"chunkSize": 200, "maxChunks": 2}, "isDefault": true}))
        .json()
        .await
        .unwrap();
    assert_eq!(small["isDefault"], true);
    // Ten paragraphs of ~90 characters: 200-character chunks hold two each.
    let text: String = (0..10)
        .map(|i| format!("Paragraph {i} talks about widgets and their careful maintenance schedule, part {i}.\n\n"))
        .collect();
    let src = kbs.create_source(&kb, json!({"name": "Manual", "type": "upload"})).json().await.unwrap();
    let src_id = src["id"].as_str().unwrap().to_string();
    let d = ingest(&z, &kb, json!({"content": text, "sourceId": src_id})).await;
    let job = kbs.get_job(&kb, d["jobId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(job["itemsProcessed"], 5);
    let r = kbs.retrieve(&kb, json!({"query": "widgets maintenance", "topK": 10})).json().await.unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 2, "maxChunks caps topK");
    // A new default profile (chunkSize 1000) takes effect at reprocess.
    let big = kbs
        .create_profile(&kb, json!({"name": "big", "config": {"chunkSize": 1000}, "isDefault": true}))
        .json()
        .await
        .unwrap();
    let profiles = kbs.list_profiles(&kb, None).json().await.unwrap();
    let defaults: Vec<bool> =
        profiles["items"].as_array().unwrap().iter().map(|p| p["isDefault"].as_bool().unwrap()).collect();
    assert_eq!(defaults, [false, true]);
    let updated =
        kbs.update_profile(&kb, big["id"].as_str().unwrap(), json!({"description": "large"})).json().await.unwrap();
    assert_eq!((updated["description"].as_str(), updated["isDefault"].as_bool()), (Some("large"), Some(true)));
    let sync = kbs.reprocess_source(&kb, &src_id).json().await.unwrap();
    assert_eq!((sync["type"].as_str(), sync["sourceId"].as_str()), (Some("SOURCE_SYNC"), Some(src_id.as_str())));
    let done = wait_job(&z, &kb, sync["id"].as_str().unwrap(), "COMPLETED").await;
    assert_eq!(done["itemsProcessed"], 1);
    let r = kbs.retrieve(&kb, json!({"query": "widgets maintenance", "topK": 10})).json().await.unwrap();
    assert_eq!(r["items"].as_array().unwrap().len(), 1, "one 1000-character chunk after reprocess");
    let listed = kbs.list_sources(&kb, None).json().await.unwrap();
    assert_eq!(listed["items"][0]["lastJobId"], sync["id"]);
    assert!(listed["items"][0]["lastSyncedAt"].is_string());
    assert_eq!(listed["items"][0]["documentCount"], 1);
    let linked = kbs.link_source_credential(&kb, &src_id, json!({"credentialId": "cred-1"})).json().await.unwrap();
    assert_eq!(linked["credentialId"], "cred-1");
    kbs.update_source(&kb, &src_id, json!({"status": "INACTIVE"})).json().await.unwrap();
    expect_err(kbs.reprocess_source(&kb, &src_id), 409, "CONFLICT").await;
    kbs.update_source(&kb, &src_id, json!({"status": "ACTIVE"})).json().await.unwrap();

    // Source groups.
    let g = kbs.create_source_group(&kb, json!({"name": "Group"})).json().await.unwrap();
    assert_eq!(
        (g["sourceType"].as_str(), g["syncMode"].as_str(), g["sourceCount"].as_i64()),
        (Some("MANUAL_UPLOAD"), Some("MANUAL"), Some(0))
    );
    let g_id = g["id"].as_str().unwrap();
    kbs.update_source(&kb, &src_id, json!({"sourceGroupId": g_id})).json().await.unwrap();
    let g2 = kbs.update_source_group(&kb, g_id, json!({"syncMode": "SCHEDULED"})).json().await.unwrap();
    assert_eq!((g2["syncMode"].as_str(), g2["sourceCount"].as_i64()), (Some("SCHEDULED"), Some(1)));
    expect_err(
        kbs.create_source(&kb, json!({"name": "x", "type": "t", "sourceGroupId": "nope"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(kbs.list_source_groups(&kb, None).json().await.unwrap()["total"], 1);

    // Governance: 201, then 200 with version 2.
    let gov = kbs.upsert_governance_policy(&kb, json!({"rules": [{"deny": "pii"}]})).json().await.unwrap();
    assert_eq!(gov["version"], 1);
    let gov = kbs.upsert_governance_policy(&kb, json!({"rules": [], "settings": {"a": 1}})).json().await.unwrap();
    assert_eq!((gov["version"].as_i64(), gov["settings"]["a"].as_i64()), (Some(2), Some(1)));
    expect_err(kbs.upsert_governance_policy(&kb, json!({})), 422, "VALIDATION_ERROR").await;

    // Ingestion policies: 5-field cron; a due time fires once (clock passed in).
    let e = expect_err(
        kbs.create_ingestion_policy(&kb, json!({"name": "p", "schedule": "0 0 6 * * *"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(e.to_string().contains("schedule"));
    let p = kbs
        .create_ingestion_policy(&kb, json!({"name": "yearly", "sourceGroupId": g_id, "schedule": "30 6 1 1 *"}))
        .json()
        .await
        .unwrap();
    assert_eq!(p["schedule"], "30 6 1 1 *");
    let due =
        zaby_knowledge::Schedule::parse("30 6 1 1 *").unwrap().next_after(zaby_server::testing::now_ms()).unwrap();
    let ctx = s.ctx().clone();
    let (a, b) = tokio::join!(
        zaby_server::testing::fire_schedules(&ctx, due + 1000),
        zaby_server::testing::fire_schedules(&ctx, due + 1000),
    );
    assert_eq!(a.unwrap().len() + b.unwrap().len(), 1, "one firing across concurrent passes");
    // Not again for the same due time; a missed one (beyond the grace) is not replayed.
    assert!(zaby_server::testing::fire_schedules(&ctx, due + 2000).await.unwrap().is_empty());
    let next = zaby_knowledge::Schedule::parse("30 6 1 1 *").unwrap().next_after(due).unwrap();
    assert!(zaby_server::testing::fire_schedules(&ctx, next + 3_600_000).await.unwrap().is_empty());
    let syncs = kbs.list_jobs(&kb, json!({"type": "SOURCE_SYNC"})).json().await.unwrap();
    assert_eq!(syncs["total"], 2);
    let listed = kbs.list_ingestion_policies(&kb, json!({"status": "ACTIVE"})).json().await.unwrap();
    assert_eq!(listed["total"], 1);
    let off = kbs
        .update_ingestion_policy(&kb, p["id"].as_str().unwrap(), json!({"status": "INACTIVE"}))
        .json()
        .await
        .unwrap();
    assert_eq!(off["status"], "INACTIVE");
}
