// The published types: a sample program compiles with `tsc --strict --noEmit`, and a
// file of deliberate misuse fails with one error per marked line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(here, "..", "node_modules", "typescript", "bin", "tsc");
const dir = join(here, "typing");

test("the sample program compiles under --strict", { timeout: 120_000 }, () => {
  // `-p` with file names is not allowed, so compile by options instead.
  const r = spawnSync(
    process.execPath,
    [tsc, "--strict", "--noEmit", "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--lib", "ES2022,DOM", "--types", "node", join(dir, "sample.ts")],
    { encoding: "utf8", cwd: dir },
  );
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("the misuse file fails to compile, on every marked line", { timeout: 120_000 }, () => {
  const r = spawnSync(
    process.execPath,
    [tsc, "--strict", "--noEmit", "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--lib", "ES2022,DOM", "--types", "node", join(dir, "misuse.ts")],
    { encoding: "utf8", cwd: dir },
  );
  assert.notEqual(r.status, 0);
  const marked = readFileSync(join(dir, "misuse.ts"), "utf8")
    .split("\n")
    .flatMap((line, i) => (line.includes("// MISUSE") ? [i + 1] : []));
  const failing = new Set([...r.stdout.matchAll(/misuse\.ts\((\d+),\d+\): error TS/g)].map((m) => Number(m[1])));
  assert.deepEqual(marked.filter((l) => !failing.has(l)), [], `every marked line fails:\n${r.stdout}`);
  assert.deepEqual([...failing].filter((l) => !marked.includes(l)), [], `no unmarked line fails:\n${r.stdout}`);
});
