"""The sync client (`zaby.sync.Zaby`, issue 24) against what a script would use instead —
`requests` and `httpx.Client` — on the same GETs, sequentially and from N threads,
interleaved in rounds like `calls.compare`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx
import requests
import requests.adapters

import zaby
import zaby.sync

from .calls import AGENT_PATH
from .stats import Summary

Call = Callable[[], object]

HEADERS = {"accept": "application/json"}


def _checked(response: requests.Response | httpx.Response, path: str) -> object:
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return response.json()


def requests_calls(origin: str, api_key: str, agent_id: str, threads: int) -> dict[str, Call]:
    """One `requests.Session` per thread (a Session is not documented as thread-safe)."""
    local = threading.local()

    def session() -> requests.Session:
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = requests.Session()
            s.headers.update({**HEADERS, "x-zaby-api-key": api_key, "user-agent": "bench-requests"})
            s.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=max(threads, 10)))
        return s

    def get_json(path: str) -> object:
        return _checked(session().get(origin + path, timeout=30), path)

    agent_path = AGENT_PATH.format(id=agent_id)
    return {"health": lambda: get_json("/health"), "agents_get": lambda: get_json(agent_path)}


def httpx_calls(client: httpx.Client, agent_id: str) -> dict[str, Call]:
    """One pooled `httpx.Client` shared by every thread (it is thread-safe)."""
    agent_path = AGENT_PATH.format(id=agent_id)
    return {
        "health": lambda: _checked(client.get("/health"), "/health"),
        "agents_get": lambda: _checked(client.get(agent_path), agent_path),
    }


def zaby_calls(client: zaby.sync.Zaby, agent_id: str) -> dict[str, Call]:
    return {"health": client.health.check, "agents_get": lambda: client.agents.get(agent_id)}


def measure(call: Call, threads: int, seconds: float) -> tuple[Summary, list[float]]:
    """`threads` threads calling `call` until the deadline; every call must succeed."""
    clock = time.perf_counter
    deadline = clock() + seconds
    per_thread: list[list[float]] = [[] for _ in range(threads)]
    failures: list[BaseException] = []

    def loop(latencies: list[float]) -> None:
        try:
            while clock() < deadline:
                started = clock()
                call()
                latencies.append(clock() - started)
        except BaseException as e:  # re-raised in the caller's thread below
            failures.append(e)

    cpu0, wall0 = time.process_time(), clock()
    workers = [threading.Thread(target=loop, args=(lats,)) for lats in per_thread]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall, cpu = clock() - wall0, time.process_time() - cpu0
    if failures:
        raise failures[0]
    latencies = [x for lats in per_thread for x in lats]
    return Summary.of(latencies, wall, cpu), latencies


@contextmanager
def sides(origin: str, api_key: str, agent_id: str, threads: int) -> Iterator[dict[str, dict[str, Call]]]:
    """The three clients, each as a user would set it up for `threads` threads."""
    with ExitStack() as stack:
        z = stack.enter_context(zaby.sync.Zaby(api_key=api_key, config=zaby.ZabyGlobalConfig(api_origin=origin)))
        limits = httpx.Limits(max_connections=max(threads, 10), max_keepalive_connections=max(threads, 10))
        hx = stack.enter_context(
            httpx.Client(
                base_url=origin,
                headers={**HEADERS, "x-zaby-api-key": api_key, "user-agent": "bench-httpx"},
                limits=limits,
                timeout=30.0,
            )
        )
        yield {
            "zaby.sync": zaby_calls(z, agent_id),
            "requests": requests_calls(origin, api_key, agent_id, threads),
            "httpx.Client": httpx_calls(hx, agent_id),
        }


def compare(
    origin: str, api_key: str, agent_id: str, threads: int, seconds: float, rounds: int
) -> dict[str, dict[str, Summary]]:
    """Every side × endpoint, in `rounds` interleaved rounds of `seconds / rounds` each."""
    out: dict[str, dict[str, Summary]] = {}
    with sides(origin, api_key, agent_id, threads) as all_sides:
        for endpoint in ("health", "agents_get"):
            parts: dict[str, list[Summary]] = {s: [] for s in all_sides}
            lats: dict[str, list[float]] = {s: [] for s in all_sides}
            for _ in range(rounds):
                for side, calls in all_sides.items():
                    # A short warm-up opens the connections for this many threads.
                    measure(calls[endpoint], threads, min(0.2, seconds / rounds / 5))
                    summary, latencies = measure(calls[endpoint], threads, seconds / rounds)
                    parts[side].append(summary)
                    lats[side].extend(latencies)
            for side in all_sides:
                out.setdefault(side, {})[endpoint] = Summary.merge(parts[side], lats[side])
    return out
