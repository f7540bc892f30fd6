// The Rust core's conformance vectors (crates/zaby/tests/conformance/vectors.json,
// checked against the core by `cargo test -p zaby --test conformance_vectors`),
// replayed against the build under test (test-browser/replay.mjs, shared with the
// Chromium run): SSE parsing (through a run stream, and directly on the web build's
// parser), reconnection, error mapping and webhook signatures (`webhooks.verify`,
// `verifySignature`). A difference is a bug in one of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BUILD, sdk } from "./helpers.mjs";
import { bytes, cases } from "../test-browser/replay.mjs";

const vectors = JSON.parse(
  readFileSync(new URL("../../crates/zaby/tests/conformance/vectors.json", import.meta.url), "utf8"),
);

for (const c of cases(sdk, vectors)) {
  test(`${c.group}: ${c.name}`, async () => {
    assert.deepEqual(await c.run(), c.expected);
  });
}

if (BUILD === "web") {
  const { SseParser } = await import("../dist/web/sse.js");
  for (const v of vectors.sse) {
    test(`sse (the web parser, raw data): ${v.name}`, () => {
      const parser = new SseParser();
      assert.deepEqual(v.chunks.flatMap((c) => parser.feed(bytes(c))), v.raw);
    });
  }
}

test("the vectors cover the parser, the mapping, reconnection and webhook signatures", () => {
  assert.ok(vectors.sse.length >= 10 && vectors.errors.length >= 10 && vectors.streams.length >= 8);
  assert.ok(vectors.webhooks.length >= 40);
});
