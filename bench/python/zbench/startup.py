"""Import / cold start: fresh interpreters importing `zaby` or `httpx`, and the cost of
constructing a client in a warm process."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

# The import as a user has it: bytecode cached (pip compiles it at install). With
# PYTHONDONTWRITEBYTECODE set, a source tree's modules would be compiled on every run.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _median_ms(code: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=_ENV)
        samples.append((time.perf_counter() - started) * 1e3)
    return statistics.median(samples)


def import_costs(runs: int) -> dict[str, float]:
    """Median wall time of `python -c "import X"` minus that of `python -c pass`, in ms."""
    for code in ("pass", "import zaby", "import httpx"):  # warm the page cache first
        _median_ms(code, 1)
    # Interleaved so drifting load affects all three alike.
    samples: dict[str, list[float]] = {"pass": [], "zaby": [], "httpx": []}
    for _ in range(runs):
        samples["pass"].append(_median_ms("pass", 1))
        samples["zaby"].append(_median_ms("import zaby", 1))
        samples["httpx"].append(_median_ms("import httpx", 1))
    base = statistics.median(samples["pass"])
    return {
        "python": base,
        "zaby": statistics.median(samples["zaby"]) - base,
        "httpx": statistics.median(samples["httpx"]) - base,
    }


def construction_us(iterations: int) -> dict[str, float]:
    """Median µs to build `Zaby(api_key=…)` and `httpx.AsyncClient()`, in batches of 10."""
    import httpx

    import zaby

    def per_call(make, iterations: int) -> float:
        batches = []
        for _ in range(max(iterations // 10, 3)):
            started = time.perf_counter()
            for _ in range(10):
                make()
            batches.append((time.perf_counter() - started) / 10 * 1e6)
        return statistics.median(batches)

    per_call(lambda: zaby.Zaby(api_key="zaby_pk_construct"), 10)  # warm
    return {
        "zaby": per_call(lambda: zaby.Zaby(api_key="zaby_pk_construct"), iterations),
        # An httpx client builds its TLS context at once (~20 ms): a few dozen suffice.
        "httpx": per_call(
            lambda: httpx.AsyncClient(headers={"x-zaby-api-key": "zaby_pk_construct"}), min(iterations, 50)
        ),
    }


async def first_call_ms(origin: str, api_key: str, clients: int) -> dict[str, float]:
    """Median ms from constructing a fresh client to its first `GET /health` answered:
    what construction costs once the lazily built parts (connection pool, TLS setup)
    are paid for."""
    import httpx

    import zaby

    config = zaby.ZabyGlobalConfig(api_origin=origin)
    samples: dict[str, list[float]] = {"zaby": [], "httpx": []}
    for _ in range(clients):
        started = time.perf_counter()
        client = zaby.Zaby(api_key=api_key, config=config)
        await client.health.check()
        samples["zaby"].append((time.perf_counter() - started) * 1e3)
        await client.aclose()
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=origin, headers={"x-zaby-api-key": api_key}) as hx:
            response = await hx.get("/health")
            response.raise_for_status()
            response.json()
            samples["httpx"].append((time.perf_counter() - started) * 1e3)
    return {side: statistics.median(values) for side, values in samples.items()}
