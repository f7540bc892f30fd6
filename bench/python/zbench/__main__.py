"""Runs the Python part of the benchmarks and prints its Markdown section to stdout.

    python -m zbench --origin URL --sse-origin URL --sse-events N --rust-bin PATH [--smoke]

The API key comes from ZABY_BENCH_API_KEY. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

import zaby

from . import calls, startup, streams, sync_calls
from .report import Figures, render
from .stats import Summary


def log(message: str) -> None:
    print(f"bench/python: {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="zbench")
    p.add_argument("--origin", required=True, help="a running zaby-server")
    p.add_argument("--sse-origin", required=True, help="a zaby-bench-sse-source")
    p.add_argument("--sse-events", type=int, required=True)
    p.add_argument("--big-sse-origin", help="a source of 1,000,000 events, for the memory check")
    p.add_argument("--big-sse-events", type=int, default=0)
    p.add_argument("--rust-bin", required=True, help="zaby-bench-calls")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--build", default="", help="how the zaby package was built, for the report")
    return p.parse_args()


async def prepare_agent(origin: str, api_key: str) -> str:
    async with zaby.Zaby(api_key=api_key, config=zaby.ZabyGlobalConfig(api_origin=origin)) as client:
        suffix = f"{os.getpid()}-{int(time.time())}"
        agent = await client.agents.create({"slug": f"bench-{suffix}", "name": "Bench agent"})
        return str(agent["id"])


async def measure_calls(args, api_key: str, agent_id: str, seconds: float, rounds: int, workers: int):
    config = zaby.ZabyGlobalConfig(api_origin=args.origin)
    async with zaby.Zaby(api_key=api_key, config=config) as client:
        async with calls.httpx_client(args.origin, api_key, workers) as hx, calls.aiohttp_session(api_key, workers) as ah:
            sides = {
                "zaby": calls.zaby_calls(client, agent_id),
                "aiohttp": calls.aiohttp_calls(ah, args.origin, agent_id),
                "httpx": calls.httpx_calls(hx, agent_id),
            }
            return await calls.compare(sides, workers, seconds, rounds)


def run_rust(args, api_key: str, agent_id: str, seconds: float) -> dict:
    command = [
        args.rust_bin,
        "--origin", args.origin,
        "--agent-id", agent_id,
        "--sse-origin", args.sse_origin,
        "--sse-events", str(args.sse_events),
        "--seconds", str(seconds),
        "--concurrency", "64",
        "--stream-rounds", "1" if args.smoke else "3",
    ]  # fmt: skip
    env = dict(os.environ, ZABY_BENCH_API_KEY=api_key)
    done = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout)


def main() -> int:
    args = parse_args()
    api_key = os.environ["ZABY_BENCH_API_KEY"]
    seconds = 0.3 if args.smoke else 4.0
    rounds = 1 if args.smoke else 2
    stream_rounds = 1 if args.smoke else 3

    agent_id = asyncio.run(prepare_agent(args.origin, api_key))
    log(f"agent {agent_id} created")

    figures = Figures(smoke=args.smoke, build=args.build, sse_events=args.sse_events)
    log("calls, sequential")
    figures.sequential = asyncio.run(measure_calls(args, api_key, agent_id, seconds, rounds, 1))
    log("calls, 64 concurrent")
    figures.concurrent = asyncio.run(measure_calls(args, api_key, agent_id, seconds, rounds, 64))
    log("sync client, sequential and 16 threads")
    figures.sync_sequential = sync_calls.compare(args.origin, api_key, agent_id, 1, seconds, rounds)
    figures.sync_threads = sync_calls.compare(args.origin, api_key, agent_id, 16, seconds, rounds)
    log("Rust crate")
    rust = run_rust(args, api_key, agent_id, seconds)
    figures.rust_sequential = {k: Summary.from_json(v["sequential"]) for k, v in rust["calls"].items()}
    figures.rust_concurrent = {k: Summary.from_json(v["concurrent"]) for k, v in rust["calls"].items()}
    figures.rust_sse = rust["sse"]

    log("SSE")
    figures.sse = asyncio.run(streams.compare(args.sse_origin, args.sse_events, stream_rounds))
    if args.big_sse_origin:
        log(f"SSE memory, {args.big_sse_events:,} events")
        figures.sse_memory = asyncio.run(streams.zaby_stream(args.big_sse_origin, args.big_sse_events, True))

    log("import and construction")
    figures.imports = startup.import_costs(5 if args.smoke else 21)
    figures.construction = startup.construction_us(100 if args.smoke else 5000)
    figures.first_call = asyncio.run(startup.first_call_ms(args.origin, api_key, 3 if args.smoke else 11))

    print(render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
