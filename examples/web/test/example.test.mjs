// The embedding example in headless Chromium against a live zaby-server (`docs/web.md`):
// the page chats from an origin in the external app's allowedOrigins, the same page
// from another origin is refused without creating a run, the conformance vectors
// replay inside the page, and /docs renders every operation of /openapi.json.
//
//   ZABY_SERVER_BIN=target/ci/zaby-server node --test test/    (make test-web-example)
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Zaby } from "@zaby/sdk";
import { launchChromium } from "../../../typescript/test-browser/chromium.mjs";
import { setUp } from "../setup.mjs";
import { startBackend, startZabyServer } from "./processes.mjs";

const repo = new URL("../../../", import.meta.url);
/** Screenshots for humans to look at. */
const shots = fileURLToPath(new URL("target/web-example/", repo));
mkdirSync(shots, { recursive: true });
let zabyServer, zaby, ids, allowed, refused, browser;

before(async () => {
  zabyServer = await startZabyServer();
  zaby = new Zaby({ apiKey: zabyServer.apiKey, apiOrigin: zabyServer.origin });
  [allowed, refused] = await Promise.all([startBackend(), startBackend()]);
  ids = await setUp(zaby, [allowed.origin]);
  const env = { ...ids, ZABY_API_KEY: zabyServer.apiKey, ZABY_API_ORIGIN: zabyServer.origin };
  await Promise.all([allowed.start(env), refused.start(env)]);
  browser = await launchChromium({ viewport: { width: 1280, height: 800 } });
});

after(async () => {
  await browser?.close();
  await Promise.all([allowed?.stop(), refused?.stop()]);
  await zaby?.close();
  await zabyServer?.stop();
});

/** A page that notes every request it sends and every error it throws. */
async function openPage(url) {
  const page = await browser.newPage();
  const requests = [];
  const errors = [];
  page.on("request", (r) => requests.push({ url: r.url(), headers: r.headers() }));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, requests, errors };
}

const runsOfAgent = async () => (await zaby.usage.getAgentUsage({ agentId: ids.ZABY_AGENT_ID })).totals.runs;

async function ask(page, question) {
  await page.getByLabel("Your question").fill(question);
  await page.keyboard.press("Enter");
}

test("the page on an allowed origin chats with the web build and shows the streamed answer", async () => {
  const { page, requests, errors } = await openPage(`${allowed.origin}/`);
  const streamed = page.waitForResponse((r) => /\/agent-runtime\/runs\/[^/]+\/aiui/.test(r.url()));
  await ask(page, "hello from the web example");
  const answer = page.locator("#messages li.assistant").last();
  await answer.locator(".status").filter({ hasText: "COMPLETED" }).waitFor({ timeout: 30_000 });
  const stream = await streamed;
  assert.equal(stream.status(), 200);
  assert.match(stream.headers()["content-type"], /^text\/event-stream/);
  const text = await answer.locator("span").first().textContent();
  assert.ok(text.trim().length > 0, "the answer has text");
  assert.equal(await page.locator("#error").isVisible(), false);
  assert.deepEqual(errors, []);
  // Only the page's backend and Zaby were reached, and Zaby only with the runtime token.
  const zabyCalls = requests.filter((r) => r.url.startsWith(zabyServer.origin));
  assert.ok(zabyCalls.length >= 2, "the run was started and streamed from the page");
  for (const r of requests) assert.ok(r.url.startsWith(allowed.origin) || r.url.startsWith(zabyServer.origin), r.url);
  for (const r of zabyCalls.filter((c) => c.headers.authorization)) {
    assert.match(r.headers.authorization, /^Bearer /);
    assert.equal(r.headers["x-zaby-api-key"], undefined);
  }
  assert.equal(await runsOfAgent(), 1);
  await page.screenshot({ path: `${shots}example-chat.png` });
  await page.close();
});

test("the same page on an origin not in allowedOrigins is refused and creates no run", async () => {
  const before = await runsOfAgent();
  const { page, errors } = await openPage(`${refused.origin}/`);
  await ask(page, "hello from elsewhere");
  const error = page.locator("#error");
  await error.filter({ hasText: "ORIGIN_NOT_ALLOWED" }).waitFor({ timeout: 15_000 });
  assert.match(await error.textContent(), /^ORIGIN_NOT_ALLOWED: .+\(request \S+\)$/);
  assert.equal(await page.locator("#messages li.assistant .status").last().textContent(), "not answered");
  assert.equal(await page.getByLabel("Your question").inputValue(), "hello from elsewhere", "kept for a retry");
  assert.equal(await page.getByRole("button", { name: "Send" }).isEnabled(), true, "the page stays usable");
  assert.deepEqual(errors, []);
  assert.equal(await runsOfAgent(), before, "no run was created");
  await page.screenshot({ path: `${shots}example-refused.png` });
  await page.close();
});

test("the conformance vectors replay inside the example page, on the build it loaded", async () => {
  const { page } = await openPage(`${allowed.origin}/`);
  // The replay and the vectors are handed to the page by the test; the SDK is the
  // page's own, through its import map.
  const files = {
    "replay.mjs": ["typescript/test-browser/replay.mjs", "text/javascript"],
    "vectors.json": ["crates/zaby/tests/conformance/vectors.json", "application/json"],
  };
  await page.route(`${allowed.origin}/__conformance/*`, async (route) => {
    const [path, contentType] = files[new URL(route.request().url()).pathname.split("/").pop()];
    await route.fulfill({ body: await readFile(new URL(path, repo)), contentType });
  });
  const results = await page.evaluate(async () => {
    const sdk = await import("@zaby/sdk");
    const { replayAll } = await import("/__conformance/replay.mjs");
    return replayAll(sdk, await (await fetch("/__conformance/vectors.json")).json());
  });
  assert.ok(results.length >= 30, `${results.length} cases`);
  assert.deepEqual(results.filter((r) => !r.ok), []);
  await page.close();
});

test("/docs renders every operation of /openapi.json, readable on a phone and usable by keyboard", async () => {
  const doc = await (await fetch(`${zabyServer.origin}/openapi.json`)).json();
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  const { page, requests, errors } = await openPage(`${zabyServer.origin}/docs`);
  await page.locator("[data-rendered]").waitFor({ timeout: 15_000 });
  assert.equal(await page.locator(".operation").count(), operations);
  const tags = doc.tags.map((t) => t.name);
  assert.deepEqual(await page.locator("section.client").evaluateAll((s) => s.map((e) => e.dataset.client)), tags);
  await page.screenshot({ path: `${shots}docs-1280x800.png` });

  // Keyboard: the filter, then Tab to the first operation and open it with Enter.
  await page.getByLabel("Filter operations").focus();
  await page.keyboard.type("publish");
  const shown = await page.locator(".operation:visible").count();
  assert.ok(shown > 0 && shown < operations, `${shown} operations match "publish"`);
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.closest(".operation")?.id ?? null);
  assert.ok(focused, "Tab moves from the filter to an operation");
  await page.keyboard.press("Enter");
  const opened = page.locator(`[id="${focused}"]`);
  assert.equal(await opened.evaluate((d) => d.open), true);
  assert.ok(await opened.locator(".schema").count() > 0, "the opened operation shows its schemas");

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 390px screen`);
  await page.screenshot({ path: `${shots}docs-390x844.png` });
  for (const r of requests) assert.ok(r.url.startsWith(zabyServer.origin), `a request left the server: ${r.url}`);
  assert.deepEqual(errors, []);
  await page.close();
});
