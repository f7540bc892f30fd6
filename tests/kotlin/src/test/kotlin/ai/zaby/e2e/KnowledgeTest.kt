package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.bool
import ai.zaby.e2e.support.eventually
import ai.zaby.e2e.support.expectApiError
import ai.zaby.e2e.support.id
import ai.zaby.e2e.support.int
import ai.zaby.e2e.support.items
import ai.zaby.e2e.support.list
import ai.zaby.e2e.support.live
import ai.zaby.e2e.support.num
import ai.zaby.e2e.support.obj
import ai.zaby.e2e.support.str
import ai.zaby.e2e.support.strOrNull
import ai.zaby.e2e.support.uniq
import ai.zaby.sdk.types.KnowledgeJob
import ai.zaby.sdk.Zaby
import ai.zaby.sdk.ZabyConflictException
import ai.zaby.sdk.ZabyNotFoundException
import ai.zaby.sdk.ZabyValidationException
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

private val HANDBOOK = """
    # Returns

    Customers can return any item within 30 days of delivery for a full refund.

    # Shipping

    Orders ship within 2 business days. Express delivery takes one day.

""".trimIndent()

private const val GUIDE = "# Setup\n\nInstall the CLI with cargo.\n\n# Usage\n\nRun zaby deploy to ship.\n\n# Billing\n\nInvoices arrive monthly.\n"

private suspend fun waitJob(z: Zaby, kbId: String, jobId: String, status: String): KnowledgeJob =
    eventually("job $jobId $status") { z.knowledgeBases.getJob(kbId, jobId).takeIf { it.str("status") == status } }

/** Knowledge bases & the library (E10, E41–E67): ingestion jobs, lexical retrieval, sources, policies, profiles. */
@Order(5)
@ExtendWith(LiveSuite::class)
class KnowledgeTest {
    private val z get() = Live.zaby

    @Test
    @Order(1)
    fun `E41 create, E42 upload, E65–E67 jobs, E48 retrieve, E49 provisional answer`() = live {
        val name = uniq("Handbook")
        val kb = z.knowledgeBases.create(mapOf("name" to name))
        assertEquals(name.lowercase(), kb.str("slug"))
        assertEquals("ACTIVE", kb.str("status"))
        expectApiError<ZabyConflictException>(409, "SLUG_ALREADY_EXISTS") {
            z.knowledgeBases.create(mapOf("name" to "x", "slug" to kb.str("slug")))
        }

        val doc = z.knowledgeBases.uploadTextDocument(kb.id, mapOf("title" to "Customer handbook", "content" to HANDBOOK, "fileType" to "MD"))
        assertEquals("PROCESSING", doc.str("status"))
        val jobId = doc.str("jobId")
        val queued = z.knowledgeBases.getJob(kb.id, jobId)
        assertEquals("DOCUMENT_INGESTION", queued.str("type"))
        assertEquals(doc.id, queued.str("documentId"))
        // A second upload cancelled at once never gets chunks.
        val dropped = z.knowledgeBases.uploadTextDocument(kb.id, mapOf("title" to "Dropped", "content" to "Zeppelins float over harbours."))
        val droppedJob = dropped.str("jobId")
        val cancelled = z.knowledgeBases.cancelJob(kb.id, droppedJob)
        assertEquals("CANCELLED", cancelled.str("status"))
        assertNotNull(cancelled.strOrNull("cancelledAt"))
        expectApiError<ZabyConflictException>(409, "JOB_ALREADY_FINISHED") { z.knowledgeBases.cancelJob(kb.id, droppedJob) }
        assertEquals(1.0, waitJob(z, kb.id, jobId, "COMPLETED").num("progress"))

        assertEquals(listOf(droppedJob), z.knowledgeBases.listJobs(kb.id, mapOf("status" to "CANCELLED")).items.map { it.id })
        val allJobs = z.knowledgeBases.iterJobs(kb.id, mapOf("limit" to 1)).map { it.id }.toList()
        assertEquals(listOf(jobId, droppedJob).sorted(), allJobs.sorted())

        val question = "how many days to return an item for a refund"
        val found = z.knowledgeBases.retrieve(kb.id, mapOf("query" to question, "topK" to 3))
        assertTrue(found.items.isNotEmpty())
        val best = found.items[0]
        assertEquals(doc.id, best.str("documentId"))
        assertEquals("Customer handbook", best.str("title"))
        assertTrue("30 days" in best.str("content"))
        assertEquals(emptyList<JsonObject>(), z.knowledgeBases.retrieve(kb.id, mapOf("query" to "zeppelins harbours")).items, "the cancelled document has no chunks")

        val answer = z.knowledgeBases.provisionalAnswer(kb.id, mapOf("query" to question))
        assertEquals("ANSWERED", answer.str("status"))
        assertEquals(best.str("content").take(500), answer.str("answer"))
        assertEquals(best.str("chunkId"), answer.list("citations")[0].jsonObject.str("chunkId"))
        val noAnswer = z.knowledgeBases.provisionalAnswer(kb.id, mapOf("query" to "refund", "minScore" to 0.99))
        assertEquals("NO_ANSWER", noAnswer.str("status"))
        assertEquals("", noAnswer.str("answer"))
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") { z.knowledgeBases.retrieve(kb.id, mapOf("query" to "x", "topK" to 51)) }
    }

    @Test
    @Order(2)
    fun `E10 an attached knowledge base answers a run with citations`() = live {
        val kb = z.knowledgeBases.create(mapOf("name" to uniq("Run docs")))
        val doc = z.knowledgeBases.uploadTextDocument(kb.id, mapOf("title" to "Shipping", "content" to "Parcels ship every weekday from Lyon."))
        waitJob(z, kb.id, doc.str("jobId"), "COMPLETED")
        val agent = z.agents.create(mapOf("slug" to uniq("reader"), "name" to "Reader"))
        val att = z.agents.attachKnowledgeBase(agent.id, mapOf("knowledgeBaseId" to kb.id))
        assertEquals(kb.id, att.str("knowledgeBaseId"))
        assertTrue(att.bool("enabled"))
        val run = z.agents.testRun(agent.id, mapOf("input" to "where do parcels ship from"))
        assertEquals("Based on Shipping: Parcels ship every weekday from Lyon.", run.str("finalOutput"))
        val finished = z.agents.listRunEvents(run.str("runId"), mapOf("limit" to 100)).items.first { it.str("event") == "RunFinished" }
        assertEquals(doc.id, finished.obj("data").list("citations")[0].jsonObject.str("documentId"))
    }

    @Test
    @Order(3)
    fun `E54–E57 sources, E50–E52 source groups, E58–E60 ingestion policies, E61 governance, E62–E64 profiles`() = live {
        val kbs = z.knowledgeBases
        val kb = kbs.create(mapOf("name" to uniq("Profiles")))

        val small = kbs.createProfile(kb.id, mapOf("name" to "small", "config" to mapOf("chunkSize" to 200, "maxChunks" to 2), "isDefault" to true))
        assertTrue(small.bool("isDefault"))
        val src = kbs.createSource(kb.id, mapOf("name" to "Manual", "type" to "upload"))
        assertEquals("ACTIVE", src.str("status"))
        val text = (0 until 10).joinToString("\n\n") { "Paragraph $it talks about widgets and their careful maintenance schedule, part $it." }
        val doc = kbs.uploadTextDocument(kb.id, mapOf("content" to text, "sourceId" to src.id))
        assertEquals(5, waitJob(z, kb.id, doc.str("jobId"), "COMPLETED").int("itemsProcessed"), "200-character chunks hold two paragraphs")
        val widgets = mapOf("query" to "widgets maintenance", "topK" to 10)
        assertEquals(2, kbs.retrieve(kb.id, widgets).items.size, "maxChunks caps topK")

        val big = kbs.createProfile(kb.id, mapOf("name" to "big", "config" to mapOf("chunkSize" to 1000), "isDefault" to true))
        val profiles = kbs.listProfiles(kb.id)
        assertEquals(listOf(small.id to false, big.id to true), profiles.items.map { it.id to it.bool("isDefault") })
        assertEquals(listOf(small.id, big.id), kbs.iterProfiles(kb.id, mapOf("limit" to 1)).map { it.id }.toList())
        assertEquals("large chunks", kbs.updateProfile(kb.id, big.id, mapOf("description" to "large chunks")).str("description"))

        val sync = kbs.reprocessSource(kb.id, src.id)
        assertEquals("SOURCE_SYNC", sync.str("type"))
        assertEquals(src.id, sync.str("sourceId"))
        waitJob(z, kb.id, sync.id, "COMPLETED")
        assertEquals(1, kbs.retrieve(kb.id, widgets).items.size, "one big chunk after reprocessing")
        val sources = kbs.listSources(kb.id)
        assertEquals(sync.id, sources.items[0].str("lastJobId"))
        assertEquals(1, sources.items[0].int("documentCount"))
        assertEquals(listOf(src.id), kbs.iterSources(kb.id).map { it.id }.toList())
        assertEquals("cred-e2e", kbs.linkSourceCredential(kb.id, src.id, mapOf("credentialId" to "cred-e2e")).str("credentialId"))
        assertEquals("INACTIVE", kbs.updateSource(kb.id, src.id, mapOf("status" to "INACTIVE")).str("status"))
        expectApiError<ZabyConflictException>(409, "CONFLICT") { kbs.reprocessSource(kb.id, src.id) }

        val group = kbs.createSourceGroup(kb.id, mapOf("name" to "Group"))
        assertEquals("MANUAL", group.str("syncMode"))
        kbs.updateSource(kb.id, src.id, mapOf("sourceGroupId" to group.id, "status" to "ACTIVE"))
        val scheduled = kbs.updateSourceGroup(kb.id, group.id, mapOf("syncMode" to "SCHEDULED"))
        assertEquals("SCHEDULED", scheduled.str("syncMode"))
        assertEquals(1, scheduled.int("sourceCount"))
        assertEquals(listOf(group.id), kbs.listSourceGroups(kb.id).items.map { it.id })
        assertEquals(listOf(group.id), kbs.iterSourceGroups(kb.id).map { it.id }.toList())

        assertEquals(1, kbs.upsertGovernancePolicy(kb.id, mapOf("rules" to listOf(mapOf("deny" to "pii")))).int("version"))
        assertEquals(2, kbs.upsertGovernancePolicy(kb.id, mapOf("rules" to emptyList<Any>(), "settings" to mapOf("retentionDays" to 30))).int("version"))

        val badCron = expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") {
            kbs.createIngestionPolicy(kb.id, mapOf("name" to "p", "schedule" to "0 0 6 * * *"))
        }
        assertTrue("schedule" in badCron.message.orEmpty(), badCron.message)
        val policy = kbs.createIngestionPolicy(kb.id, mapOf("name" to "yearly", "sourceGroupId" to group.id, "schedule" to "30 6 1 1 *"))
        assertEquals("30 6 1 1 *", policy.str("schedule"))
        assertEquals("ACTIVE", policy.str("status"))
        assertEquals(listOf(policy.id), kbs.listIngestionPolicies(kb.id, mapOf("status" to "ACTIVE")).items.map { it.id })
        assertEquals("INACTIVE", kbs.updateIngestionPolicy(kb.id, policy.id, mapOf("status" to "INACTIVE")).str("status"))
        assertEquals(emptyList<String>(), kbs.iterIngestionPolicies(kb.id, mapOf("status" to "ACTIVE")).map { it.id }.toList())
    }

    @Test
    @Order(4)
    fun `E43–E45 the library, E46 link and E47 project into a knowledge base`() = live {
        val kbs = z.knowledgeBases
        val title = uniq("Guide")
        val lib = kbs.createLibraryTextDocument(mapOf("title" to title, "content" to GUIDE, "fileType" to "MD"))
        assertEquals("READY", lib.str("status"))
        assertEquals(1, lib.int("versionCount"))
        assertEquals(3, lib.int("findingCount"))
        assertEquals(listOf(lib.id), kbs.listLibraryDocuments(mapOf("q" to title)).items.map { it.id })
        assertEquals(listOf(lib.id), kbs.iterLibraryDocuments(mapOf("q" to title)).map { it.id }.toList())
        val findings = kbs.listLibraryDocumentFindings(lib.id)
        assertEquals(listOf("Setup", "Usage", "Billing"), findings.items.map { it.str("title") })
        val findingIds = kbs.iterLibraryDocumentFindings(lib.id, mapOf("category" to "section", "limit" to 1)).map { it.id }.toList()
        assertEquals(findings.items.map { it.id }, findingIds)

        val kb = kbs.create(mapOf("name" to uniq("Library target")))
        expectApiError<ZabyValidationException>(422, "VALIDATION_ERROR") { kbs.linkLibraryDocument(kb.id, mapOf("libraryDocumentId" to "nope")) }
        val selection = kbs.linkLibraryDocument(kb.id, mapOf("libraryDocumentId" to lib.id))
        assertTrue(selection.bool("isIncluded"))
        assertEquals(lib.str("currentVersionId"), selection.str("libraryDocumentVersionId"))
        val billing = findings.items[2].id
        val projected = kbs.projectLibraryDocument(kb.id, selection.str("id"), mapOf("projection" to mapOf("findingIds" to listOf(billing)), "title" to "Billing only"))
        val job = projected.obj("job")
        assertEquals("LIBRARY_PROJECTION", job.str("type"))
        waitJob(z, kb.id, job.id, "COMPLETED")
        val r = kbs.retrieve(kb.id, mapOf("query" to "invoices monthly"))
        assertEquals(projected.obj("document").id, r.items[0].str("documentId"))
        assertEquals("Billing only", r.items[0].str("title"))
        assertEquals(emptyList<JsonObject>(), kbs.retrieve(kb.id, mapOf("query" to "install cargo")).items, "only the chosen finding")
        expectApiError<ZabyNotFoundException>(404, "NOT_FOUND") { kbs.projectLibraryDocument(kb.id, "nope", emptyMap()) }
    }
}
