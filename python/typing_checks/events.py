"""Typed stream events on both clients: comparing ``ev.event`` with a name narrows
``ev.data`` to that event's payload. `mypy --strict` and pyright must accept it."""

from __future__ import annotations

import zaby
import zaby.sync
from zaby import MockTransport, RunEvent, SseEvent
from zaby.events import OtherEvent, TextEvent
from zaby.types import Citation


def describe(ev: RunEvent) -> str:
    if ev.event == "RunStarted":
        return f"run {ev.data['runId']} on {ev.data['deploymentId'] or 'a test run'}"
    if ev.event == "text" or ev.event == "thinking":
        return ev.data["content"]
    if ev.event == "tool_call":
        return f"{ev.data['toolName']}({ev.data['arguments']})"
    if ev.event == "tool_result":
        return f"failed: {ev.data['toolName']}" if ev.data["isError"] else f"ok: {ev.data['toolCallId']}"
    if ev.event == "approval_required":
        return f"approve {ev.data['approvalId']}?"
    if ev.event == "RunFinished":
        cited: list[Citation] = ev.data.get("citations", [])
        return f"{ev.data['status']}: {ev.data['finalOutput'] or ''} ({len(cited)} sources)"
    if ev.event == "RunError":
        return f"{ev.data['code']}: {ev.data['message']}"
    # A name from a newer server (or none) still arrives, untyped.
    return f"{ev.event}: {ev.data!r}"


def on_text(ev: TextEvent | OtherEvent) -> str:
    # Checkers keep `OtherEvent` beside `TextEvent` after `ev.event == "text"` (its name
    # may be any `str`); its `data` is `Any`, so reading the text's fields still checks.
    content: str = ev.data["content"]
    return content


async def stream_async(runtime: zaby.ZabyRuntime, run_id: str) -> list[str]:
    out: list[str] = []
    captured: list[RunEvent] = [ev async for ev in runtime.runs.stream(run_id)]
    MockTransport().set_sse("GET", f"/api/v1/agent-runtime/runs/{run_id}/aiui", captured)  # replayable
    async with runtime.runs.stream(run_id) as events:
        async for ev in events:
            if ev.event == "text":
                out.append(on_text(ev))
            assert isinstance(ev, SseEvent)  # the objects are `SseEvent`s
            out.append(describe(ev))
            print(ev.id, ev.to_dict(), ev["data"])
    return out


async def stored(runtime: zaby.ZabyRuntime, run_id: str) -> list[str]:
    # Stored events (E120) are dicts: a union of TypedDicts tagged by "event".
    out: list[str] = []
    async for item in runtime.runs.iter_events(run_id):
        if item["event"] == "tool_call":
            out.append(item["data"]["toolName"])
        elif item["event"] == "RunError":
            out.append(item["data"]["code"])
        out.append(item["id"])
    return out


def stream_sync(runtime: zaby.sync.ZabyRuntime, run_id: str) -> list[str]:
    out: list[str] = []
    with runtime.runs.stream(run_id) as events:
        for ev in events:
            if ev.event == "text":
                out.append(ev.data["content"])
            elif ev.event == "tool_call":
                out.append(ev.data["toolName"])
            event: zaby.sync.RunEvent = ev
            out.append(describe(event))
    page = runtime.runs.events(run_id)
    out.extend(item["data"]["content"] for item in page["items"] if item["event"] == "text")
    return out
