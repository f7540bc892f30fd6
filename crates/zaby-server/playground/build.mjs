// Builds the playground into dist/ (committed, and embedded in zaby-server at compile
// time), or with --check verifies that dist/ is what the sources build to today.
//
//   node crates/zaby-server/playground/build.mjs [--check]
//
// esbuild and TypeScript come from typescript/node_modules (`make node-env`). The web
// build of @zaby/sdk is bundled from its TypeScript sources, so the playground always
// uses the SDK of the same commit.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const sdk = join(repo, "typescript");
const requireFromSdk = createRequire(join(sdk, "package.json"));
const esbuild = requireFromSdk("esbuild");
const check = process.argv.includes("--check");
/** `docs/web.md`: the first load stays under 300 KiB. */
const BUDGET = 300 * 1024;

// Type errors fail the build: esbuild alone would only strip the types.
execFileSync(process.execPath, [requireFromSdk.resolve("typescript/bin/tsc"), "-p", join(here, "tsconfig.json")], {
  stdio: "inherit",
});

const common = { bundle: true, minify: true, write: false, legalComments: "none", charset: "utf8", logLevel: "warning" };
const [js, css] = await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [join(here, "src", "main.ts")],
    outfile: join(here, "dist", "app.js"),
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox110", "safari16"],
    alias: { "@zaby/sdk": join(sdk, "src", "web", "index.ts") },
  }),
  esbuild.build({ ...common, entryPoints: [join(here, "style.css")], outfile: join(here, "dist", "app.css") }),
]);
const files = {
  "app.js": js.outputFiles[0].contents,
  "app.css": css.outputFiles[0].contents,
  "index.html": readFileSync(join(here, "index.html")),
};

const total = Object.values(files).reduce((n, f) => n + f.length, 0);
if (total > BUDGET) {
  console.error(`the playground is ${total} bytes, over its ${BUDGET}-byte first-load budget`);
  process.exit(1);
}
const stale = [];
for (const [name, body] of Object.entries(files)) {
  const path = join(here, "dist", name);
  if (check) {
    let current = null;
    try {
      current = readFileSync(path);
    } catch {}
    if (!current || !Buffer.from(body).equals(current)) stale.push(`crates/zaby-server/playground/dist/${name}`);
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }
}
if (stale.length > 0) {
  console.error(`out of date: ${stale.join(", ")}\nrun \`make playground-bundle\` and commit dist/`);
  process.exit(1);
}
console.log(`playground ${check ? "matches its sources" : "built"}: ${(total / 1024).toFixed(1)} KiB (budget 300 KiB)`);
