"""SDK call overhead: `zaby`, plain `aiohttp.ClientSession` and plain `httpx.AsyncClient` doing
the same requests against the same server, sequentially and with N concurrent callers, interleaved in rounds so that
machine noise hits both sides alike."""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

import aiohttp
import httpx

import zaby

from .stats import Summary, context_switches

Call = Callable[[], Awaitable[object]]

AGENT_PATH = "/api/v1/provisioning/agentic-os/agents/{id}"


def httpx_client(origin: str, api_key: str, concurrency: int) -> httpx.AsyncClient:
    """What a user would write instead of the SDK: one pooled client, the SDK's headers."""
    return httpx.AsyncClient(
        base_url=origin,
        headers={
            "x-zaby-api-key": api_key,
            "accept": "application/json",
            "user-agent": "bench-httpx",
        },
        limits=httpx.Limits(max_connections=max(concurrency, 10), max_keepalive_connections=max(concurrency, 10)),
        timeout=30.0,
    )


def httpx_calls(client: httpx.AsyncClient, agent_id: str) -> dict[str, Call]:
    agent_path = AGENT_PATH.format(id=agent_id)

    async def get_json(path: str) -> object:
        response = await client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        return response.json()

    return {"health": lambda: get_json("/health"), "agents_get": lambda: get_json(agent_path)}


def aiohttp_session(api_key: str, concurrency: int) -> aiohttp.ClientSession:
    """aiohttp, the fastest pure-Python asyncio client: one pooled session, the SDK's headers."""
    return aiohttp.ClientSession(
        headers={"x-zaby-api-key": api_key, "accept": "application/json", "user-agent": "bench-aiohttp"},
        connector=aiohttp.TCPConnector(limit=max(concurrency, 10)),
        timeout=aiohttp.ClientTimeout(total=30.0),
    )


def aiohttp_calls(session: aiohttp.ClientSession, origin: str, agent_id: str) -> dict[str, Call]:
    health_url, agent_url = f"{origin}/health", origin + AGENT_PATH.format(id=agent_id)

    async def get_json(url: str) -> object:
        async with session.get(url) as response:
            if response.status != 200:
                raise RuntimeError(f"GET {url} answered {response.status}")
            return await response.json()

    return {"health": lambda: get_json(health_url), "agents_get": lambda: get_json(agent_url)}


def zaby_calls(client: zaby.Zaby, agent_id: str) -> dict[str, Call]:
    return {"health": client.health.check, "agents_get": lambda: client.agents.get(agent_id)}


async def measure(call: Call, workers: int, seconds: float) -> tuple[Summary, list[float]]:
    """`workers` loops calling `call` until the deadline; every call must succeed."""
    latencies: list[float] = []
    clock = time.perf_counter
    deadline = clock() + seconds

    async def loop() -> None:
        append = latencies.append
        while clock() < deadline:
            started = clock()
            await call()
            append(clock() - started)

    cpu0, switches0, wall0 = time.process_time(), context_switches(), clock()
    await asyncio.gather(*(loop() for _ in range(workers)))
    wall, cpu, switches = clock() - wall0, time.process_time() - cpu0, context_switches() - switches0
    return Summary.of(latencies, wall, cpu, switches), latencies


async def compare(
    sides: dict[str, dict[str, Call]], workers: int, seconds: float, rounds: int
) -> dict[str, dict[str, Summary]]:
    """Every side × endpoint, in `rounds` interleaved rounds of `seconds / rounds` each."""
    out: dict[str, dict[str, Summary]] = {}
    endpoints = next(iter(sides.values())).keys()
    for endpoint in endpoints:
        parts: dict[str, list[Summary]] = {s: [] for s in sides}
        lats: dict[str, list[float]] = {s: [] for s in sides}
        for _ in range(rounds):
            for side, calls in sides.items():
                # A short warm-up fills the pool for this concurrency.
                await measure(calls[endpoint], workers, min(0.2, seconds / rounds / 5))
                summary, latencies = await measure(calls[endpoint], workers, seconds / rounds)
                parts[side].append(summary)
                lats[side].extend(latencies)
        for side in sides:
            out.setdefault(side, {})[endpoint] = Summary.merge(parts[side], lats[side])
    return out
