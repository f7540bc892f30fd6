"""Summaries of one measurement: calls/s, p50/p99, client CPU per call."""

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

    @staticmethod
    def of(latencies: list[float], wall: float, cpu: float) -> "Summary":
        latencies = sorted(latencies)
        n = len(latencies)
        return Summary(
            calls=n,
            seconds=wall,
            calls_per_s=n / wall if wall > 0 else 0.0,
            p50_us=percentile(latencies, 0.50) * 1e6,
            p99_us=percentile(latencies, 0.99) * 1e6,
            cpu_us_per_call=cpu * 1e6 / n if n else 0.0,
        )

    @staticmethod
    def from_json(d: dict) -> "Summary":
        return Summary(**{k: d[k] for k in Summary.__dataclass_fields__})

    @staticmethod
    def merge(parts: list["Summary"], latencies: list[float]) -> "Summary":
        wall = sum(p.seconds for p in parts)
        cpu = sum(p.cpu_us_per_call * p.calls for p in parts) / 1e6
        return Summary.of(latencies, wall, cpu)


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
