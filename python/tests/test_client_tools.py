"""``runtime.runs.stream(run_id, tools={...})`` (`docs/function-tools.md`): sync, async and raising
functions answer client tool calls through E126; every event still arrives; calls the dict does
not name are left alone; a refused result ends the stream; the sync client takes plain functions."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

import zaby.sync
from zaby import MockTransport, ZabyConflictError, ZabyRuntime

PATH = "/api/v1/agent-runtime/runs/run-42/aiui"
RESULTS = "/api/v1/agent-runtime/runs/run-42/tool-results"
DONE = {"id": "9", "event": "RunFinished", "data": {"runId": "run-42", "status": "COMPLETED"}}
RUN = {"id": "run-42", "status": "RUNNING"}


def call(seq: str, call_id: str, name: str, args: dict[str, Any], execution: str | None = "client") -> dict[str, Any]:
    data: dict[str, Any] = {"toolCallId": call_id, "toolName": name, "arguments": args}
    if execution is not None:
        data["execution"] = execution
    return {"id": seq, "event": "tool_call", "data": data}


def submitted(transport: MockTransport) -> list[Any]:
    bodies = [r.json_body for r in transport.requests if r.path == RESULTS]
    return sorted(bodies, key=lambda b: b["toolCallId"])


async def test_sync_async_and_raising_functions_answer_their_calls(runtime: ZabyRuntime, transport: MockTransport) -> None:
    threads: list[int] = []

    def get_weather(args: dict[str, Any]) -> dict[str, Any]:
        threads.append(threading.get_ident())
        return {"city": args["city"], "celsius": 21}

    async def get_time(args: dict[str, Any]) -> str:
        # Awaited on this test's loop: the running loop is this one.
        assert asyncio.get_running_loop() is loop
        await asyncio.sleep(0)
        return f"12:00 in {args['zone']}"

    def broken(args: dict[str, Any]) -> Any:
        raise ValueError("the sensor is offline")

    loop = asyncio.get_running_loop()
    transport.set_sse(
        "GET",
        PATH,
        [
            call("1", "c1", "get_weather", {"city": "Lyon"}),
            call("2", "c2", "get_time", {"zone": "CET"}),
            call("3", "c3", "broken", {}),
            DONE,
        ],
    )
    for _ in range(3):
        transport.set_response("POST", RESULTS, 200, RUN)
    tools = {"get_weather": get_weather, "get_time": get_time, "broken": broken}
    names = [ev.event async for ev in runtime.runs.stream("run-42", tools=tools)]
    assert names == ["tool_call", "tool_call", "tool_call", "RunFinished"]
    assert submitted(transport) == [
        {"toolCallId": "c1", "result": {"city": "Lyon", "celsius": 21}},
        {"toolCallId": "c2", "result": "12:00 in CET"},
        {"toolCallId": "c3", "isError": True, "message": "the sensor is offline"},
    ]
    assert threads and threads[0] != threading.get_ident(), "a sync function runs off the event loop's thread"


async def test_calls_not_in_the_dict_are_left_to_the_caller(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse(
        "GET",
        PATH,
        [call("1", "c1", "lookup", {}), call("2", "c2", "get_weather", {}, execution="http"), DONE],
    )
    seen = [ev async for ev in runtime.runs.stream("run-42", tools={"get_weather": lambda args: 1})]
    assert [ev.event for ev in seen] == ["tool_call", "tool_call", "RunFinished"]
    assert seen[0]["data"]["toolName"] == "lookup"
    assert submitted(transport) == []


async def test_a_refused_result_ends_the_stream(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", PATH, [call("1", "c1", "get_weather", {"city": "Lyon"}), DONE])
    refusal = {"code": "RUN_NOT_WAITING_FOR_TOOL_RESULT", "message": "run run-42 is not waiting for a tool result"}
    transport.set_response("POST", RESULTS, 409, refusal)
    names = []
    with pytest.raises(ZabyConflictError) as raised:
        async for ev in runtime.runs.stream("run-42", tools={"get_weather": lambda args: args}):
            names.append(ev.event)
    assert raised.value.code == "RUN_NOT_WAITING_FOR_TOOL_RESULT"
    # The mock sends the end right behind the call; a server would wait for the result.
    assert names[0] == "tool_call"


async def test_tools_must_be_a_dict_of_functions(runtime: ZabyRuntime) -> None:
    with pytest.raises(TypeError, match="not callable"):
        runtime.runs.stream("run-42", tools={"get_weather": 42})
    with pytest.raises(TypeError, match="dict"):
        runtime.runs.stream("run-42", tools=[("get_weather", print)])


def test_the_sync_client_calls_plain_functions(transport: MockTransport) -> None:
    def get_weather(args: dict[str, Any]) -> dict[str, Any]:
        return {"city": args["city"]}

    async def not_here(args: dict[str, Any]) -> None:
        return None

    transport.set_sse("GET", PATH, [call("1", "c1", "get_weather", {"city": "Oslo"}), DONE])
    transport.set_response("POST", RESULTS, 200, RUN)
    with zaby.sync.ZabyRuntime(token="test-token", transport=transport) as runtime:
        names = [ev.event for ev in runtime.runs.stream("run-42", tools={"get_weather": get_weather})]
        assert names == ["tool_call", "RunFinished"]
        assert submitted(transport) == [{"toolCallId": "c1", "result": {"city": "Oslo"}}]
        with pytest.raises(TypeError, match="async function"):
            runtime.runs.stream("run-42", tools={"not_here": not_here})
