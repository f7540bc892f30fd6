"""Knowledge bases and the library (E41–E67): documents and ingestion jobs,
keyword retrieval and provisional answers, library documents and projections,
sources and groups, ingestion and governance policies, profiles."""

from __future__ import annotations

from typing import Any

from zaby import Zaby, ZabyConflictError, ZabyNotFoundError, ZabyValidationError

from support import error_fields, eventually, expect_error, unique

HANDBOOK = """# Returns

Customers can return any item within 30 days of delivery for a full refund.

# Shipping

Orders ship within 2 business days. Express delivery takes one day.
"""

GUIDE_V1 = "Intro paragraph about the guide.\n\n# Setup\n\nInstall the CLI with brew.\n\n# Usage\n\nRun zaby deploy to ship.\n"
GUIDE_V2 = "# Setup\n\nInstall the CLI with cargo.\n\n# Usage\n\nRun zaby deploy to ship.\n\n# Billing\n\nInvoices arrive monthly.\n"


async def wait_job(z: Zaby, kb: str, job: str, status: str = "COMPLETED") -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        j = await z.knowledge_bases.get_job(kb, job)
        return dict(j) if j["status"] == status else None

    return await eventually(f"job {job} {status}", reached)


async def ingest(z: Zaby, kb: str, body: dict[str, Any]) -> dict[str, Any]:
    doc = await z.knowledge_bases.upload_text_document(kb, body)
    assert doc["status"] == "PROCESSING" and doc["jobId"]
    job = await wait_job(z, kb, doc["jobId"])
    assert (job["type"], job["documentId"], job["progress"]) == ("DOCUMENT_INGESTION", doc["id"], 1)
    return dict(doc)


async def test_documents_jobs_retrieval_and_answers(z: Zaby) -> None:
    kbs = z.knowledge_bases
    name = unique("Handbook")
    kb = await kbs.create({"name": name, "description": "store policies"})
    assert (kb["name"], kb["status"], kb["slug"]) == (name, "ACTIVE", name.lower())
    await expect_error(kbs.create({"name": "x", "slug": kb["slug"]}), ZabyConflictError, 409, "SLUG_ALREADY_EXISTS")

    doc = await ingest(z, kb["id"], {"title": "Customer handbook", "content": HANDBOOK, "fileType": "MD"})
    hit = await kbs.retrieve(kb["id"], {"query": "refund within 30 days", "mode": "keyword"})
    best = hit["items"][0]
    assert (best["documentId"], best["title"]) == (doc["id"], "Customer handbook")
    assert "30 days" in best["content"] and 0 < best["score"] <= 1
    assert (await kbs.retrieve(kb["id"], {"query": "zeppelin"}))["items"] == []
    await expect_error(kbs.retrieve(kb["id"], {"query": "x", "topK": 51}), ZabyValidationError, 422, "VALIDATION_ERROR")

    answer = await kbs.provisional_answer(kb["id"], {"query": "refund within 30 days"})
    assert answer["status"] == "ANSWERED"
    assert answer["answer"] == best["content"][:500]
    assert answer["citations"][0]["chunkId"] == best["chunkId"]
    nothing = await kbs.provisional_answer(kb["id"], {"query": "refund", "minScore": 0.999})
    assert (nothing["status"], nothing["answer"], nothing["citations"]) == ("NO_ANSWER", "", [])

    # A job cancelled while QUEUED leaves its document unsearchable.
    queued = await kbs.upload_text_document(kb["id"], {"title": "Later", "content": "Zeppelins fly slowly."})
    cancelled = await kbs.cancel_job(kb["id"], queued["jobId"])
    assert cancelled["status"] == "CANCELLED" and cancelled["cancelledAt"]
    await expect_error(kbs.cancel_job(kb["id"], queued["jobId"]), ZabyConflictError, 409, "JOB_ALREADY_FINISHED")
    assert (await kbs.retrieve(kb["id"], {"query": "zeppelins"}))["items"] == []

    jobs = await kbs.list_jobs(kb["id"])
    assert {(j["documentId"], j["status"]) for j in jobs["items"]} == {
        (doc["id"], "COMPLETED"),
        (queued["id"], "CANCELLED"),
    }
    only_cancelled = [j["id"] async for j in kbs.iter_jobs(kb["id"], {"status": "CANCELLED"})]
    assert only_cancelled == [queued["jobId"]]
    await expect_error(kbs.get_job(kb["id"], "nope"), ZabyNotFoundError, 404, "NOT_FOUND")


async def test_library_documents_and_projection(z: Zaby) -> None:
    kbs = z.knowledge_bases
    title = unique("Guide")
    lib = await kbs.create_library_text_document({"title": title, "content": GUIDE_V1, "fileType": "MD"})
    assert (lib["status"], lib["versionCount"], lib["findingCount"]) == ("READY", 1, 3)
    v1 = lib["currentVersionId"]
    findings = await kbs.list_library_document_findings(lib["id"])
    assert [f["title"] for f in findings["items"]] == ["Intro paragraph about the guide.", "Setup", "Usage"]

    lib2 = await kbs.create_library_text_document({"text": GUIDE_V2, "libraryDocumentId": lib["id"]})
    assert (lib2["id"], lib2["versionCount"], lib2["title"]) == (lib["id"], 2, title)
    sections = [f["title"] async for f in kbs.iter_library_document_findings(lib["id"], {"category": "section"})]
    assert sections == ["Setup", "Usage", "Billing"]
    listed = await kbs.list_library_documents({"q": title})
    assert [d["id"] for d in listed["items"]] == [lib["id"]]
    assert lib["id"] in [d["id"] async for d in kbs.iter_library_documents()]

    kb = await kbs.create({"name": unique("Docs")})
    sel = await kbs.link_library_document(kb["id"], {"libraryDocumentId": lib["id"], "libraryDocumentVersionId": v1})
    assert (sel["libraryDocumentVersionId"], sel["isIncluded"]) == (v1, True)
    projected = await kbs.project_library_document(kb["id"], sel["id"], {"projection": {"categories": ["section"]}})
    assert (projected["job"]["type"], projected["document"]["origin"]) == ("LIBRARY_PROJECTION", "LIBRARY_PROJECTION")
    await wait_job(z, kb["id"], projected["job"]["id"])
    hit = await kbs.retrieve(kb["id"], {"query": "install brew"})
    assert hit["items"][0]["documentId"] == projected["document"]["id"]

    excluded = await kbs.link_library_document(kb["id"], {"libraryDocumentId": lib["id"], "isIncluded": False})
    assert excluded["id"] == sel["id"] and excluded["isIncluded"] is False
    await expect_error(
        kbs.project_library_document(kb["id"], sel["id"], {}), ZabyConflictError, 409, "SELECTION_NOT_INCLUDED"
    )


async def credential_id(z: Zaby) -> str:
    """A stored credential (only MCP credential bindings create one)."""
    server = await z.mcp.create_server(
        {"name": unique("Cred holder"), "endpointUrl": "http://127.0.0.1:9/mcp", "authMode": "BEARER"}
    )
    inst = await z.mcp.install_server({"serverDefinitionId": server["id"]})
    binding = await z.mcp.create_credential_binding(inst["id"], {"credentials": {"token": "source-sync-token"}})
    return str(binding["credentialId"])


async def test_sources_groups_policies_and_profiles(z: Zaby) -> None:
    kbs = z.knowledge_bases
    kb = (await kbs.create({"name": unique("Sources")}))["id"]

    small = await kbs.create_profile(kb, {"name": "small", "config": {"chunkSize": 200, "maxChunks": 2}, "isDefault": True})
    assert small["isDefault"] is True
    err = await expect_error(
        kbs.create_profile(kb, {"name": "bad", "config": {"chunkSize": 100}}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )
    assert "config.chunkSize" in str(err)

    source = await kbs.create_source(kb, {"name": "Manual", "type": "upload"})
    assert (source["name"], source["status"]) == ("Manual", "ACTIVE")
    text = "".join(f"Paragraph {i} talks about widgets and their careful maintenance schedule, part {i}.\n\n" for i in range(10))
    doc = await ingest(z, kb, {"content": text, "sourceId": source["id"]})
    assert (await kbs.get_job(kb, doc["jobId"]))["itemsProcessed"] == 5
    hits = await kbs.retrieve(kb, {"query": "widgets maintenance", "topK": 10})
    assert len(hits["items"]) == 2, "the default profile's maxChunks caps topK"

    # A new default profile takes effect when the source is reprocessed.
    big = await kbs.create_profile(kb, {"name": "big", "config": {"chunkSize": 1000}, "isDefault": True})
    assert [p["isDefault"] for p in (await kbs.list_profiles(kb))["items"]] == [False, True]
    described = await kbs.update_profile(kb, big["id"], {"description": "large chunks"})
    assert (described["description"], described["isDefault"]) == ("large chunks", True)
    assert [p["name"] async for p in kbs.iter_profiles(kb)] == ["small", "big"]
    sync = await kbs.reprocess_source(kb, source["id"])
    assert (sync["type"], sync["sourceId"]) == ("SOURCE_SYNC", source["id"])
    await wait_job(z, kb, sync["id"])
    assert len((await kbs.retrieve(kb, {"query": "widgets maintenance", "topK": 10}))["items"]) == 1
    listed = await kbs.list_sources(kb)
    assert (listed["items"][0]["lastJobId"], listed["items"][0]["documentCount"]) == (sync["id"], 1)

    cred = await credential_id(z)
    linked = await kbs.link_source_credential(kb, source["id"], {"credentialId": cred})
    assert linked["credentialId"] == cred
    paused = await kbs.update_source(kb, source["id"], {"status": "INACTIVE"})
    assert paused["status"] == "INACTIVE"
    await expect_error(kbs.reprocess_source(kb, source["id"]), ZabyConflictError, 409, "CONFLICT")
    assert [s["status"] async for s in kbs.iter_sources(kb)] == ["INACTIVE"]

    group = await kbs.create_source_group(kb, {"name": "Group"})
    assert (group["syncMode"], group["sourceCount"]) == ("MANUAL", 0)
    await kbs.update_source(kb, source["id"], {"sourceGroupId": group["id"]})
    scheduled = await kbs.update_source_group(kb, group["id"], {"syncMode": "SCHEDULED"})
    assert (scheduled["syncMode"], scheduled["sourceCount"]) == ("SCHEDULED", 1)
    assert [g["id"] for g in (await kbs.list_source_groups(kb))["items"]] == [group["id"]]
    assert [g["name"] async for g in kbs.iter_source_groups(kb)] == ["Group"]

    err = await expect_error(
        kbs.create_ingestion_policy(kb, {"name": "p", "schedule": "0 0 6 * * *"}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )
    assert "schedule" in error_fields(err)
    policy = await kbs.create_ingestion_policy(kb, {"name": "yearly", "sourceGroupId": group["id"], "schedule": "30 6 1 1 *"})
    assert (policy["schedule"], policy["status"]) == ("30 6 1 1 *", "ACTIVE")
    off = await kbs.update_ingestion_policy(kb, policy["id"], {"status": "INACTIVE"})
    assert off["status"] == "INACTIVE"
    assert (await kbs.list_ingestion_policies(kb, {"status": "ACTIVE"}))["total"] == 0
    assert [p["id"] async for p in kbs.iter_ingestion_policies(kb)] == [policy["id"]]

    gov = await kbs.upsert_governance_policy(kb, {"rules": [{"deny": "pii"}]})
    assert gov["version"] == 1
    gov2 = await kbs.upsert_governance_policy(kb, {"rules": [], "settings": {"a": 1}})
    assert (gov2["version"], gov2["settings"], gov2["rules"]) == (2, {"a": 1}, [])
