/**
 * Cold start: `node -e "import('@zaby/sdk')"` against `node -e 0` in fresh processes
 * (alternating, median of each, the difference is the import's cost), the import timed
 * inside the process against the package's pure-TypeScript build (the same specifier
 * under `--conditions=browser`: no public Zaby TypeScript SDK is on npm, and this is
 * what one would be, a TypeScript client over `fetch`), and client construction — the
 * first in a fresh process and the steady state.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadSdk, sdkDir } from "./lib/sdk.mjs";
import { fmtMs, log, mark, median, smoke, table } from "./lib/stats.mjs";

const SMOKE = smoke();
const PROCESSES = SMOKE ? 3 : 21;
const CONSTRUCTIONS = SMOKE ? 100 : 5000;

// A project that depends on the package, so the bare specifier resolves as for a user.
const project = mkdtempSync(join(tmpdir(), "zaby-bench-node-"));
try {
  mkdirSync(join(project, "node_modules", "@zaby"), { recursive: true });
  symlinkSync(sdkDir(), join(project, "node_modules", "@zaby", "sdk"), "dir");

  const timed = (code, flags = []) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [...flags, "-e", code], { cwd: project, encoding: "utf8" });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`node -e ${JSON.stringify(code)} failed: ${r.stderr}`);
    return { ms, out: r.stdout };
  };
  const firstConstruction =
    "import('@zaby/sdk').then(({ Zaby }) => { const t = performance.now(); new Zaby({ apiKey: 'zaby_pk_bench' });" +
    " console.log(performance.now() - t); })";

  // The import alone, timed inside the process (no process start-up in the figure).
  const importInside =
    "const t = performance.now(); import('@zaby/sdk').then(() => console.log(performance.now() - t))";
  const pureTs = ["--conditions=browser"];

  const empty = [];
  const withSdk = [];
  const inside = [];
  const insidePureTs = [];
  const first = [];
  timed("0"); // page cache and the like, for both
  timed("import('@zaby/sdk')");
  timed("import('@zaby/sdk')", pureTs);
  for (let i = 0; i < PROCESSES; i++) {
    empty.push(timed("0").ms);
    withSdk.push(timed("import('@zaby/sdk')").ms);
    inside.push(Number(timed(importInside).out.trim()));
    insidePureTs.push(Number(timed(importInside, pureTs).out.trim()));
    first.push(Number(timed(firstConstruction).out.trim()));
  }
  const importMs = median(withSdk) - median(empty);
  const importTs = median(insidePureTs);
  log(`cold start: node -e 0 ${fmtMs(median(empty))} ms, with the import ${fmtMs(median(withSdk))} ms`);

  const { Zaby, ZabyRuntime } = await loadSdk();
  const steady = (make) => {
    const samples = [];
    const clients = [];
    for (let i = 0; i < CONSTRUCTIONS; i++) {
      const t0 = performance.now();
      clients.push(make());
      samples.push(performance.now() - t0);
    }
    return { ms: median(samples), clients };
  };
  const zaby = steady(() => new Zaby({ apiKey: "zaby_pk_bench", config: { apiOrigin: "http://127.0.0.1:9" } }));
  const runtime = steady(() => new ZabyRuntime({ token: "zaby_rt_bench", config: { apiOrigin: "http://127.0.0.1:9" } }));
  await Promise.all([...zaby.clients, ...runtime.clients].map((c) => c.close()));

  // The first call of a new client against the second: what a client built per request pays.
  const origin = process.env.ZABY_BENCH_ORIGIN;
  const firstCall = [];
  const secondCall = [];
  if (origin) {
    for (let i = 0; i < (SMOKE ? 3 : 20); i++) {
      const client = new Zaby({ apiKey: "zaby_pk_bench", config: { apiOrigin: origin } });
      for (const samples of [firstCall, secondCall]) {
        const t0 = performance.now();
        const body = await client.health.check();
        samples.push(performance.now() - t0);
        if (body?.status !== "ok") throw new Error(`health.check returned ${JSON.stringify(body)}`);
      }
      await client.close();
    }
  }

  console.log("#### Cold start and client construction\n");
  console.log(
    table(
      ["measure", "median ms", "target", "reached"],
      [
        ["`node -e 0`", fmtMs(median(empty)), "", ""],
        ["`node -e \"import('@zaby/sdk')\"`", fmtMs(median(withSdk)), "", ""],
        ["import cost (difference)", fmtMs(importMs), "", ""],
        ["`import('@zaby/sdk')` timed in the process", fmtMs(median(inside)), `≤ ${fmtMs(importTs)} ms (pure TS)`, mark(median(inside) <= importTs)],
        ["the same, pure-TypeScript build (`--conditions=browser`)", fmtMs(importTs), "", ""],
        ["first `new Zaby(…)` in a fresh process (it loads the addon)", fmtMs(median(first)), "≤ 1 ms", mark(median(first) <= 1)],
        ["`new Zaby(…)`, steady state", fmtMs(zaby.ms), "≤ 1 ms", mark(zaby.ms <= 1)],
        ["`new ZabyRuntime(…)`, steady state", fmtMs(runtime.ms), "≤ 1 ms", mark(runtime.ms <= 1)],
        ...(origin
          ? [
              ["first `health.check` of a new client", fmtMs(median(firstCall)), "", ""],
              ["second `health.check` of that client", fmtMs(median(secondCall)), "", ""],
            ]
          : []),
      ],
    ),
  );
  console.log(
    `\nThe addon is loaded by the first client, not by the import. Medians of ${PROCESSES} fresh processes each (alternating), of ${CONSTRUCTIONS.toLocaleString("en-US")} constructions` +
      `${origin ? ` and of the first two calls of ${firstCall.length} new clients` : ""}.\n`,
  );
} finally {
  rmSync(project, { recursive: true, force: true });
}
