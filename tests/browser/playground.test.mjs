// The playground in a real browser (`docs/web.md`): Debian's chromium driven by
// playwright-core (from typescript/node_modules; never a downloaded browser) against one
// live zaby-server started here (ZABY_SERVER_BIN). One server, one browser, the steps in
// order: bad input first, then the whole developer flow, then a revoked token and a
// server stopped mid-stream. Screenshots go to target/playground/.
//
//   ZABY_SERVER_BIN=target/ci/zaby-server node --test tests/browser/playground.test.mjs
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../typescript/test-browser/chromium.mjs";
import { startZabyServer } from "../support/processes.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHOTS = join(repo, "target", "playground");
const STEP = { timeout: 30_000 };

let server;
let base;
let API_KEY;
let context;
let page;
/** The loopback receiver of webhook deliveries: every POST it got, answered 204. */
let receiver;
let receiverUrl;
const received = [];
let webhookSecret;
/** Problems the page reported on its own: uncaught errors and requests to other origins. */
const problems = [];

before(async () => {
  // Long enough to see PENDING before ACTIVE.
  server = await startZabyServer({ ZABY_PROVISIONING_DELAY_MS: "700" });
  base = server.origin;
  API_KEY = server.apiKey;
  context = await launchChromium({ viewport: { width: 1280, height: 800 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP.timeout);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:")) problems.push(`request left the machine: ${r.url()}`);
  });
  mkdirSync(SHOTS, { recursive: true });
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;
});

after(async () => {
  await context?.close();
  await server?.stop();
  receiver?.close();
});

const suffix = Math.random().toString(16).slice(2, 8);
const slug = `helper-${suffix}`;
/** The last error block shown in `scope`. */
const lastError = (scope) => page.locator(`${scope} .error`).last();
const agentBubble = () => page.locator(".msg.agent").last();

/** Clicks the webhooks panel's Refresh until `row` is there (deliveries go out in the background). */
async function refreshUntil(row) {
  for (let i = 0; !(await row.count()); i++) {
    assert.ok(i < 100, "the delivery never showed up");
    await page.locator("#webhooks").getByRole("button", { name: "Refresh" }).click();
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Standard Webhooks signature of a delivery the receiver got, computed here with node:crypto. */
function signed(delivery, secret) {
  const { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig } = delivery.headers;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${delivery.body}`).digest("base64");
  return sig.split(" ").includes(`v1,${expected}`);
}

async function sendMessage(text) {
  await page.locator('textarea[name="message"]').fill(text);
  await page.locator('textarea[name="message"]').press("Enter");
}

let failed = false;
/** A step of the one story: after a failure the rest are skipped, with a screenshot of the page. */
function step(name, body) {
  it(name, async (t) => {
    if (failed) return t.skip("an earlier step failed");
    try {
      await body();
    } catch (e) {
      failed = true;
      await page?.screenshot({ path: join(SHOTS, "failure.png") }).catch(() => {});
      throw e;
    }
  });
}

describe("the playground", () => {
  step("loads under 300 KiB, all from its own origin, and signs in with the API key", async () => {
    const resp = await page.goto(`${base}/`, { waitUntil: "load" });
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()["content-security-policy"], /default-src 'none'/);
    // Bytes over the wire for the page and everything it loaded (a fresh profile: no cache).
    const bytes = await page.evaluate(() =>
      performance.getEntries().reduce((n, e) => n + (typeof e.transferSize === "number" ? e.transferSize : 0), 0));
    assert.ok(bytes > 0 && bytes <= 300 * 1024, `first load ${bytes} bytes`);

    await page.locator('input[name="apiKey"]').fill("zaby_pk_wrong_key_00000000");
    await page.getByRole("button", { name: "Sign in" }).click();
    await assert.doesNotReject(lastError("form.signin").waitFor());
    assert.match(await lastError("form.signin").innerText(), /UNAUTHORIZED \(HTTP 401\)[\s\S]*requestId: \S+/);

    // By keyboard: the key field, Enter to sign in, arrow keys across the tabs.
    await page.locator('input[name="apiKey"]').fill("");
    await page.locator('input[name="apiKey"]').focus();
    await page.keyboard.type(API_KEY);
    await page.keyboard.press("Enter");
    await page.getByRole("tab", { name: "Agents", selected: true }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 1);
    await page.getByRole("tab", { name: "Agents" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.getByRole("tab", { name: "Chat", selected: true }).waitFor();
    await page.keyboard.press("ArrowLeft");
    await page.getByRole("tab", { name: "Agents", selected: true }).waitFor();
  });

  step("shows the server's answer to an empty and to an invalid slug, and stays usable", async () => {
    const create = page.getByRole("button", { name: "Create agent" });
    await create.click();
    const empty = await lastError("#agents").innerText();
    assert.match(empty, /^[A-Z_]+ \(HTTP 4\d\d\)/, empty);
    assert.match(empty, /slug/i);
    assert.match(empty, /requestId: req_/);

    await page.locator('#agents input[name="slug"]').fill("Not A Slug!");
    await page.locator('#agents input[name="name"]').fill("Helper");
    await create.click();
    await page.waitForFunction(() => !document.querySelector("#agents .error")?.textContent?.includes("empty")
      && document.querySelector("#agents .error")?.textContent?.includes("slug"));
    const invalid = await lastError("#agents").innerText();
    assert.notEqual(invalid, empty);
    assert.match(invalid, /slug/i);
    assert.ok(await create.isEnabled());
  });

  step("creates a webhook endpoint and shows its secret this once", async () => {
    await page.getByRole("tab", { name: "Webhooks" }).click();
    await page.locator('#webhooks input[name="url"]').fill("ftp://example.com/hook");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    assert.match(await lastError("#webhooks").innerText(), /VALIDATION_ERROR \(HTTP 422\)[\s\S]*url/);

    await page.locator('#webhooks input[name="url"]').fill(receiverUrl);
    await page.locator('#webhooks input[name="description"]').fill("browser test");
    await page.getByRole("button", { name: "Create endpoint" }).click();
    await page.locator("#webhooks .card.secret", { hasText: "it will not be shown again" }).waitFor();
    webhookSecret = await page.locator("#webhooks .secret-value").innerText();
    assert.match(webhookSecret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    await page.locator("#webhooks tbody tr[data-webhook]", { hasText: receiverUrl }).waitFor();
    assert.equal(await page.locator("#webhooks .error").count(), 0, "the refused attempt's error is cleared");
    await page.getByRole("tab", { name: "Agents" }).click();
  });

  step("creates, attaches the sum tool, publishes and deploys an agent, watching PENDING → ACTIVE", async () => {
    await page.locator('#agents input[name="slug"]').fill(slug);
    await page.locator('#agents input[name="name"]').fill("Helper");
    await page.locator('#agents textarea[name="instructions"]').fill("Be brief.");
    await page.getByRole("button", { name: "Create agent" }).click();
    await page.locator(`tr[data-agent="${slug}"]`).waitFor();
    assert.equal(await page.locator("#agents .error").count(), 0, "the error of the earlier attempt is cleared");

    const tool = page.locator('select[name="toolId"]');
    await page.waitForFunction(() => [...document.querySelectorAll('select[name="toolId"] option')].some((o) => o.textContent.startsWith("sum ")));
    const sum = await tool.locator("option", { hasText: /^sum / }).getAttribute("value");
    await tool.selectOption(sum);
    await page.locator('select[name="approvalMode"]').selectOption("MANUAL");
    await page.getByRole("button", { name: "Attach tool" }).click();
    await page.locator(".detail li", { hasText: "approval MANUAL" }).waitFor();

    await page.getByRole("button", { name: "Publish" }).click();
    await page.locator(".deploy-status", { hasText: "Published version 1" }).waitFor();
    await page.getByRole("button", { name: "Deploy latest version" }).click();
    await page.locator(".deploy-status .badge", { hasText: "PENDING" }).waitFor();
    await page.locator(".deploy-status .badge", { hasText: "ACTIVE" }).waitFor();
    await page.locator(".detail li .badge.active").waitFor();
  });

  step("chats through a playground token: text streams in, raw events carry ids", async () => {
    await page.locator(".detail li").getByRole("button", { name: "Chat" }).click();
    await page.getByRole("button", { name: "Start chat" }).click();
    await page.locator(".token-info", { hasText: "Runtime token" }).waitFor();
    // Every length the answer goes through while the run is not finished.
    await page.evaluate(() => {
      window.lengths = [];
      new MutationObserver(() => {
        const a = document.querySelector(".msg.agent:last-child");
        if (a && !/COMPLETED|FAILED/.test(a.querySelector(".run-status").textContent)) window.lengths.push(a.querySelector(".text").textContent.length);
      }).observe(document.querySelector(".messages"), { subtree: true, childList: true, characterData: true });
    });
    await sendMessage("hello there");
    await agentBubble().locator(".run-status", { hasText: "COMPLETED" }).waitFor();
    assert.equal(await agentBubble().locator(".text").innerText(), "You said: hello there");
    const lengths = await page.evaluate(() => window.lengths.filter((n) => n > 0));
    assert.ok(new Set(lengths).size >= 2, `the answer grew piece by piece: ${lengths}`);
    const raw = await page.locator(".raw li").allInnerTexts();
    assert.ok(raw.some((l) => /^\d+ RunStarted/.test(l)), raw.join("\n"));
    assert.ok(raw.filter((l) => /^\d+ text /.test(l)).length >= 2, raw.join("\n"));
    assert.ok(raw.some((l) => /^\d+ RunFinished .*COMPLETED/.test(l)), raw.join("\n"));
  });

  step("lists the endpoint's deliveries, signed with the secret shown, and redelivers one", async () => {
    await page.getByRole("tab", { name: "Webhooks" }).click();
    await page.getByRole("button", { name: receiverUrl }).click();
    const completed = page.locator('#webhooks tr[data-event="run.completed"]', { hasText: "SUCCEEDED" });
    await refreshUntil(completed);
    assert.equal(await completed.locator("td.response").innerText(), "204");
    assert.equal(await completed.locator("td.attempts").innerText(), "1");
    assert.equal(await page.locator('#webhooks tr[data-event="deployment.active"]', { hasText: "SUCCEEDED" }).count(), 1);
    const runDelivery = received.find((d) => JSON.parse(d.body).type === "run.completed");
    assert.ok(runDelivery && signed(runDelivery, webhookSecret), "the delivery is signed with the secret shown once");

    const before = received.length;
    await completed.getByRole("button", { name: "Redeliver" }).click();
    await refreshUntil(page.locator('#webhooks tr[data-event="run.completed"]', { hasText: "SUCCEEDED" })
      .filter({ has: page.locator("td.attempts", { hasText: /^2$/ }) }));
    assert.ok(received.length > before, "the receiver got the delivery again");
    await page.screenshot({ path: join(SHOTS, "webhooks-1280x800.png") });

    await page.locator("#webhooks tr[data-webhook]").getByRole("button", { name: "Disable" }).click();
    await page.locator("#webhooks tr[data-webhook] .badge", { hasText: "disabled" }).waitFor();
    await page.getByRole("tab", { name: "Chat" }).click();
  });

  step('asks for approval of /tool sum, resumes when approved, returns {"sum":5}, takes feedback', async () => {
    await sendMessage('/tool sum {"numbers":[2,3]}');
    const bubble = agentBubble();
    await bubble.locator(".run-status", { hasText: "WAITING_FOR_APPROVAL" }).waitFor();
    await bubble.locator(".card.approval").waitFor();
    await bubble.getByRole("button", { name: "Approve" }).click();
    await bubble.locator(".card.approval .badge", { hasText: "APPROVED" }).waitFor();
    await bubble.locator(".run-status", { hasText: "COMPLETED" }).waitFor();
    assert.equal(await bubble.locator(".card.tool .result").innerText(), '{"sum":5}');
    assert.equal(await bubble.locator(".text").innerText(), 'Tool sum returned: {"sum":5}');

    await bubble.getByRole("button", { name: "Helpful", exact: true }).click();
    await bubble.locator(".feedback", { hasText: "feedback sent (rating 5)" }).waitFor();

    await page.screenshot({ path: join(SHOTS, "chat-1280x800.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, "chat-390x844.png") });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the phone layout scrolls sideways by ${overflow}px`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  step("shows the feedback and the tool call in the agent's usage, with its signals", async () => {
    await page.getByRole("tab", { name: "Usage & signals" }).click();
    await page.locator('#insights select[name="agentId"]').selectOption({ label: slug });
    await page.locator("#insights").getByRole("button", { name: "Show" }).click();
    await page.locator('dd[data-stat="feedback"]', { hasText: "1" }).waitFor();
    assert.equal(await page.locator('dd[data-stat="tool calls"]').innerText(), "1");
    assert.equal(await page.locator('dd[data-stat="average rating"]').innerText(), "5");
    assert.ok((await page.locator("#insights tbody tr").count()) >= 1);
  });

  step("indexes a knowledge base and retrieves from it with scores", async () => {
    await page.getByRole("tab", { name: "Knowledge" }).click();
    await page.locator('#knowledge input[name="name"]').fill(`Handbook ${suffix}`);
    await page.locator('#knowledge input[name="title"]').fill("Returns");
    await page.locator('#knowledge textarea[name="content"]').fill("Refunds reach the original payment method within 5 business days.");
    await page.getByRole("button", { name: "Create and index" }).click();
    await page.locator("#knowledge p", { hasText: "Indexing Returns: COMPLETED" }).waitFor();
    await page.locator('#knowledge input[name="query"]').fill("refunds");
    await page.getByRole("button", { name: "Retrieve" }).click();
    const first = page.locator("#knowledge tbody tr").first();
    await first.locator("td.score").waitFor();
    assert.match(await first.locator("td.score").innerText(), /^(0|1)\.\d{3}$/);
    assert.match(await first.innerText(), /Refunds reach/);
  });

  step("answers from the knowledge base once attached and redeployed, with its citation", async () => {
    await page.getByRole("tab", { name: "Agents" }).click();
    await page.locator(`tr[data-agent="${slug}"]`).getByRole("button").click();
    await page.locator('#agents select[name="knowledgeBaseId"]').selectOption({ label: `Handbook ${suffix}` });
    await page.getByRole("button", { name: "Attach knowledge base" }).click();
    await page.locator(".detail li", { hasText: `Handbook ${suffix}` }).waitFor();
    await page.getByRole("button", { name: "Publish" }).click();
    await page.locator(".deploy-status", { hasText: "Published version 2" }).waitFor();
    await page.getByRole("button", { name: "Deploy latest version" }).click();
    await page.locator(".deploy-status .badge", { hasText: "ACTIVE" }).waitFor();
    await page.locator(".detail li").getByRole("button", { name: "Chat" }).click();
    await page.getByRole("button", { name: "Start chat" }).click();
    await sendMessage("How long do refunds take?");
    const bubble = agentBubble();
    await bubble.locator(".run-status", { hasText: "COMPLETED" }).waitFor();
    assert.match(await bubble.locator(".text").innerText(), /^Based on Returns: Refunds reach/);
    assert.match(await bubble.locator(".card.citations").innerText(), /Returns \d\.\d{3}/);
  });

  step("answers a client tool call in the chat: a JSON result, then an error", async () => {
    // The page has no form for function tools: the agent gets one through the API, then the
    // page publishes, deploys and chats as before.
    const headers = { "x-zaby-api-key": API_KEY, "content-type": "application/json" };
    const agents = await (await fetch(`${base}/api/v1/provisioning/agentic-os/agents?limit=100`, { headers })).json();
    const agent = agents.items.find((a) => a.slug === slug);
    const tool = { name: "lookup_order", parameters: { type: "object" }, execution: "client" };
    const patched = await fetch(`${base}/api/v1/provisioning/agentic-os/agents/${agent.id}`, {
      method: "PATCH", headers, body: JSON.stringify({ functionTools: [tool] }),
    });
    assert.equal(patched.status, 200, await patched.text());
    await page.getByRole("tab", { name: "Agents" }).click();
    await page.locator(`tr[data-agent="${slug}"]`).getByRole("button").click();
    await page.getByRole("button", { name: "Publish" }).click();
    await page.locator(".deploy-status", { hasText: "Published version 3" }).waitFor();
    await page.getByRole("button", { name: "Deploy latest version" }).click();
    await page.locator(".deploy-status .badge", { hasText: "ACTIVE" }).waitFor();
    await page.locator(".detail li").getByRole("button", { name: "Chat" }).click();
    await page.getByRole("button", { name: "Start chat" }).click();

    await sendMessage('/tool lookup_order {"id":7}');
    let bubble = agentBubble();
    const card = bubble.locator(".card.client-tool");
    await card.waitFor();
    assert.match(await card.innerText(), /lookup_order[\s\S]*\{"id":7\}/);
    await bubble.locator(".run-status", { hasText: "WAITING_FOR_TOOL_RESULT" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "client-tool-1280x800.png") });
    await card.locator('textarea[name="result"]').fill("shipped");
    await card.getByRole("button", { name: "Send result" }).click();
    assert.match(await card.locator(".error").innerText(), /INVALID_JSON[\s\S]*not JSON/);
    await card.locator('textarea[name="result"]').fill('{"status":"shipped"}');
    await card.getByRole("button", { name: "Send result" }).click();
    await card.locator(".badge", { hasText: "result sent" }).waitFor();
    await bubble.locator(".run-status", { hasText: "COMPLETED" }).waitFor();
    assert.equal(await bubble.locator(".card.tool .result").innerText(), '{"status":"shipped"}');
    assert.equal(await bubble.locator(".text").innerText(), 'Tool lookup_order returned: {"status":"shipped"}');

    await sendMessage('/tool lookup_order {"id":8}');
    bubble = agentBubble();
    await bubble.locator(".card.client-tool").waitFor();
    await bubble.locator('input[name="errorMessage"]').fill("the order system is down");
    await bubble.getByRole("button", { name: "Send error" }).click();
    await bubble.locator(".card.tool.failed", { hasText: "the order system is down" }).waitFor();
    await bubble.locator(".run-status", { hasText: /COMPLETED|FAILED/ }).waitFor();
  });

  step("stops a run waiting for approval: the stream ends and the server cancels the run", async () => {
    await sendMessage('/tool sum {"numbers":[4,4]}');
    const bubble = agentBubble();
    await bubble.locator(".card.approval").waitFor();
    const runId = await bubble.getAttribute("data-run");
    await page.getByRole("button", { name: "Stop" }).click();
    await bubble.locator(".run-status", { hasText: "stopped" }).waitFor();
    for (let i = 0; ; i++) {
      const run = await (await fetch(`${base}/api/v1/provisioning/agentic-os/agents/runs/${runId}/progress`, {
        headers: { "x-zaby-api-key": API_KEY },
      })).json();
      if (run.status === "CANCELLED") break;
      assert.ok(i < 50, `the run is ${run.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await page.getByRole("button", { name: "Send" }).isEnabled());
  });

  step("shows a revoked token's refusal in the chat, and chats again with a new token", async () => {
    await page.getByRole("tab", { name: "Chat" }).click();
    const family = await page.locator(".token-info code.family").innerText();
    const revoked = await fetch(`${base}/api/v1/provisioning/managed-agents/runtime-token-families/${family}/revoke`, {
      method: "POST",
      headers: { "x-zaby-api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify({ reason: "browser test" }),
    });
    assert.equal(revoked.status, 200, await revoked.text());
    await sendMessage("are you there?");
    const error = agentBubble().locator(".error");
    await error.waitFor();
    assert.match(await error.innerText(), /REVOKED \(HTTP 401\)[\s\S]*requestId: req_/);
    assert.ok(await page.getByRole("button", { name: "Send" }).isEnabled());

    await page.getByRole("button", { name: "Start chat" }).click();
    await page.locator(".token-info code.family", { hasNotText: family }).waitFor();
    await sendMessage("back again");
    await agentBubble().locator(".run-status", { hasText: "COMPLETED" }).waitFor();
  });

  step("shows a clear error when the server stops mid-stream, and the page stays usable", async () => {
    await sendMessage('/tool sum {"numbers":[1,1]}');
    await agentBubble().locator(".card.approval").waitFor();
    server.child.kill("SIGKILL");
    const error = agentBubble().locator(".error");
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.innerText(), /^(STREAM_DISCONNECTED|CONNECTION_ERROR|[A-Z_]+)\b/);
    assert.ok(await page.getByRole("button", { name: "Send" }).isEnabled());
    await page.getByRole("tab", { name: "Agents" }).click();
    assert.ok(await page.getByRole("button", { name: "Create agent" }).isVisible());
    assert.deepEqual(problems, []);
  });
});
