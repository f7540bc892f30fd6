/**
 * The coverage check, registered last: every endpoint of the SDK's own table was
 * called through a recording client and answered without a 5xx.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { endpointMatcher, endpointTable, recorded } from "./support/recorder.js";

describe("coverage", () => {
  test("every endpoint E1–E135 was exercised through the SDK against the live server", async (t) => {
    const table = await endpointTable();
    assert.equal(table.length, 135, "the SDK's endpoint table has 135 rows");
    const numbers = table.map((row) => Number(row.id.slice(1))).sort((a, b) => a - b);
    assert.deepEqual(numbers, Array.from({ length: 135 }, (_, i) => i + 1), "ids E1..E135");

    const match = endpointMatcher(table);
    const exercised = new Set<string>();
    const unmatched: string[] = [];
    for (const { method, path, status } of recorded) {
      if (status >= 500) continue;
      const id = match(method, path);
      if (id) exercised.add(id);
      else unmatched.push(`${method} ${path}`);
    }
    assert.deepEqual(unmatched, [], "every recorded request maps to an endpoint of the table");
    const missing = table.map((row) => row.id).filter((id) => !exercised.has(id));
    t.diagnostic(`${recorded.length} requests recorded; ${exercised.size}/${table.length} endpoints exercised`);
    assert.deepEqual(missing, [], `endpoints not exercised: ${missing.join(", ")}`);
  });
});
