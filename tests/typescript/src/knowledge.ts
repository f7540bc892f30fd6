/** Knowledge bases & the library (E10, E41–E67): ingestion jobs, lexical retrieval, sources, policies, profiles. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ZabyConflictError, ZabyNotFoundError, ZabyValidationError, type Zaby } from "@zaby/sdk";
import type { KnowledgeJob } from "@zaby/sdk/types";
import { ctx } from "./support/context.js";
import { eventually, expectApiError, uniq } from "./support/helpers.js";

const HANDBOOK = `# Returns

Customers can return any item within 30 days of delivery for a full refund.

# Shipping

Orders ship within 2 business days. Express delivery takes one day.
`;

const GUIDE = "# Setup\n\nInstall the CLI with cargo.\n\n# Usage\n\nRun zaby deploy to ship.\n\n# Billing\n\nInvoices arrive monthly.\n";

async function waitJob(z: Zaby, kbId: string, jobId: string, status: string): Promise<KnowledgeJob> {
  return eventually(`job ${jobId} ${status}`, async () => {
    const job = await z.knowledgeBases.getJob(kbId, jobId);
    return job.status === status ? job : undefined;
  });
}

describe("knowledge & library", () => {
  test("E41 create, E42 upload, E65–E67 jobs, E48 retrieve, E49 provisional answer", async () => {
    const z = ctx().zaby;
    const name = uniq("Handbook");
    const kb = await z.knowledgeBases.create({ name });
    assert.equal(kb.slug, name.toLowerCase());
    assert.equal(kb.status, "ACTIVE");
    await expectApiError(z.knowledgeBases.create({ name: "x", slug: kb.slug }), ZabyConflictError, 409, "SLUG_ALREADY_EXISTS");

    const doc = await z.knowledgeBases.uploadTextDocument(kb.id, { title: "Customer handbook", content: HANDBOOK, fileType: "MD" });
    assert.equal(doc.status, "PROCESSING");
    const queued = await z.knowledgeBases.getJob(kb.id, doc.jobId!);
    assert.equal(queued.type, "DOCUMENT_INGESTION");
    assert.equal(queued.documentId, doc.id);
    // A second upload cancelled at once never gets chunks.
    const dropped = await z.knowledgeBases.uploadTextDocument(kb.id, { title: "Dropped", content: "Zeppelins float over harbours." });
    const cancelled = await z.knowledgeBases.cancelJob(kb.id, dropped.jobId!);
    assert.equal(cancelled.status, "CANCELLED");
    assert.ok(cancelled.cancelledAt);
    await expectApiError(z.knowledgeBases.cancelJob(kb.id, dropped.jobId!), ZabyConflictError, 409, "JOB_ALREADY_FINISHED");
    const done = await waitJob(z, kb.id, doc.jobId!, "COMPLETED");
    assert.equal(done.progress, 1);

    const jobs = await z.knowledgeBases.listJobs(kb.id, { status: "CANCELLED" });
    assert.deepEqual(jobs.items.map((j) => j.id), [dropped.jobId]);
    const allJobs: string[] = [];
    for await (const j of z.knowledgeBases.iterJobs(kb.id, { limit: 1 })) allJobs.push(j.id);
    assert.deepEqual([...allJobs].sort(), [doc.jobId, dropped.jobId].sort());

    const found = await z.knowledgeBases.retrieve(kb.id, { query: "how many days to return an item for a refund", topK: 3 });
    assert.ok(found.items.length >= 1);
    assert.equal(found.items[0].documentId, doc.id);
    assert.equal(found.items[0].title, "Customer handbook");
    assert.match(found.items[0].content, /30 days/);
    const none = await z.knowledgeBases.retrieve(kb.id, { query: "zeppelins harbours" });
    assert.deepEqual(none.items, [], "the cancelled document has no chunks");

    const answer = await z.knowledgeBases.provisionalAnswer(kb.id, { query: "how many days to return an item for a refund" });
    assert.equal(answer.status, "ANSWERED");
    assert.equal(answer.answer, found.items[0].content.slice(0, 500));
    assert.equal(answer.citations[0].chunkId, found.items[0].chunkId);
    const noAnswer = await z.knowledgeBases.provisionalAnswer(kb.id, { query: "refund", minScore: 0.99 });
    assert.equal(noAnswer.status, "NO_ANSWER");
    assert.equal(noAnswer.answer, "");
    await expectApiError(z.knowledgeBases.retrieve(kb.id, { query: "x", topK: 51 }), ZabyValidationError, 422, "VALIDATION_ERROR");
  });

  test("E10 an attached knowledge base answers a run with citations", async () => {
    const z = ctx().zaby;
    const kb = await z.knowledgeBases.create({ name: uniq("Run docs") });
    const doc = await z.knowledgeBases.uploadTextDocument(kb.id, { title: "Shipping", content: "Parcels ship every weekday from Lyon." });
    await waitJob(z, kb.id, doc.jobId!, "COMPLETED");
    const agent = await z.agents.create({ slug: uniq("reader"), name: "Reader" });
    const att = await z.agents.attachKnowledgeBase(agent.id, { knowledgeBaseId: kb.id });
    assert.equal(att.knowledgeBaseId, kb.id);
    assert.equal(att.enabled, true);
    const run = await z.agents.testRun(agent.id, { input: "where do parcels ship from" });
    assert.equal(run.finalOutput, "Based on Shipping: Parcels ship every weekday from Lyon.");
    const events = await z.agents.listRunEvents(run.runId, { limit: 100 });
    const finished = events.items.find((e) => e.event === "RunFinished")!;
    const citations = finished.data.citations as Array<{ documentId: string }>;
    assert.equal(citations[0].documentId, doc.id);
  });

  test("E54–E57 sources, E50–E52 source groups, E58–E60 ingestion policies, E61 governance, E62–E64 profiles", async () => {
    const z = ctx().zaby;
    const kbs = z.knowledgeBases;
    const kb = await kbs.create({ name: uniq("Profiles") });

    const small = await kbs.createProfile(kb.id, { name: "small", config: { chunkSize: 200, maxChunks: 2 }, isDefault: true });
    assert.equal(small.isDefault, true);
    const src = await kbs.createSource(kb.id, { name: "Manual", type: "upload" });
    assert.equal(src.status, "ACTIVE");
    const text = Array.from({ length: 10 }, (_, i) => `Paragraph ${i} talks about widgets and their careful maintenance schedule, part ${i}.`).join("\n\n");
    const doc = await kbs.uploadTextDocument(kb.id, { content: text, sourceId: src.id });
    const ingested = await waitJob(z, kb.id, doc.jobId!, "COMPLETED");
    assert.equal(ingested.itemsProcessed, 5, "200-character chunks hold two paragraphs");
    assert.equal((await kbs.retrieve(kb.id, { query: "widgets maintenance", topK: 10 })).items.length, 2, "maxChunks caps topK");

    const big = await kbs.createProfile(kb.id, { name: "big", config: { chunkSize: 1000 }, isDefault: true });
    const profiles = await kbs.listProfiles(kb.id);
    assert.deepEqual(profiles.items.map((p) => [p.id, p.isDefault]), [[small.id, false], [big.id, true]]);
    const profileIds: string[] = [];
    for await (const p of kbs.iterProfiles(kb.id, { limit: 1 })) profileIds.push(p.id);
    assert.deepEqual(profileIds, [small.id, big.id]);
    const described = await kbs.updateProfile(kb.id, big.id, { description: "large chunks" });
    assert.equal(described.description, "large chunks");

    const sync = await kbs.reprocessSource(kb.id, src.id);
    assert.equal(sync.type, "SOURCE_SYNC");
    assert.equal(sync.sourceId, src.id);
    await waitJob(z, kb.id, sync.id, "COMPLETED");
    assert.equal((await kbs.retrieve(kb.id, { query: "widgets maintenance", topK: 10 })).items.length, 1, "one big chunk after reprocessing");
    const sources = await kbs.listSources(kb.id);
    assert.equal(sources.items[0].lastJobId, sync.id);
    assert.equal(sources.items[0].documentCount, 1);
    const sourceIds: string[] = [];
    for await (const s of kbs.iterSources(kb.id)) sourceIds.push(s.id);
    assert.deepEqual(sourceIds, [src.id]);
    const linked = await kbs.linkSourceCredential(kb.id, src.id, { credentialId: "cred-e2e" });
    assert.equal(linked.credentialId, "cred-e2e");
    const inactive = await kbs.updateSource(kb.id, src.id, { status: "INACTIVE" });
    assert.equal(inactive.status, "INACTIVE");
    await expectApiError(kbs.reprocessSource(kb.id, src.id), ZabyConflictError, 409, "CONFLICT");

    const group = await kbs.createSourceGroup(kb.id, { name: "Group" });
    assert.equal(group.syncMode, "MANUAL");
    await kbs.updateSource(kb.id, src.id, { sourceGroupId: group.id, status: "ACTIVE" });
    const scheduled = await kbs.updateSourceGroup(kb.id, group.id, { syncMode: "SCHEDULED" });
    assert.equal(scheduled.syncMode, "SCHEDULED");
    assert.equal(scheduled.sourceCount, 1);
    const groups = await kbs.listSourceGroups(kb.id);
    assert.deepEqual(groups.items.map((g) => g.id), [group.id]);
    const groupIds: string[] = [];
    for await (const g of kbs.iterSourceGroups(kb.id)) groupIds.push(g.id);
    assert.deepEqual(groupIds, [group.id]);

    const gov1 = await kbs.upsertGovernancePolicy(kb.id, { rules: [{ deny: "pii" }] });
    assert.equal(gov1.version, 1);
    const gov2 = await kbs.upsertGovernancePolicy(kb.id, { rules: [], settings: { retentionDays: 30 } });
    assert.equal(gov2.version, 2);

    const badCron = await expectApiError(
      kbs.createIngestionPolicy(kb.id, { name: "p", schedule: "0 0 6 * * *" }),
      ZabyValidationError,
      422,
      "VALIDATION_ERROR",
    );
    assert.match(badCron.message, /schedule/);
    const policy = await kbs.createIngestionPolicy(kb.id, { name: "yearly", sourceGroupId: group.id, schedule: "30 6 1 1 *" });
    assert.equal(policy.schedule, "30 6 1 1 *");
    assert.equal(policy.status, "ACTIVE");
    const active = await kbs.listIngestionPolicies(kb.id, { status: "ACTIVE" });
    assert.deepEqual(active.items.map((p) => p.id), [policy.id]);
    const off = await kbs.updateIngestionPolicy(kb.id, policy.id, { status: "INACTIVE" });
    assert.equal(off.status, "INACTIVE");
    const remaining: string[] = [];
    for await (const p of kbs.iterIngestionPolicies(kb.id, { status: "ACTIVE" })) remaining.push(p.id);
    assert.deepEqual(remaining, []);
  });

  test("E43–E45 the library, E46 link and E47 project into a knowledge base", async () => {
    const z = ctx().zaby;
    const kbs = z.knowledgeBases;
    const title = uniq("Guide");
    const lib = await kbs.createLibraryTextDocument({ title, content: GUIDE, fileType: "MD" });
    assert.equal(lib.status, "READY");
    assert.equal(lib.versionCount, 1);
    assert.equal(lib.findingCount, 3);
    const listed = await kbs.listLibraryDocuments({ q: title });
    assert.deepEqual(listed.items.map((d) => d.id), [lib.id]);
    const libIds: string[] = [];
    for await (const d of kbs.iterLibraryDocuments({ q: title })) libIds.push(d.id);
    assert.deepEqual(libIds, [lib.id]);
    const findings = await kbs.listLibraryDocumentFindings(lib.id);
    assert.deepEqual(findings.items.map((f) => f.title), ["Setup", "Usage", "Billing"]);
    const findingIds: string[] = [];
    for await (const f of kbs.iterLibraryDocumentFindings(lib.id, { category: "section", limit: 1 })) findingIds.push(f.id);
    assert.deepEqual(findingIds, findings.items.map((f) => f.id));

    const kb = await kbs.create({ name: uniq("Library target") });
    await expectApiError(kbs.linkLibraryDocument(kb.id, { libraryDocumentId: "nope" }), ZabyValidationError, 422, "VALIDATION_ERROR");
    const selection = await kbs.linkLibraryDocument(kb.id, { libraryDocumentId: lib.id });
    assert.equal(selection.isIncluded, true);
    assert.ok(selection.id, "the selection has an id");
    assert.equal(selection.libraryDocumentVersionId, lib.currentVersionId);
    const billing = findings.items[2].id;
    const projected = await kbs.projectLibraryDocument(kb.id, selection.id, { projection: { findingIds: [billing] }, title: "Billing only" });
    assert.equal(projected.job.type, "LIBRARY_PROJECTION");
    await waitJob(z, kb.id, projected.job.id, "COMPLETED");
    const r = await kbs.retrieve(kb.id, { query: "invoices monthly" });
    assert.equal(r.items[0].documentId, projected.document.id);
    assert.equal(r.items[0].title, "Billing only");
    assert.deepEqual((await kbs.retrieve(kb.id, { query: "install cargo" })).items, [], "only the chosen finding");
    await expectApiError(kbs.projectLibraryDocument(kb.id, "nope", {}), ZabyNotFoundError, 404, "NOT_FOUND");
  });
});
