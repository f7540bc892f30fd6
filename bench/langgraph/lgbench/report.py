"""The Markdown section: both servers under the same Python client, the ratios, and the
Rust load generator's figures for zaby-server (SQLite) from the server part's section."""

from __future__ import annotations

from pathlib import Path

from zbench.stats import percentile

from .client import MESSAGE
from .measure import Totals


def _ms(s: float) -> str:
    v = s * 1000
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms"


def _p50_p99(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"{_ms(percentile(xs, 0.5))} / {_ms(percentile(xs, 0.99))}"


def _ratio(lg: float, zaby: float) -> str:
    return f"{lg / zaby:.1f}×" if zaby > 0 and lg > 0 else "–"


def rust_figures(path: str | None) -> dict[str, str]:
    """The SQLite column of the server part's table, keyed by the start of the row's label;
    empty when that section is missing (the part failed or was not run)."""
    if not path or not Path(path).is_file():
        return {}
    rows = [line.strip().strip("|").split("|") for line in Path(path).read_text().splitlines() if line.startswith("|")]
    header = next((r for r in rows if r[0].strip() == "measurement"), None)
    if not header or "SQLite" not in [c.strip() for c in header]:
        return {}
    col = [c.strip() for c in header].index("SQLite")
    return {r[0].strip(): r[col].strip() for r in rows if len(r) > col}


def _rust(figures: dict[str, str], label_start: str) -> str:
    return next((v for k, v in figures.items() if k.startswith(label_start)), "–")


def markdown(
    zaby: Totals,
    lg: Totals | None,
    skipped: str,
    clients: int,
    seconds: float,
    rounds: int,
    versions: str,
    server_report: str | None,
    smoke: bool,
) -> str:
    rust = rust_figures(server_report)
    o = ["### zaby-server side by side with LangGraph's dev server\n"]
    o.append(
        "One Python asyncio client (`bench/langgraph`, httpx, one process) for both servers, alternating "
        f"rounds ({rounds} of them: each server in turn gets its sequential runs, then {clients} concurrent "
        f"clients for {seconds:g} s). A run answers {MESSAGE!r} with `You said: {MESSAGE}`: on zaby-server the "
        "development model (SQLite, a fresh database; start with `respondAsync: true`, then the stream read "
        "until `RunFinished`); on LangGraph a one-node echo graph under `langgraph dev --no-browser --no-reload "
        f"--n-jobs-per-worker {clients}` (in-memory runtime, tracing and analytics off; "
        "`POST /threads/{id}/runs/stream` read to its end). Each client has its own end user's token or "
        "thread. Server CPU is user + system time of the server's whole process tree over the loaded "
        "windows, divided by the runs; RSS is the tree's after the last round. "
        f"{versions}\n"
    )
    lg_cell = (lambda f: f(lg)) if lg else (lambda f: "not run")
    o.append(
        "| measurement | zaby-server (Python client) | LangGraph dev (Python client) | LangGraph ÷ zaby-server "
        "| zaby-server (Rust load generator, SQLite) |"
    )
    o.append("|---|---:|---:|---:|---:|")

    def row(what: str, cell, ratio: str, rust_cell: str) -> None:
        o.append(f"| {what} | {cell(zaby)} | {lg_cell(cell)} | {ratio if lg else '–'} | {rust_cell} |")

    def p(q: float, xs: list[float]) -> float:
        return percentile(sorted(xs), q)

    row(
        f"start → end of the stream, sequential, p50 / p99 ({len(zaby.sequential)} / "
        f"{len(lg.sequential) if lg else 0} runs)",
        lambda t: _p50_p99(t.sequential),
        f"{_ratio(p(0.5, lg.sequential), p(0.5, zaby.sequential))} / "
        f"{_ratio(p(0.99, lg.sequential), p(0.99, zaby.sequential))}"
        if lg
        else "",
        _rust(rust, "start → `RunFinished`, p50 / p99"),
    )
    row(
        f"runs/s, {clients} concurrent clients",
        lambda t: f"{t.runs_per_s():,.0f} ({t.loaded_runs} runs)",
        _ratio(lg.runs_per_s(), zaby.runs_per_s()) if lg else "",
        _rust(rust, "runs/s"),
    )
    row(
        "start → end of the stream under that load, p50 / p99",
        lambda t: _p50_p99(t.loaded),
        f"{_ratio(p(0.5, lg.loaded), p(0.5, zaby.loaded))} / {_ratio(p(0.99, lg.loaded), p(0.99, zaby.loaded))}"
        if lg
        else "",
        _rust(rust, "start → `RunFinished` under that load"),
    )
    row(
        "server CPU per run under that load",
        lambda t: f"{t.cpu_per_run() * 1e6:,.0f} µs",
        _ratio(lg.cpu_per_run(), zaby.cpu_per_run()) if lg else "",
        _rust(rust, "server CPU per run"),
    )
    row(
        "server RSS after the rounds",
        lambda t: f"{t.rss / 1048576:.1f} MiB",
        _ratio(lg.rss, zaby.rss) if lg else "",
        "–",
    )
    o.append("")
    o.append(
        "A ratio above 1× means LangGraph takes more (time, CPU, memory), or, for runs/s, does more. "
        "Both servers and the client share the same cores, as in the server part."
    )
    if not lg:
        o.append(f"\n**LangGraph was not measured:** {skipped}")
    if smoke:
        o.append("\nSmoke mode: a few iterations only; the figures are not meaningful.")
    o.append("")
    return "\n".join(o)
