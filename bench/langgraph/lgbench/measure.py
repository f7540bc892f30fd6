"""The measurements of one server: runs one after the other, and runs from many
concurrent clients with the server's CPU time over that window."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from . import procs
from .client import Run


@dataclass
class Totals:
    """Everything measured on one server, summed over the rounds."""

    sequential: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    loaded_runs: int = 0
    loaded_seconds: float = 0.0
    loaded_cpu: float = 0.0
    rss: int = 0

    def runs_per_s(self) -> float:
        return self.loaded_runs / self.loaded_seconds if self.loaded_seconds else 0.0

    def cpu_per_run(self) -> float:
        return self.loaded_cpu / self.loaded_runs if self.loaded_runs else 0.0


async def sequential(run: Run, runs: int, budget: float, into: Totals) -> None:
    """`runs` runs one after the other, or fewer (at least 5) once `budget` seconds passed."""
    t_all = time.perf_counter()
    for i in range(runs):
        if i >= 5 and time.perf_counter() - t_all > budget:
            break
        t0 = time.perf_counter()
        await run()
        into.sequential.append(time.perf_counter() - t0)


async def concurrent(clients: list[Run], seconds: float, server_pid: int, into: Totals) -> None:
    """Every client runs again and again until `seconds` passed; all runs must finish."""
    deadline = time.perf_counter() + seconds

    async def loop(run: Run) -> list[float]:
        lat = []
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await run()
            lat.append(time.perf_counter() - t0)
        return lat

    cpu0 = procs.cpu_seconds(server_pid)
    t0 = time.perf_counter()
    for lat in await asyncio.gather(*(loop(c) for c in clients)):
        into.loaded.extend(lat)
        into.loaded_runs += len(lat)
    into.loaded_seconds += time.perf_counter() - t0
    into.loaded_cpu += procs.cpu_seconds(server_pid) - cpu0
