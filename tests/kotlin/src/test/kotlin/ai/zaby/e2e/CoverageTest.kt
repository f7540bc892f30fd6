package ai.zaby.e2e

import ai.zaby.e2e.support.Live
import ai.zaby.e2e.support.LiveSuite
import ai.zaby.e2e.support.endpointMatcher
import ai.zaby.e2e.support.endpointTable
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Order
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith

/**
 * The coverage check, run last: every endpoint of the SDK's own table was called
 * through a recording client and answered without a 5xx.
 */
@Order(Int.MAX_VALUE)
@ExtendWith(LiveSuite::class)
class CoverageTest {
    @Test
    fun `every endpoint E1–E135 was exercised through the SDK against the live server`() {
        val table = endpointTable()
        assertEquals(135, table.size, "the SDK's endpoint table has 135 rows")
        assertEquals((1..135).toList(), table.map { it.id.drop(1).toInt() }.sorted(), "ids E1..E135")

        val match = endpointMatcher(table)
        val exercised = mutableSetOf<String>()
        val unmatched = mutableListOf<String>()
        val recorded = Live.transport.recorded.toList()
        for ((method, path, status) in recorded) {
            if (status >= 500) continue
            val id = match(method, path)
            if (id != null) exercised.add(id) else unmatched.add("$method $path")
        }
        assertEquals(emptyList<String>(), unmatched, "every recorded request maps to an endpoint of the table")
        val missing = table.map { it.id }.filter { it !in exercised }
        println("coverage: ${recorded.size} requests recorded; ${exercised.size}/${table.size} endpoints exercised")
        assertEquals(emptyList<String>(), missing, "endpoints not exercised: ${missing.joinToString(", ")}")
    }
}
