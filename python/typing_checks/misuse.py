"""Deliberate misuse; `mypy --strict` must reject every marked line (the test checks
that each one is reported)."""

from __future__ import annotations

from zaby import RunEventStream, Zaby, ZabyRuntime


async def misuse() -> None:
    zaby = Zaby(api_key=42)  # E: credential of the wrong type
    await zaby.agents.get(123)  # E: path parameter must be a str
    await zaby.agents.create()  # E: required input missing
    await zaby.agents.get("a", request_id=7)  # E: request_id is a str
    await zaby.agents.get("a", "b")  # E: options are keyword-only
    await zaby.agents.create({"slug": 1, "name": "x"})  # E: wrong field type in the input
    await zaby.no_such_client.list()  # E: unknown sub-client
    runtime = ZabyRuntime(token="t")
    stream: RunEventStream = await runtime.runs.stream("r")  # E: stream is not a coroutine
    for ev in runtime.runs.stream("r"):  # E: a stream is an async iterator
        print(ev, stream)
    zaby.agents.iter().append(1)  # E: iterators are not lists
