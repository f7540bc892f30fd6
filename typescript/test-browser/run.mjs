// The conformance vectors inside headless Chromium (WEB.md §2, §3): a page served by a
// tiny local static server loads the web build as ES modules, with no bundler, and
// replays every case (test-browser/replay.mjs). Debian's chromium only, driven by
// playwright-core — never a downloaded browser. `make test-browser` installs chromium
// when it is missing. Exits 1 when a case differs or the page fails.
import http from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.ZABY_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const repo = normalize(join(dirname(fileURLToPath(import.meta.url)), "..", ".."));
/** What the page may load: the built package, the replay, the vectors. */
const SERVED = ["/typescript/dist/", "/typescript/test-browser/replay.mjs", "/crates/zaby/tests/conformance/vectors.json"];
const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json" };

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>@zaby/sdk web build: conformance</title>
<pre id="out">running…</pre>
<script type="module">
  import * as sdk from "/typescript/dist/web/index.js";
  import { cases } from "/typescript/test-browser/replay.mjs";
  // Deep equality on JSON values (what the cases compare), keys in any order.
  const canon = (v) => JSON.stringify(v, (_, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x);
  try {
    const vectors = await (await fetch("/crates/zaby/tests/conformance/vectors.json")).json();
    const results = [];
    for (const c of cases(sdk, vectors)) {
      try {
        const actual = await c.run();
        results.push({ name: c.group + ": " + c.name, ok: canon(actual) === canon(c.expected), actual, expected: c.expected });
      } catch (e) {
        results.push({ name: c.group + ": " + c.name, ok: false, actual: String(e && e.stack || e) });
      }
    }
    window.zabyResults = results;
  } catch (e) {
    window.zabyResults = [{ name: "page", ok: false, actual: String(e && e.stack || e) }];
  }
  document.querySelector("#out").textContent = "done";
</script>`;

const server = http.createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://page").pathname);
  if (path === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
    return;
  }
  const file = normalize(join(repo, path));
  const allowed = SERVED.some((p) => path.startsWith(p)) && file.startsWith(repo) && !path.includes("..");
  try {
    if (!allowed) throw new Error("not served");
    const body = readFileSync(file);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }).end(`no such file: ${path}`);
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const profile = mkdtempSync(join(tmpdir(), "zaby-chromium-"));
let failed = 0;
let context;
try {
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.zabyResults !== undefined, undefined, { timeout: 120_000 });
  const results = await page.evaluate(() => window.zabyResults);
  for (const r of results) {
    if (r.ok) continue;
    failed += 1;
    console.error(`not ok - ${r.name}\n  actual:   ${JSON.stringify(r.actual)}\n  expected: ${JSON.stringify(r.expected)}`);
  }
  for (const p of problems) console.error(`page: ${p}`);
  if (problems.length > 0) failed += problems.length;
  console.log(`conformance in headless Chromium: ${results.length - failed} of ${results.length} cases passed`);
} catch (e) {
  failed += 1;
  console.error(`the browser run failed: ${e instanceof Error ? e.message : e}`);
} finally {
  await context?.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed === 0 ? 0 : 1);
