// The published types: a sample program compiles with `tsc --strict --noEmit`, and a
// file of deliberate misuse fails with one error per marked line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const tscBin = join(here, "..", "node_modules", "typescript", "bin", "tsc");
const dir = join(here, "typing");

/** `tsc --strict --noEmit` on one file (`-p` with file names is not allowed, so by options). */
function tsc(file) {
  return spawnSync(
    process.execPath,
    [tscBin, "--strict", "--noEmit", "--target", "ES2022", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--lib", "ES2022,DOM", "--types", "node", file],
    { encoding: "utf8", cwd: dir },
  );
}

test("the sample program compiles under --strict", { timeout: 120_000 }, () => {
  const r = tsc(join(dir, "sample.ts"));
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("the misuse file fails to compile, on every marked line", { timeout: 120_000 }, () => {
  const r = tsc(join(dir, "misuse.ts"));
  assert.notEqual(r.status, 0);
  const marked = readFileSync(join(dir, "misuse.ts"), "utf8")
    .split("\n")
    .flatMap((line, i) => (line.includes("// MISUSE") ? [i + 1] : []));
  const failing = new Set([...r.stdout.matchAll(/misuse\.ts\((\d+),\d+\): error TS/g)].map((m) => Number(m[1])));
  assert.deepEqual(marked.filter((l) => !failing.has(l)), [], `every marked line fails:\n${r.stdout}`);
  assert.deepEqual([...failing].filter((l) => !marked.includes(l)), [], `no unmarked line fails:\n${r.stdout}`);
});

test("stream events narrow by name, and each marked misuse fails with its error", { timeout: 120_000 }, () => {
  // With the directives, the file compiles only if every marked line is an error.
  const r = tsc(join(dir, "events.ts"));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // Without them, each marked line fails with the code its comment names, and no other.
  const lines = readFileSync(join(dir, "events.ts"), "utf8").split("\n");
  const expected = new Map();
  const stripped = lines.map((line, i) => {
    const m = /\/\/ @ts-expect-error (TS\d+)/.exec(line);
    if (!m) return line;
    expected.set(i + 2, m[1]);
    return "";
  });
  assert.ok(expected.size >= 5);
  const copy = join(dir, "events-unchecked.ts");
  writeFileSync(copy, stripped.join("\n"));
  try {
    const u = tsc(copy);
    const found = new Map([...u.stdout.matchAll(/events-unchecked\.ts\((\d+),\d+\): error (TS\d+)/g)].map((m) => [Number(m[1]), m[2]]));
    assert.deepEqual(found, expected, u.stdout);
  } finally {
    rmSync(copy, { force: true });
  }
});
