"""Client function tools (E126, E127): the end user's stream answers them through
``stream(..., tools=...)`` with sync, async and raising functions; the API key answers one
by hand after finding it among the run's stored events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from zaby import Zaby

from conftest import Clients
from support import app_setup, eventually, names, wait_run

WEATHER = {"name": "get_weather", "description": "The weather in a city"}
CLOCK = {"name": "get_time"}
SENSOR = {"name": "read_sensor"}


def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The development model calls a tool when the message is `/tool NAME {json}`."""
    return {"message": f"/tool {name} {json.dumps(arguments)}"}


def tool_results(events: list[Any]) -> list[dict[str, Any]]:
    return [dict(e.data) for e in events if e.event == "tool_result"]


async def test_the_stream_runs_sync_async_and_raising_tools(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "fn-tools", functionTools=[WEATHER, CLOCK, SENSOR])
    token = await z.runtime_tokens.create(st.mint(externalUserId="fn-user"))
    runtime = clients.runtime(token["token"])

    def get_weather(args: dict[str, Any]) -> dict[str, Any]:
        return {"city": args["city"], "celsius": 21}

    async def get_time(args: dict[str, Any]) -> str:
        await asyncio.sleep(0)
        return f"12:00 in {args['zone']}"

    def read_sensor(args: dict[str, Any]) -> Any:
        raise RuntimeError("the sensor is offline")

    tools = {"get_weather": get_weather, "get_time": get_time, "read_sensor": read_sensor}
    for message, expected in [
        (call("get_weather", {"city": "Lyon"}), {"isError": False, "result": {"city": "Lyon", "celsius": 21}}),
        (call("get_time", {"zone": "CET"}), {"isError": False, "result": "12:00 in CET"}),
        (call("read_sensor", {}), {"isError": True}),
    ]:
        started = await runtime.runs.start({"input": message, "respondAsync": True})
        events = [ev async for ev in runtime.runs.stream(started["runId"], tools=tools)]
        assert names(events)[:3] == ["RunStarted", "tool_call", "tool_result"], names(events)
        assert events[1].data["execution"] == "client"
        result = tool_results(events)[0]
        assert {k: result[k] for k in expected} == expected, result
        assert events[-1].event == "RunFinished" and events[-1].data["status"] == "COMPLETED"
    assert "the sensor is offline" in json.dumps(result["result"])


async def test_the_api_key_answers_a_client_tool(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "fn-key", functionTools=[WEATHER])
    started = await z.agents.start_run(
        st.deployed.agent_id,
        {"input": call("get_weather", {"city": "Oslo"}), "deploymentId": st.deployed.deployment_id, "respondAsync": True},
    )
    run_id = started["runId"]

    async def tool_call() -> dict[str, Any] | None:
        page = await z.agents.list_run_events(run_id)
        return next((dict(e["data"]) for e in page["items"] if e["event"] == "tool_call"), None)

    found = await eventually("the client tool call", tool_call)
    await wait_run(z, run_id, {"WAITING_FOR_TOOL_RESULT"})
    run = await z.agents.submit_tool_result(run_id, {"toolCallId": found["toolCallId"], "result": {"celsius": -3}})
    assert run["runId"] == run_id
    finished = await wait_run(z, run_id)
    assert finished["status"] == "COMPLETED"
    page = await z.agents.list_run_events(run_id)
    results = [dict(e["data"]) for e in page["items"] if e["event"] == "tool_result"]
    assert results and results[0]["result"] == {"celsius": -3} and results[0]["isError"] is False
