/**
 * SSE throughput: `@zaby/sdk` (`new ZabyRuntime({ token }).runs.stream(id)`) against a
 * plain-JavaScript parser over `fetch` (lib/sse-parser.mjs), both consuming the same
 * pre-rendered stream of `zaby-bench-sse-source`: events/s, time to first event against
 * the whole stream, and (full mode) resident memory across a 1,000,000-event stream,
 * each side measured in a fresh process.
 *
 * `node sse.mjs` runs the comparison; `node sse.mjs --child <sdk|fetch> <origin> <n>`
 * is one consumption in a fresh process, printing its figures as JSON.
 */
import { spawn, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { fetchEvents } from "./lib/sse-parser.mjs";
import { loadSdk } from "./lib/sdk.mjs";
import { fmtMs, fmtRate, fmtRatio, log, mark, median, smoke, table } from "./lib/stats.mjs";

const RUN_ID = "run-bench";
const TOKEN = "zaby_rt_bench";
const MIB = 1024 * 1024;

/** CPU seconds of this process's main (JS) thread so far, from /proc (Linux only). */
function mainThreadCpu() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
  } catch {
    return NaN;
  }
}

/** One consumption of the stream: counts, checks order and end, samples RSS. */
async function consume(side, origin, n, sampleEvery = 0) {
  let events;
  let runtime;
  if (side === "sdk") {
    const { ZabyRuntime } = await loadSdk();
    runtime = new ZabyRuntime({ token: TOKEN, config: { apiOrigin: origin } });
    events = runtime.runs.stream(RUN_ID);
  } else {
    events = fetchEvents(`${origin}/api/v1/agent-runtime/runs/${RUN_ID}/aiui`, { authorization: `Bearer ${TOKEN}` });
  }
  const rss = [];
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  let count = 0;
  let chars = 0;
  let first = NaN;
  let last;
  const start = performance.now();
  for await (const ev of events) {
    if (count === 0) first = performance.now() - start;
    count += 1;
    if (ev.id !== String(count)) throw new Error(`${side}: event ${count} has id ${ev.id}`);
    // Read every event as a consumer would, so neither side can skip the work.
    if (ev.event === "text") chars += ev.data.content.length;
    if (sampleEvery && count % sampleEvery === 0) rss.push(process.memoryUsage.rss());
    last = ev;
  }
  const total = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const processCpu = (cpu.user + cpu.system) / 1e6;
  const mainCpu = mainThreadCpu() - main0;
  await runtime?.close();
  if (count !== n) throw new Error(`${side}: ${count} of ${n} events received`);
  if (last?.event !== "RunFinished" || typeof last.data !== "object" || chars === 0) {
    throw new Error(`${side}: the stream did not end with a parsed RunFinished event after text`);
  }
  return { count, first, total, rss, processCpu, mainCpu };
}

if (process.argv[2] === "--child") {
  const [, , , side, origin, n] = process.argv;
  const count = Number(n);
  const r = await consume(side, origin, count, Math.max(1, Math.floor(count / 100)));
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}

/** Starts an SSE source serving `n` events; resolves with its origin and a stop function. */
async function startSource(n) {
  const bin = process.env.ZABY_BENCH_SSE_SOURCE;
  if (!bin) throw new Error("ZABY_BENCH_SSE_SOURCE is not set");
  const [cmd, args] = bin.endsWith(".mjs") ? [process.execPath, [bin]] : [bin, []];
  const child = spawn(cmd, [...args, "--events", String(n), "--listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  // The source never outlives this process, however it ends.
  const kill = () => child.kill("SIGTERM");
  process.once("exit", kill);
  const origin = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = /^listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`the SSE source exited (${code}) before listening`)));
  });
  return {
    origin,
    stop: async () => {
      process.off("exit", kill);
      kill();
      await exited;
    },
  };
}

/** One consumption in a fresh Node process (clean heap and RSS). */
function child(side, origin, n) {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", side, origin, String(n)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * MIB,
  });
  return JSON.parse(out);
}

for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130));

const SMOKE = smoke();
const N = 100_000;
const ROUNDS = SMOKE ? 1 : 5;
const BIG = 1_000_000;
// Issue 23: at least 2× the events/s, with less JS-thread CPU per event.
const TARGET = 2;

const source = await startSource(N);
const runs = { sdk: [], fetch: [] };
try {
  // Warm both paths (JIT, connection) before the measured rounds.
  if (!SMOKE) for (const side of ["sdk", "fetch"]) await consume(side, source.origin, N);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ["sdk", "fetch"] : ["fetch", "sdk"];
    for (const side of order) {
      const r = await consume(side, source.origin, N);
      runs[side].push(r);
      log(`sse ${side}: ${fmtRate((N / r.total) * 1000)} events/s, first event after ${fmtMs(r.first)} ms`);
    }
  }
} finally {
  await source.stop();
}

const fig = (side) => {
  const totals = runs[side].map((r) => r.total);
  const firsts = runs[side].map((r) => r.first);
  // CPU summed over the passes: /proc counts in 10 ms ticks.
  const mainCpu = runs[side].reduce((a, r) => a + r.mainCpu, 0) / (N * runs[side].length);
  const processCpu = runs[side].reduce((a, r) => a + r.processCpu, 0) / (N * runs[side].length);
  return { rate: (N / median(totals)) * 1000, total: median(totals), first: median(firsts), mainCpu, processCpu };
};
const cpuCell = (f) => `${(f.mainCpu * 1e6).toFixed(2)} / ${(f.processCpu * 1e6).toFixed(2)}`;
const sdk = fig("sdk");
const base = fig("fetch");
const ratio = sdk.rate / base.rate;

console.log(`#### SSE: ${N.toLocaleString("en-US")} events, \`runs.stream\` vs a plain-JS parser over \`fetch\`\n`);
console.log(
  table(
    ["consumer", "events/s", "first event ms", "whole stream ms", "CPU µs/event: JS thread / process", "ratio", "target", "reached"],
    [
      [
        "`@zaby/sdk` `runs.stream`",
        fmtRate(sdk.rate),
        fmtMs(sdk.first),
        fmtMs(sdk.total),
        cpuCell(sdk),
        fmtRatio(ratio),
        `≥ ${TARGET}×, less JS-thread CPU`,
        mark(ratio >= TARGET && sdk.mainCpu < base.mainCpu),
      ],
      ["plain JS parser over `fetch`", fmtRate(base.rate), fmtMs(base.first), fmtMs(base.total), cpuCell(base), "1×", "", ""],
    ],
  ),
);
console.log(
  `\n${SMOKE ? "Smoke mode: one checked pass per side (all events received in order, ending with `RunFinished`)." : `Median of ${ROUNDS} alternating passes per side after a warm-up pass.`}\n`,
);

if (!SMOKE) {
  const big = await startSource(BIG);
  const mem = {};
  try {
    for (const side of ["sdk", "fetch"]) {
      log(`sse ${side}: ${BIG.toLocaleString("en-US")} events in a fresh process`);
      mem[side] = child(side, big.origin, BIG);
    }
  } finally {
    await big.stop();
  }
  const row = (label, side) => {
    const r = mem[side];
    // RSS once the stream is flowing (10% in) against its peak afterwards.
    const early = r.rss[9];
    const peak = Math.max(...r.rss.slice(9));
    const growth = (peak - early) / MIB;
    const streaming = r.first < r.total / 20;
    return {
      cells: [
        label,
        fmtRate((BIG / r.total) * 1000),
        `${fmtMs(r.first)} / ${fmtMs(r.total)}`,
        mark(streaming),
        `${(early / MIB).toFixed(0)} → ${(peak / MIB).toFixed(0)}`,
        `${growth.toFixed(1)}`,
        mark(growth < 32),
        `${((r.mainCpu / BIG) * 1e6).toFixed(2)} / ${((r.processCpu / BIG) * 1e6).toFixed(2)}`,
      ],
    };
  };
  console.log(`#### SSE: ${BIG.toLocaleString("en-US")} events, first event and memory (fresh process per side)\n`);
  console.log(
    table(
      [
        "consumer",
        "events/s",
        "first event / whole stream ms",
        "first event while streaming",
        "RSS MiB at 10% → peak",
        "growth MiB",
        "flat (< 32 MiB)",
        "CPU µs/event: JS thread / process",
      ],
      [row("`@zaby/sdk` `runs.stream`", "sdk").cells, row("plain JS parser over `fetch`", "fetch").cells],
    ),
  );
  console.log(
    "\nThe body is about 100 MiB; a consumer that buffered it would grow by at least that much and see its first event only at the end." +
      " CPU per event: the JS thread alone (which a consumer shares with the rest of its program) and the whole process" +
      " (the SDK parses SSE and JSON on its own thread).\n",
  );
}
