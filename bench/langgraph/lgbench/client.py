"""One run, start to end, on each server over plain HTTP and SSE with httpx: the same
client code for both, so the difference is the servers'.

zaby-server: `POST /api/v1/agent-runtime/runs` with `respondAsync: true` (E119), then the
stream `GET …/runs/{id}/aiui` (E121) read until `RunFinished`. LangGraph: its own way to
start a run and stream it, `POST /threads/{thread_id}/runs/stream` (what the
`langgraph-sdk`'s `runs.stream` sends), read until the body ends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Awaitable, Callable

import httpx

MESSAGE = "hello there"
REPLY = f"You said: {MESSAGE}"

Run = Callable[[], Awaitable[None]]


async def frames(resp: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event, data) of each SSE frame as it arrives; comments are skipped. Lines may end
    with \\n or \\r\\n (LangGraph's server uses the latter)."""
    event: str = ""
    data: list[str] = []
    async for line in resp.aiter_lines():
        if not line:
            if event or data:
                yield event, "\n".join(data)
            event, data = "", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))


def zaby_run(http: httpx.AsyncClient, origin: str, token: str) -> Run:
    auth = {"authorization": f"Bearer {token}"}
    start_url = f"{origin}/api/v1/agent-runtime/runs"
    body = {"input": {"message": MESSAGE}, "respondAsync": True}

    async def run() -> None:
        r = await http.post(start_url, json=body, headers=auth)
        if r.status_code != 201:
            raise RuntimeError(f"zaby-server: start answered {r.status_code}: {r.text}")
        run_id = r.json()["runId"]
        url = f"{start_url}/{run_id}/aiui"
        async with http.stream("GET", url, headers={**auth, "accept": "text/event-stream"}) as s:
            if s.status_code != 200:
                raise RuntimeError(f"zaby-server: stream answered {s.status_code}")
            async for event, data in frames(s):
                if event == "RunFinished":
                    return
                if event == "RunError":
                    raise RuntimeError(f"zaby-server: run {run_id} failed: {data}")
        raise RuntimeError(f"zaby-server: the stream of run {run_id} ended without RunFinished")

    return run


async def langgraph_run(http: httpx.AsyncClient, origin: str) -> Run:
    """A thread of its own (one per client, like a zaby end user's token), then runs on it."""
    r = await http.post(f"{origin}/threads", json={})
    r.raise_for_status()
    url = f"{origin}/threads/{r.json()['thread_id']}/runs/stream"
    body = {"assistant_id": "echo", "input": {"message": MESSAGE}, "stream_mode": "values"}

    async def run() -> None:
        last = ""
        async with http.stream("POST", url, json=body) as s:
            if s.status_code != 200:
                raise RuntimeError(f"LangGraph: stream answered {s.status_code}")
            async for event, data in frames(s):
                if event == "values":
                    last = data
                elif event == "error":
                    raise RuntimeError(f"LangGraph: run failed: {data}")
        if not last or json.loads(last).get("reply") != REPLY:
            raise RuntimeError(f"LangGraph: the run ended without the reply {REPLY!r} (last values: {last!r})")

    return run
