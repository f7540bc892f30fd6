/**
 * SDK call overhead: `@zaby/sdk` against plain global `fetch` (undici) doing the same
 * requests on the same server — `health.check` (GET /health) and `agents.get`
 * (GET /api/v1/provisioning/agentic-os/agents/{id} with the API key header), one call
 * at a time and 64 at once. The two sides alternate in rounds so that drift of this
 * shared machine falls on both.
 */
import { performance } from "node:perf_hooks";
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

const sides = {
  health: {
    sdk: async () => {
      const body = await zaby.health.check();
      if (body?.status !== "ok") throw new Error(`health.check returned ${JSON.stringify(body)}`);
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

/** Runs `call` from `concurrency` workers until the time or call budget is spent. */
async function drive(call, concurrency, seconds, maxCalls = Infinity) {
  const latencies = [];
  let issued = 0;
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
  return { latencies, seconds: (performance.now() - start) / 1000 };
}

async function measure(name, concurrency) {
  const pair = sides[name];
  const all = { sdk: { latencies: [], seconds: 0 }, fetch: { latencies: [], seconds: 0 } };
  const maxCalls = SMOKE ? SMOKE_CALLS[concurrency] : Infinity;
  for (const side of ["sdk", "fetch"]) await drive(pair[side], concurrency, WARMUP_SECONDS, SMOKE ? concurrency : Infinity);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["sdk", "fetch"] : ["fetch", "sdk"];
    for (const side of order) {
      const r = await drive(pair[side], concurrency, ROUND_SECONDS, maxCalls);
      if (SMOKE && r.latencies.length !== maxCalls) {
        throw new Error(`${name} ${side} ×${concurrency}: ${r.latencies.length} of ${maxCalls} calls in ${ROUND_SECONDS} s`);
      }
      all[side].latencies.push(...r.latencies);
      all[side].seconds += r.seconds;
    }
  }
  const sdk = summarize(all.sdk.latencies, all.sdk.seconds);
  const base = summarize(all.fetch.latencies, all.fetch.seconds);
  log(`${name} ×${concurrency}: sdk ${fmtRate(sdk.perSecond)}/s, fetch ${fmtRate(base.perSecond)}/s`);
  return { name, concurrency, sdk, base, ratio: sdk.perSecond / base.perSecond };
}

const results = [];
for (const name of ["health", "agentsGet"]) {
  for (const concurrency of [1, 64]) results.push(await measure(name, concurrency));
}
await zaby.agents.delete(agent.id).catch(() => {});
await zaby.close();

const label = { health: "`health.check`", agentsGet: "`agents.get`" };
const TARGET = 2;
console.log(`#### Call overhead: \`@zaby/sdk\` vs plain \`fetch\` (undici)\n`);
console.log(
  table(
    ["call", "concurrency", "SDK calls/s", "SDK p50 / p99 ms", "fetch calls/s", "fetch p50 / p99 ms", "ratio", "target", "reached"],
    results.map((r) => [
      label[r.name],
      String(r.concurrency),
      fmtRate(r.sdk.perSecond),
      `${fmtMs(r.sdk.p50)} / ${fmtMs(r.sdk.p99)}`,
      fmtRate(r.base.perSecond),
      `${fmtMs(r.base.p50)} / ${fmtMs(r.base.p99)}`,
      fmtRatio(r.ratio),
      `≥ ${TARGET}×`,
      mark(r.ratio >= TARGET),
    ]),
  ),
);
console.log(
  `\n${SMOKE ? "Smoke mode: a few checked calls per side (figures not meaningful)." : `${ROUNDS} alternating rounds of ${ROUND_SECONDS} s per side after a ${WARMUP_SECONDS} s warm-up.`}\n`,
);
