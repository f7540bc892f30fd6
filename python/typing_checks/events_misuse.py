"""Deliberate misuse of typed stream events. Each marked line must be reported by both
checkers with the codes it names: ``# E: mypy[<code>] pyright[<rule>]``."""

from __future__ import annotations

import zaby
import zaby.sync


async def misuse_async(runtime: zaby.ZabyRuntime) -> None:
    async for ev in runtime.runs.stream("r"):
        if ev.event == "tool_call":
            print(ev.data["content"])  # E: mypy[typeddict-item] pyright[reportGeneralTypeIssues]
        print(ev.data["content"])  # E: mypy[typeddict-item] pyright[reportGeneralTypeIssues]
        if ev.event == "RunFinished":
            output: str = ev.data["finalOutput"]  # E: mypy[assignment] pyright[reportAssignmentType]
            print(output)


def misuse_sync(runtime: zaby.sync.ZabyRuntime) -> None:
    for ev in runtime.runs.stream("r"):
        if ev.event == "text":
            size: int = ev.data["content"]  # E: mypy[assignment] pyright[reportAssignmentType]
            print(size)
        if ev.event == "RunError":
            print(ev.data["toolName"])  # E: mypy[typeddict-item] pyright[reportGeneralTypeIssues]
    for item in runtime.runs.iter_events("r"):
        if item["event"] == "text":
            print(item["data"]["toolName"])  # E: mypy[typeddict-item] pyright[reportGeneralTypeIssues]
