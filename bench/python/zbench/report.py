"""The Markdown section of the Python part: figures, baselines, ratios and targets."""

from __future__ import annotations

from dataclasses import dataclass, field

from .stats import Summary
from .streams import StreamFigures

LABELS = {"health": "`health.check` (GET /health)", "agents_get": "`agents.get` (GET …/agents/{id})"}


@dataclass
class Figures:
    smoke: bool
    build: str
    sse_events: int
    sequential: dict[str, dict[str, Summary]] = field(default_factory=dict)
    concurrent: dict[str, dict[str, Summary]] = field(default_factory=dict)
    sync_sequential: dict[str, dict[str, Summary]] = field(default_factory=dict)
    sync_threads: dict[str, dict[str, Summary]] = field(default_factory=dict)
    rust_sequential: dict[str, Summary] = field(default_factory=dict)
    rust_concurrent: dict[str, Summary] = field(default_factory=dict)
    rust_sse: dict = field(default_factory=dict)
    sse: dict[str, StreamFigures] = field(default_factory=dict)
    sse_memory: StreamFigures | None = None
    imports: dict[str, float] = field(default_factory=dict)
    construction: dict[str, float] = field(default_factory=dict)
    first_call: dict[str, float] = field(default_factory=dict)


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _r(x: float) -> str:
    return f"{x:.2f}×"


def _switches(s: Summary) -> str:
    return "" if s.switches_per_call is None else f"{s.switches_per_call:.1f}"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def render(f: Figures) -> str:
    out: list[str] = []
    mode = "smoke mode: a few iterations on debug builds, figures are not meaningful" if f.smoke else "full mode"
    out.append("### Python SDK (`zaby`) vs plain `aiohttp` and `httpx`, and the Rust crate")
    out.append("")
    out.append(f"_{mode}; {f.build}._ Same server, same requests, run back to back in one process.")
    out.append("")
    targets: list[tuple[str, str, str, bool]] = []

    out.append("#### Call overhead")
    out.append("")
    out.append(
        "| call | callers | client | calls/s | p50 µs | p99 µs | client CPU µs/call | context switches/call "
        "| zaby ÷ client |"
    )
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
    worst_cpu = 0.0
    # Goals: zaby ÷ aiohttp (issue 23), zaby ÷ httpx (issue 10).
    for mode_name, table, rust, workers, aiohttp_goal, httpx_goal in (
        ("sequential", f.sequential, f.rust_sequential, "1", 2.0, 4.0),
        ("64 concurrent", f.concurrent, f.rust_concurrent, "64", 3.0, 20.0),
    ):
        for endpoint in LABELS:
            z, a, h = (table[side][endpoint] for side in ("zaby", "aiohttp", "httpx"))
            r = rust[endpoint]
            worst_cpu = max(worst_cpu, z.cpu_us_per_call)
            for name, s in (("zaby (Python)", z), ("aiohttp", a), ("httpx", h), ("zaby (Rust crate)", r)):
                ratio = "" if s is z else _r(z.calls_per_s / s.calls_per_s)
                out.append(
                    f"| {LABELS[endpoint]} | {workers} | {name} | {_n(s.calls_per_s)} | {_n(s.p50_us)} "
                    f"| {_n(s.p99_us)} | {s.cpu_us_per_call:.0f} | {_switches(s)} | {ratio} |"
                )
            for base, s, goal in (("aiohttp", a, aiohttp_goal), ("httpx", h, httpx_goal)):
                ratio = z.calls_per_s / s.calls_per_s
                label = f"{LABELS[endpoint]}, {mode_name}: zaby ÷ {base}"
                targets.append((label, _r(ratio), f"≥ {goal:.0f}×", ratio >= goal))
            to_rust = r.calls_per_s / z.calls_per_s
            targets.append((f"{LABELS[endpoint]}, {mode_name}: Rust ÷ zaby", _r(to_rust), "≤ 3×", to_rust <= 3.0))
    targets.append(("client CPU per call (worst case above)", f"{worst_cpu:.0f} µs", "≤ 100 µs", worst_cpu <= 100))
    out.append("")
    out.append(
        "Client CPU and context switches are the whole client process's, every thread included. A context"
        " switch is a thread going to sleep and being woken: aiohttp's one thread sleeps once per call waiting"
        " for the answer; zaby's call is handed from the asyncio loop to a tokio worker and back, so its loop"
        " and its workers each sleep and wake."
    )
    out.append("")

    out.append("#### Sync client: `zaby.sync.Zaby` vs `requests` and `httpx.Client` (issue 24)")
    out.append("")
    out.append(
        "One `zaby.sync.Zaby` and one `httpx.Client` shared by all threads, one `requests.Session` per thread."
    )
    out.append("")
    out.append("| call | threads | client | calls/s | p50 µs | p99 µs | client CPU µs/call | zaby.sync ÷ client |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|")
    for threads, table in (("1", f.sync_sequential), ("16", f.sync_threads)):
        for endpoint in LABELS:
            z = table["zaby.sync"][endpoint]
            for name, s in table.items():
                s = s[endpoint]
                ratio = "" if s is z else _r(z.calls_per_s / s.calls_per_s)
                out.append(
                    f"| {LABELS[endpoint]} | {threads} | {name} | {_n(s.calls_per_s)} | {_n(s.p50_us)} "
                    f"| {_n(s.p99_us)} | {s.cpu_us_per_call:.0f} | {ratio} |"
                )
    for endpoint in LABELS:
        ratio = f.sync_sequential["zaby.sync"][endpoint].calls_per_s / f.sync_sequential["requests"][endpoint].calls_per_s
        targets.append((f"{LABELS[endpoint]}, sequential: zaby.sync ÷ requests", _r(ratio), "≥ 3×", ratio >= 3))
    out.append("")

    out.append(f"#### SSE: consuming {f.sse_events:,} events")
    out.append("")
    out.append("| consumer | events/s | first event ms | whole stream ms | zaby ÷ consumer |")
    out.append("|---|---:|---:|---:|---:|")
    z = f.sse["zaby"]
    rows = [("zaby `runs.stream` (Python)", z.events_per_s, z.first_event_ms, z.total_ms)]
    for base in ("aiohttp", "httpx"):
        b = f.sse[base]
        rows.append((f"pure-Python parser over {base}", b.events_per_s, b.first_event_ms, b.total_ms))
    rows.append(("zaby Rust crate", f.rust_sse["events_per_s"], f.rust_sse["first_event_ms"], f.rust_sse["total_ms"]))
    for name, eps, first, total in rows:
        ratio = "" if name.startswith("zaby `") else _r(z.events_per_s / eps)
        out.append(f"| {name} | {_n(eps)} | {first:.1f} | {total:,.0f} | {ratio} |")
    out.append("")
    for base in ("aiohttp", "httpx"):
        sse_ratio = z.events_per_s / f.sse[base].events_per_s
        targets.append((f"SSE: zaby ÷ pure-Python parser over {base}", _r(sse_ratio), "≥ 3×", sse_ratio >= 3))
    # The longer stream shows best whether events flow before the body has arrived.
    s_first = f.sse_memory if f.sse_memory is not None else z
    early = s_first.first_event_ms <= 0.05 * s_first.total_ms
    targets.append(
        (
            f"SSE: first event while the stream is still arriving ({s_first.events:,} events)",
            f"{s_first.first_event_ms:.1f} ms of {s_first.total_ms:,.0f} ms",
            "first event within the first 5% of the stream",
            early,
        )
    )
    if f.sse_memory is not None:
        m = f.sse_memory
        growth = m.rss_peak_mib - m.rss_before_mib
        out.append(
            f"Memory over a {m.events:,}-event stream (zaby, {_n(m.events_per_s)} events/s): RSS "
            f"{m.rss_before_mib:.1f} MiB before, {m.rss_peak_mib:.1f} MiB at peak, {m.rss_after_mib:.1f} MiB after."
        )
        out.append("")
        targets.append(
            (f"SSE: memory flat over {m.events:,} events", f"+{growth:.1f} MiB", "< +32 MiB (the body is 130 MB)", growth < 32)
        )

    out.append("#### Import and construction")
    out.append("")
    out.append("| | zaby | httpx |")
    out.append("|---|---:|---:|")
    out.append(
        f"| `python -c \"import X\"` minus `python -c pass` ({f.imports['python']:.0f} ms), median ms "
        f"| {f.imports['zaby']:.1f} | {f.imports['httpx']:.1f} |"
    )
    out.append(
        f"| constructing a client (`Zaby(api_key=…)` / `httpx.AsyncClient()`), µs "
        f"| {f.construction['zaby']:.1f} | {f.construction['httpx']:.1f} |"
    )
    out.append(
        f"| a fresh client's construction plus its first `GET /health` (median ms; the connection "
        f"pool and TLS setup are built on first use) | {f.first_call['zaby']:.2f} | {f.first_call['httpx']:.2f} |"
    )
    out.append("")
    targets.append(("`import zaby`", f"{f.imports['zaby']:.1f} ms", "≤ 10 ms", f.imports["zaby"] <= 10))
    targets.append(("constructing `Zaby(api_key=…)`", f"{f.construction['zaby']:.1f} µs", "≤ 1 ms", f.construction["zaby"] <= 1000))

    out.append("#### Targets (issues 10, 23, 24)")
    out.append("")
    out.append("| target | measured | goal | reached |")
    out.append("|---|---:|---|---|")
    for name, measured, goal, ok in targets:
        out.append(f"| {name} | {measured} | {goal} | {_yes(ok)} |")
    return "\n".join(out)
