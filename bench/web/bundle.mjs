// Bundle sizes of the web build of @zaby/sdk (`docs/web.md`), bundled the way a browser
// app would: `import … from "@zaby/sdk"` resolved through package.json `exports`,
// esbuild with platform "browser", ESM, tree-shaken and minified, then gzip level 9.
// Prints a Markdown section on stdout. Needs typescript/ built (make node-build).
import { GOAL_BYTES, esbuildVersion, webBundler } from "../../typescript/test-browser/bundle.mjs";

const ENTRIES = [
  ["`ZabyRuntime` (web build)", 'import { ZabyRuntime } from "@zaby/sdk";\nglobalThis.x = ZabyRuntime;\n', GOAL_BYTES],
  ["`Zaby` and `ZabyRuntime` (web build)", 'import { Zaby, ZabyRuntime } from "@zaby/sdk";\nglobalThis.x = { Zaby, ZabyRuntime };\n', null],
];

const bundler = webBundler();
try {
  const rows = [];
  for (const [name, source, goal] of ENTRIES) {
    const { bytes, gzip } = await bundler.bundle(source);
    const fmt = (n) => n.toLocaleString("en-US");
    const target = goal ? `≤ ${goal / 1024} KiB gzip: ${gzip <= goal ? "reached" : "**missed**"}` : "";
    rows.push(`| ${name} | ${fmt(bytes)} B | ${fmt(gzip)} B (${(gzip / 1024).toFixed(1)} KiB) | ${target} |`);
  }
  console.log("### Web build: bundle size\n");
  console.log(`esbuild ${esbuildVersion}, \`platform: "browser"\`, ESM, tree-shaken and minified, gzip level 9.\n`);
  console.log("| bundle | minified | gzip | goal |");
  console.log("| --- | --- | --- | --- |");
  for (const row of rows) console.log(row);
  console.log(
    "\nNo public Zaby TypeScript SDK is published on the npm registry, so there is no bundle of it to build beside these (BENCHMARKS.md).",
  );
} finally {
  bundler.close();
}
