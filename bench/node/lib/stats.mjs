/** Figures of a measurement and their Markdown rendering. */

/** The value below which `q` (0..1) of the sorted samples fall (nearest rank). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** Calls/s and latency quantiles (ms) of latency samples taken over `seconds`. */
export function summarize(latenciesMs, seconds) {
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    count: sorted.length,
    perSecond: sorted.length / seconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
  };
}

export function fmtRate(n) {
  if (!Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString("en-US");
}

export function fmtMs(ms) {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function fmtRatio(r) {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : "—";
}

export function mark(reached) {
  return reached ? "yes" : "**no**";
}

export function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Progress goes to stderr; stdout carries only the report. */
export function log(...args) {
  process.stderr.write(`[bench/node] ${args.join(" ")}\n`);
}

export function smoke() {
  return process.env.ZABY_BENCH_SMOKE === "1";
}
