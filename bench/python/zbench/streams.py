"""SSE consumption: the SDK's `runs.stream` against a pure-Python parser over aiohttp's and
over httpx's byte streams, all reading the same pre-rendered run from `zaby-bench-sse-source`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, AsyncIterator

import aiohttp
import httpx

import zaby

from .sse_parser import parse_stream
from .stats import rss_mib

RUN_PATH = "/api/v1/agent-runtime/runs/run_bench/aiui"


@dataclass
class StreamFigures:
    events: int
    seconds: float
    events_per_s: float
    first_event_ms: float
    total_ms: float
    rss_before_mib: float = 0.0
    rss_peak_mib: float = 0.0
    rss_after_mib: float = 0.0


def zaby_events(origin: str) -> tuple[Any, AsyncIterator[Any]]:
    runtime = zaby.ZabyRuntime(token="bench-token", config=zaby.ZabyGlobalConfig(api_origin=origin))
    return runtime, runtime.runs.stream("run_bench", max_reconnects=0).__aiter__()


async def httpx_events(client: httpx.AsyncClient) -> AsyncIterator[Any]:
    headers = {"accept": "text/event-stream", "authorization": "Bearer bench-token"}
    async with client.stream("GET", RUN_PATH, headers=headers) as response:
        if response.status_code != 200:
            raise RuntimeError(f"the SSE source answered {response.status_code}")
        async for event in parse_stream(response.aiter_bytes()):
            yield event


async def aiohttp_events(session: aiohttp.ClientSession, origin: str) -> AsyncIterator[Any]:
    headers = {"accept": "text/event-stream", "authorization": "Bearer bench-token"}
    async with session.get(origin + RUN_PATH, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"the SSE source answered {response.status}")
        async for event in parse_stream(response.content.iter_any()):
            yield event


async def consume(events: AsyncIterator[Any], expected: int, sample_rss: bool = False) -> StreamFigures:
    """Reads every event; checks they all arrived, in order, the last one terminal."""
    rss_before = rss_peak = rss_mib() if sample_rss else 0.0
    started = time.perf_counter()
    first = 0.0
    count = 0
    last = None
    async for event in events:
        # Every consumer reads the payload, as a real one would.
        data = event.data
        count += 1
        if count == 1:
            first = time.perf_counter() - started
        elif count % 100_000 == 0:
            if event.id != str(count):
                raise RuntimeError(f"event {count} arrived with id {event.id!r}")
            if sample_rss:
                rss_peak = max(rss_peak, rss_mib())
        last = event
    if not isinstance(data, dict):
        raise RuntimeError(f"the last event's data is not an object: {data!r}")
    total = time.perf_counter() - started
    if count != expected or last is None or last.event != "RunFinished" or last.id != str(expected):
        raise RuntimeError(f"stream delivered {count} of {expected} events, last {last!r}")
    rss_after = rss_mib() if sample_rss else 0.0
    return StreamFigures(
        events=count,
        seconds=total,
        events_per_s=count / total,
        first_event_ms=first * 1e3,
        total_ms=total * 1e3,
        rss_before_mib=rss_before,
        rss_peak_mib=max(rss_peak, rss_after),
        rss_after_mib=rss_after,
    )


async def zaby_stream(origin: str, expected: int, sample_rss: bool = False) -> StreamFigures:
    runtime, events = zaby_events(origin)
    try:
        return await consume(events, expected, sample_rss)
    finally:
        await runtime.aclose()


async def httpx_stream(origin: str, expected: int) -> StreamFigures:
    async with httpx.AsyncClient(base_url=origin, timeout=60.0) as client:
        return await consume(httpx_events(client), expected)


async def aiohttp_stream(origin: str, expected: int) -> StreamFigures:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60.0)) as session:
        return await consume(aiohttp_events(session, origin), expected)


async def compare(origin: str, expected: int, rounds: int) -> dict[str, StreamFigures]:
    """Best of `rounds` interleaved runs per side (the best is the least disturbed)."""
    best: dict[str, StreamFigures] = {}
    for _ in range(rounds):
        for side, run in (("zaby", zaby_stream), ("aiohttp", aiohttp_stream), ("httpx", httpx_stream)):
            figures = await run(origin, expected)
            if side not in best or figures.events_per_s > best[side].events_per_s:
                best[side] = figures
    return best
