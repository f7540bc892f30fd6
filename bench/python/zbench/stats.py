"""Summaries of one measurement: calls/s, p50/p99, client CPU and context switches per call."""

from __future__ import annotations

import math
import os
import resource
from dataclasses import dataclass


@dataclass
class Summary:
    calls: int
    seconds: float
    calls_per_s: float
    p50_us: float
    p99_us: float
    cpu_us_per_call: float
    # Voluntary and involuntary, every thread of the process: each is a thread put to
    # sleep and woken again, which is where a hand-off between threads costs.
    switches_per_call: float | None = None

    @staticmethod
    def of(latencies: list[float], wall: float, cpu: float, switches: int | None = None) -> "Summary":
        latencies = sorted(latencies)
        n = len(latencies)
        return Summary(
            calls=n,
            seconds=wall,
            calls_per_s=n / wall if wall > 0 else 0.0,
            p50_us=percentile(latencies, 0.50) * 1e6,
            p99_us=percentile(latencies, 0.99) * 1e6,
            cpu_us_per_call=cpu * 1e6 / n if n else 0.0,
            switches_per_call=switches / n if n and switches is not None else None,
        )

    @staticmethod
    def from_json(d: dict) -> "Summary":
        """The Rust bench's figures (it does not count context switches)."""
        return Summary(**{k: d[k] for k in Summary.__dataclass_fields__ if k in d})

    @staticmethod
    def merge(parts: list["Summary"], latencies: list[float]) -> "Summary":
        wall = sum(p.seconds for p in parts)
        cpu = sum(p.cpu_us_per_call * p.calls for p in parts) / 1e6
        counted = [p for p in parts if p.switches_per_call is not None]
        switches = round(sum((p.switches_per_call or 0.0) * p.calls for p in counted)) if counted else None
        return Summary.of(latencies, wall, cpu, switches)


def context_switches() -> int:
    """Context switches of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_nvcsw + usage.ru_nivcsw


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (same definition as the Rust bench)."""
    if not sorted_values:
        return 0.0
    rank = min(max(math.ceil(q * len(sorted_values)), 1), len(sorted_values))
    return sorted_values[rank - 1]


def rss_mib() -> float:
    """Resident set size of this process now."""
    with open(f"/proc/{os.getpid()}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / (1024 * 1024)
