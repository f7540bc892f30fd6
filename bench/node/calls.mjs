/**
 * SDK call overhead: `@zaby/sdk` against undici's `request()` (the fastest Node HTTP
 * client, pinned in package.json) and plain global `fetch` doing the same requests on the
 * same server — `health.check` (GET /health) and `agents.get`
 * (GET /api/v1/provisioning/agentic-os/agents/{id} with the API key header), one call
 * at a time and 64 at once. The sides alternate in rounds so that drift of this shared
 * machine falls on all of them.
 */
import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { loadSdk } from "./lib/sdk.mjs";
import { fmtMs, fmtRate, fmtRatio, log, mark, smoke, summarize, table } from "./lib/stats.mjs";

const origin = process.env.ZABY_BENCH_ORIGIN;
const apiKey = process.env.ZABY_BENCH_API_KEY;
if (!origin || !apiKey) throw new Error("ZABY_BENCH_ORIGIN and ZABY_BENCH_API_KEY must be set");

const SMOKE = smoke();
const ROUNDS = SMOKE ? 1 : 3;
const ROUND_SECONDS = SMOKE ? 5 : 1.5;
const WARMUP_SECONDS = SMOKE ? 5 : 0.5;
// Smoke mode: a few calls per side, each checked.
const SMOKE_CALLS = { 1: 20, 64: 256 };

const { Zaby } = await loadSdk();
const zaby = new Zaby({ apiKey, config: { apiOrigin: origin } });

const agent = await zaby.agents.create({ name: "Bench agent", slug: `bench-${process.pid}-${Date.now()}` });
log(`agent ${agent.id} created`);

function expectStatus(res) {
  if (res.status !== 200) throw new Error(`${res.url} answered ${res.status}`);
}

// undici's own pool (not fetch's global one), unlimited connections like the other sides.
const dispatcher = new Agent();
async function undiciJson(url, headers) {
  const { statusCode, body } = await request(url, { dispatcher, headers });
  if (statusCode !== 200) {
    await body.dump();
    throw new Error(`${url} answered ${statusCode}`);
  }
  return body.json();
}

const sides = {
  health: {
    sdk: async () => {
      const body = await zaby.health.check();
      if (body?.status !== "ok") throw new Error(`health.check returned ${JSON.stringify(body)}`);
    },
    undici: async () => {
      const body = await undiciJson(`${origin}/health`);
      if (body?.status !== "ok") throw new Error(`GET /health returned ${JSON.stringify(body)}`);
    },
    fetch: async () => {
      const res = await fetch(`${origin}/health`);
      expectStatus(res);
      const body = await res.json();
      if (body?.status !== "ok") throw new Error(`GET /health returned ${JSON.stringify(body)}`);
    },
  },
  agentsGet: {
    sdk: async () => {
      const body = await zaby.agents.get(agent.id);
      if (body?.id !== agent.id) throw new Error(`agents.get returned ${JSON.stringify(body)}`);
    },
    undici: async () => {
      const body = await undiciJson(`${origin}/api/v1/provisioning/agentic-os/agents/${agent.id}`, { "x-zaby-api-key": apiKey });
      if (body?.id !== agent.id) throw new Error(`GET agent returned ${JSON.stringify(body)}`);
    },
    fetch: async () => {
      const res = await fetch(`${origin}/api/v1/provisioning/agentic-os/agents/${agent.id}`, {
        headers: { "x-zaby-api-key": apiKey },
      });
      expectStatus(res);
      const body = await res.json();
      if (body?.id !== agent.id) throw new Error(`GET agent returned ${JSON.stringify(body)}`);
    },
  },
};

/** Context switches of this process so far, every thread's (getrusage). */
function contextSwitches() {
  const usage = process.resourceUsage();
  return usage.voluntaryContextSwitches + usage.involuntaryContextSwitches;
}

/** Runs `call` from `concurrency` workers until the time or call budget is spent; the
 * process's CPU time (µs) and context switches over the run come with the latencies. */
async function drive(call, concurrency, seconds, maxCalls = Infinity) {
  const latencies = [];
  let issued = 0;
  const cpu0 = process.cpuUsage();
  const switches0 = contextSwitches();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  async function worker() {
    while (issued < maxCalls && performance.now() < deadline) {
      issued += 1;
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { latencies, seconds: elapsed, cpuUs: cpu.user + cpu.system, switches: contextSwitches() - switches0 };
}

const SIDES = ["sdk", "undici", "fetch"];

async function measure(name, concurrency) {
  const calls = sides[name];
  const all = Object.fromEntries(SIDES.map((side) => [side, { latencies: [], seconds: 0, cpuUs: 0, switches: 0 }]));
  const maxCalls = SMOKE ? SMOKE_CALLS[concurrency] : Infinity;
  for (const side of SIDES) await drive(calls[side], concurrency, WARMUP_SECONDS, SMOKE ? concurrency : Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    // Each side in turn goes first.
    const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]);
    for (const side of order) {
      const r = await drive(calls[side], concurrency, ROUND_SECONDS, maxCalls);
      if (SMOKE && r.latencies.length !== maxCalls) {
        throw new Error(`${name} ${side} ×${concurrency}: ${r.latencies.length} of ${maxCalls} calls in ${ROUND_SECONDS} s`);
      }
      all[side].latencies.push(...r.latencies);
      all[side].seconds += r.seconds;
      all[side].cpuUs += r.cpuUs;
      all[side].switches += r.switches;
    }
  }
  const figures = Object.fromEntries(
    SIDES.map((side) => {
      const { latencies, seconds, cpuUs, switches } = all[side];
      const n = latencies.length;
      return [side, { ...summarize(latencies, seconds), cpuPerCall: cpuUs / n, switchesPerCall: switches / n }];
    }),
  );
  log(`${name} ×${concurrency}: ${SIDES.map((side) => `${side} ${fmtRate(figures[side].perSecond)}/s`).join(", ")}`);
  return { name, concurrency, figures };
}

const results = [];
for (const name of ["health", "agentsGet"]) {
  for (const concurrency of [1, 64]) results.push(await measure(name, concurrency));
}
await zaby.agents.delete(agent.id).catch(() => {});
await zaby.close();
await dispatcher.close();

const label = { health: "`health.check`", agentsGet: "`agents.get`" };
// Goals: SDK ÷ undici `request()` (issue 23), SDK ÷ fetch (issue 10).
const TARGETS = { undici: { 1: 1.5, 64: 2 }, fetch: { 1: 2, 64: 2 } };
const client = { sdk: "`@zaby/sdk`", undici: "undici `request()`", fetch: "`fetch`" };
console.log(`#### Call overhead: \`@zaby/sdk\` vs undici's \`request()\` and plain \`fetch\`\n`);
console.log(
  table(
    [
      "call",
      "concurrency",
      "client",
      "calls/s",
      "p50 / p99 ms",
      "process CPU µs/call",
      "context switches/call",
      "SDK ÷ client",
      "target",
      "reached",
    ],
    results.flatMap((r) =>
      SIDES.map((side) => {
        const f = r.figures[side];
        const ratio = r.figures.sdk.perSecond / f.perSecond;
        const target = TARGETS[side]?.[r.concurrency];
        return [
          label[r.name],
          String(r.concurrency),
          client[side],
          fmtRate(f.perSecond),
          `${fmtMs(f.p50)} / ${fmtMs(f.p99)}`,
          f.cpuPerCall.toFixed(0),
          f.switchesPerCall.toFixed(1),
          side === "sdk" ? "" : fmtRatio(ratio),
          target ? `≥ ${target}×` : "",
          target ? mark(ratio >= target) : "",
        ];
      }),
    ),
  ),
);
console.log(
  `\n${SMOKE ? "Smoke mode: a few checked calls per side (figures not meaningful)." : `${ROUNDS} rounds of ${ROUND_SECONDS} s per side (each side first in turn) after a ${WARMUP_SECONDS} s warm-up.`}` +
    " Process CPU and context switches count every thread of the benchmark process: undici parses on the JS" +
    " thread, which sleeps once per call waiting for the answer; the SDK hands each call to the addon's tokio" +
    " worker and back, so both threads sleep and wake.\n",
);
