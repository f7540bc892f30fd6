// Packaging: `npm pack` with the native addon, install the tarball into a fresh
// folder, import it there and make a MockTransport call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

test("npm pack → install into a fresh folder → import and call", { timeout: 180_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), "zaby-pack-"));
  try {
    const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--pack-destination", work], { cwd: pkg, encoding: "utf8" }));
    const files = packed[0].files.map((f) => f.path);
    assert.ok(files.some((f) => /^native\/zaby\..+\.node$/.test(f)), `the addon is packed: ${files.join(", ")}`);
    for (const f of ["dist/index.js", "dist/index.d.ts", "dist/runtime.js", "dist/testing.js", "dist/errors.js", "dist/types.d.ts", "README.md"]) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("src/")), "no tests or sources");
    const app = join(work, "app");
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module", private: true }));
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", join(work, tarball)], { cwd: app, encoding: "utf8" });
    writeFileSync(
      join(app, "main.mjs"),
      `import { Zaby, ZabyNotFoundError } from "@zaby/sdk";
import { MockTransport } from "@zaby/sdk/testing";
import { ZabyRuntime } from "@zaby/sdk/runtime";
import * as errors from "@zaby/sdk/errors";
const transport = new MockTransport([{ method: "GET", path: "/health", json: { status: "ok" } }]);
const zaby = new Zaby({ apiKey: "k", transport });
const health = await zaby.health.check();
const missing = await zaby.agents.get("x").catch((e) => e);
console.log(JSON.stringify({ health, mock: missing.name, isZaby: missing instanceof errors.ZabyError, runtime: typeof ZabyRuntime, nf: typeof ZabyNotFoundError }));
`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8" }));
    assert.deepEqual(out, { health: { status: "ok" }, mock: "MockTransportError", isZaby: true, runtime: "function", nf: "function" });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
