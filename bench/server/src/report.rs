//! The Markdown section: one column per database, the targets of issue 10 and
//! whether they were reached.

use std::fmt::Write;
use std::time::Duration;

use crate::Plan;
use crate::measure::{Idle, Quantiles, Sequential, Throughput};
use crate::runtime::MESSAGE;

pub struct Backend {
    pub name: String,
    pub sequential: Sequential,
    pub throughput: Throughput,
    pub idle: Idle,
}

fn ms(d: Duration) -> String {
    let v = d.as_secs_f64() * 1000.0;
    if v < 10.0 { format!("{v:.2} ms") } else { format!("{v:.1} ms") }
}

fn p50_p99(q: &Quantiles) -> String {
    format!("{} / {}", ms(q.p50), ms(q.p99))
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1_048_576.0)
}

fn yes(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn row(out: &mut String, what: &str, bs: &[Backend], cell: impl Fn(&Backend) -> String, target: &str, reached: &str) {
    let cells: Vec<String> = bs.iter().map(cell).collect();
    let _ = writeln!(out, "| {what} | {} | {target} | {reached} |", cells.join(" | "));
}

pub fn markdown(version: &str, plan: &Plan, smoke: bool, bs: &[Backend]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "### Server: runs, streams, memory ({version}, release build)\n");
    let _ = writeln!(
        o,
        "A Rust load generator (`bench/server`, reqwest, one process) against a local `zaby-server` on a fresh \
         database each: SQLite (WAL, the default settings) and PostgreSQL (a throwaway cluster of \
         `tests/support/postgres.sh`: `fsync=off`, `synchronous_commit=off`). Set-up through the Rust SDK: an agent \
         on the development model, published, deployed (`ACTIVE`), an external app bound to the deployment without \
         a rate limit, a token policy without limits (no `maxConcurrentRuns`, unlimited uses), one runtime token per \
         end user. A measured run is what a user of a chat sees: `POST /agent-runtime/runs` with \
         `respondAsync: true` (E119), then the stream `GET …/runs/{{id}}/aiui` (E121) read until `RunFinished`; the \
         message {MESSAGE:?} gets the answer `You said: {MESSAGE}` in {} events (`RunStarted`, `text` × {}, \
         `RunFinished`). Times are measured from just before the start request.\n",
        bs.first().map_or(0, |b| b.sequential.events_per_run),
        bs.first().map_or(0, |b| b.sequential.events_per_run.saturating_sub(2)),
    );
    let names: Vec<&str> = bs.iter().map(|b| b.name.as_str()).collect();
    let _ = writeln!(o, "| measurement | {} | target (issue 10) | reached |", names.join(" | "));
    let _ = writeln!(o, "|---|{}---|---|", "---|".repeat(bs.len()));
    let sqlite = bs.iter().find(|b| b.name == "SQLite");

    let n_seq = bs.first().map_or(0, |b| b.sequential.finish.n);
    let p50_ok = sqlite.is_some_and(|b| b.sequential.finish.p50 <= Duration::from_millis(5));
    row(
        &mut o,
        &format!("start → `RunFinished`, p50 / p99 ({n_seq} sequential runs)"),
        bs,
        |b| p50_p99(&b.sequential.finish),
        "p50 ≤ 5 ms on SQLite",
        yes(p50_ok),
    );
    row(&mut o, "start → first event on the stream, p50 / p99", bs, |b| p50_p99(&b.sequential.first_event), "–", "");
    row(&mut o, "start request alone (E119, 201), p50 / p99", bs, |b| p50_p99(&b.sequential.start), "–", "");
    row(
        &mut o,
        "baseline: `GET /health` on the same connection, p50 / p99",
        bs,
        |b| p50_p99(&b.sequential.health),
        "–",
        "",
    );
    row(
        &mut o,
        "ratio: run (start → `RunFinished`) p50 / `GET /health` p50",
        bs,
        |b| format!("{:.1}×", b.sequential.finish.p50.as_secs_f64() / b.sequential.health.p50.as_secs_f64().max(1e-9)),
        "–",
        "",
    );
    row(
        &mut o,
        "server CPU / context switches per sequential run (with its `GET /health`)",
        bs,
        |b| {
            format!(
                "{:.0} µs / {:.0}",
                b.sequential.server_cpu_per_run.as_secs_f64() * 1e6,
                b.sequential.switches_per_run
            )
        },
        "–",
        "",
    );

    let rps_ok = sqlite.is_some_and(|b| b.throughput.per_second() >= 1000.0);
    let clients = bs.first().map_or(plan.clients, |b| b.throughput.clients);
    row(
        &mut o,
        &format!("runs/s, {clients} concurrent clients, {:?} (start + stream to `RunFinished`)", plan.throughput_for),
        bs,
        |b| format!("{:.0} ({} runs)", b.throughput.per_second(), b.throughput.runs),
        "≥ 1,000 on SQLite",
        yes(rps_ok),
    );
    row(&mut o, "start → `RunFinished` under that load, p50 / p99", bs, |b| p50_p99(&b.throughput.finish), "–", "");
    row(
        &mut o,
        "server CPU per run under that load",
        bs,
        |b| format!("{:.0} µs", b.throughput.server_cpu.as_secs_f64() * 1e6 / b.throughput.runs.max(1) as f64),
        "–",
        "",
    );

    let n_idle = bs.first().map_or(plan.idle_streams, |b| b.idle.streams);
    // Issue 17's goal, for 10,000 streams.
    let rss_ok = bs.iter().all(|b| b.idle.rss_with_streams <= 250 << 20);
    let rss_reached =
        if smoke { format!("{} (smoke: {n_idle} streams)", yes(rss_ok)) } else { yes(rss_ok).to_string() };
    row(
        &mut o,
        &format!("server RSS with {n_idle} open idle streams (runs waiting for an approval)"),
        bs,
        |b| mib(b.idle.rss_with_streams),
        "≤ 250 MiB with 10,000",
        &rss_reached,
    );
    row(&mut o, "server RSS before those runs and streams", bs, |b| mib(b.idle.rss_before), "–", "");
    row(
        &mut o,
        "RSS per waiting run with its stream",
        bs,
        |b| {
            format!(
                "{:.1} KiB",
                b.idle.rss_with_streams.saturating_sub(b.idle.rss_before) as f64
                    / 1024.0
                    / b.idle.streams.max(1) as f64
            )
        },
        "–",
        "",
    );
    row(
        &mut o,
        "server CPU while those streams are idle (share of one core)",
        bs,
        |b| format!("{:.1} %", b.idle.idle_cpu_share * 100.0),
        "≤ 2 %",
        yes(bs.iter().all(|b| b.idle.idle_cpu_share <= 0.02)),
    );
    row(
        &mut o,
        "server context switches per second while those streams are idle",
        bs,
        |b| format!("{:.0}", b.idle.idle_switches_per_s),
        "–",
        "",
    );
    row(
        &mut o,
        "time to start those runs and open their streams (64 at a time)",
        bs,
        |b| format!("{:.1} s", b.idle.setup.as_secs_f64()),
        "–",
        "",
    );
    let _ = writeln!(o);
    if smoke {
        let _ = writeln!(o, "Smoke mode: a few iterations only; the figures are not meaningful.\n");
    }
    o
}
