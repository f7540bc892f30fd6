"""Measures zaby-server, and LangGraph's dev server when one is given, with the same
client in alternating rounds; prints the Markdown section on stdout, progress on stderr.

    python -m lgbench --zaby-origin URL --zaby-pid PID [--langgraph-origin URL
        --langgraph-pid PID | --langgraph-skipped WHY] [--server-report PATH] [--smoke]

Env: ZABY_BENCH_API_KEY (the zaby-server tenant's API key)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import httpx

from . import client, measure, procs, report, zaby_setup


def log(msg: str) -> None:
    print(f"bench/langgraph: {msg}", file=sys.stderr, flush=True)


async def main(a: argparse.Namespace) -> str:
    smoke = a.smoke
    clients = 32
    rounds, seq_runs, seq_budget, seconds, warmup = (1, 5, 2.0, 1.0, 2) if smoke else (3, 300, 3.0, 5.0, 20)
    limits = httpx.Limits(max_connections=2 * clients, max_keepalive_connections=2 * clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        tokens = await zaby_setup.runtime_tokens(a.zaby_origin, os.environ["ZABY_BENCH_API_KEY"], clients)
        servers = [("zaby-server", a.zaby_pid, [client.zaby_run(http, a.zaby_origin, t) for t in tokens])]
        if a.langgraph_origin:
            runs = [await client.langgraph_run(http, a.langgraph_origin) for _ in range(clients)]
            servers.append(("LangGraph", a.langgraph_pid, runs))
        totals = {name: measure.Totals() for name, _, _ in servers}
        for name, _, runs in servers:
            log(f"{name}: warm-up")
            await measure.sequential(runs[0], warmup, seq_budget, measure.Totals())
        for r in range(rounds):
            for name, pid, runs in servers if r % 2 == 0 else servers[::-1]:
                log(f"round {r + 1}/{rounds}, {name}: sequential runs, then {clients} clients for {seconds:g} s")
                await measure.sequential(runs[0], seq_runs, seq_budget, totals[name])
                await measure.concurrent(runs, seconds, pid, totals[name])
        for name, pid, _ in servers:
            totals[name].rss = procs.rss_bytes(pid)
    return report.markdown(
        totals["zaby-server"],
        totals.get("LangGraph"),
        a.langgraph_skipped,
        clients,
        seconds,
        rounds,
        a.versions,
        a.server_report,
        smoke,
    )


def args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="lgbench")
    p.add_argument("--zaby-origin", required=True)
    p.add_argument("--zaby-pid", type=int, required=True)
    p.add_argument("--langgraph-origin")
    p.add_argument("--langgraph-pid", type=int)
    p.add_argument("--langgraph-skipped", default="", help="why LangGraph is not measured")
    p.add_argument("--server-report", help="the server part's Markdown section (the Rust load generator's figures)")
    p.add_argument("--versions", default="", help="a sentence naming the versions measured")
    p.add_argument("--smoke", action="store_true")
    a = p.parse_args()
    if bool(a.langgraph_origin) != bool(a.langgraph_pid):
        p.error("--langgraph-origin and --langgraph-pid go together")
    return a


if __name__ == "__main__":
    try:
        print(asyncio.run(main(args())))
    except (RuntimeError, httpx.HTTPError) as e:
        log(f"failed: {e}")
        sys.exit(1)
