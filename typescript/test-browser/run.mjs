// The conformance vectors inside headless Chromium (`docs/web.md`): a page served by a
// tiny local static server loads the web build as ES modules, with no bundler, and
// replays every case (test-browser/replay.mjs), in Chromium as chromium.mjs starts it.
// `make test-browser` installs chromium when it is missing. Exits 1 when a case
// differs or the page fails. examples/web/test/ replays them again inside the
// embedding example's page, next to a live server.
import http from "node:http";
import { readFileSync } from "node:fs";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";

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
  import { replayAll } from "/typescript/test-browser/replay.mjs";
  try {
    const vectors = await (await fetch("/crates/zaby/tests/conformance/vectors.json")).json();
    window.zabyResults = await replayAll(sdk, vectors);
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

let failed = 0;
let context;
try {
  context = await launchChromium();
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
}
process.exit(failed === 0 ? 0 : 1);
