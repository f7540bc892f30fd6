// Bundle sizes of the web build of @zaby/sdk (`docs/web.md`), bundled the way a browser
// app would: `import … from "@zaby/sdk"` resolved through package.json `exports`,
// esbuild with platform "browser", ESM, tree-shaken and minified, then gzip level 9.
// Prints a Markdown section on stdout. Needs typescript/ built (make node-build).
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const pkg = fileURLToPath(new URL("../../typescript/", import.meta.url));
const esbuild = createRequire(join(pkg, "package.json"))("esbuild");
const GOAL = 25 * 1024;

const ENTRIES = [
  ["`ZabyRuntime` (web build)", 'import { ZabyRuntime } from "@zaby/sdk";\nglobalThis.x = ZabyRuntime;\n', GOAL],
  ["`Zaby` and `ZabyRuntime` (web build)", 'import { Zaby, ZabyRuntime } from "@zaby/sdk";\nglobalThis.x = { Zaby, ZabyRuntime };\n', null],
];

const dir = mkdtempSync(join(tmpdir(), "zaby-bench-web-"));
try {
  mkdirSync(join(dir, "node_modules", "@zaby"), { recursive: true });
  symlinkSync(pkg, join(dir, "node_modules", "@zaby", "sdk"), "dir");
  const rows = [];
  for (const [name, source, goal] of ENTRIES) {
    const entry = join(dir, `entry-${rows.length}.mjs`);
    writeFileSync(entry, source);
    const out = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      write: false,
      logLevel: "silent",
    });
    const text = out.outputFiles[0].contents;
    const gzip = gzipSync(text, { level: 9 }).length;
    const fmt = (n) => n.toLocaleString("en-US");
    const target = goal ? `≤ ${goal / 1024} KiB gzip: ${gzip <= goal ? "reached" : "**missed**"}` : "";
    rows.push(`| ${name} | ${fmt(text.length)} B | ${fmt(gzip)} B (${(gzip / 1024).toFixed(1)} KiB) | ${target} |`);
  }
  console.log("### Web build: bundle size\n");
  console.log(`esbuild ${esbuild.version}, \`platform: "browser"\`, ESM, tree-shaken and minified, gzip level 9.\n`);
  console.log("| bundle | minified | gzip | goal |");
  console.log("| --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
  console.log(
    "\nNo public Zaby TypeScript SDK is published on the npm registry, so there is no bundle of it to build beside these (BENCHMARKS.md).",
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
