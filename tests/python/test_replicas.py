"""Runs started through one replica are streamed, approved and read through the
other. On PostgreSQL these are two zaby-server processes sharing one database;
on SQLite both names point at the one server and the same checks still hold."""

from __future__ import annotations

from typing import Any

from zaby import SseEvent, Zaby

from _servers import Server, Servers
from conftest import Clients
from support import app_setup, names, stream_events

SUM_CALL = {"toolName": "sum", "arguments": {"numbers": [40, 2]}}


def test_postgres_mode_has_two_replicas(servers: Servers) -> None:
    if servers.mode == "postgres":
        assert servers.a.origin != servers.b.origin
        assert servers.a.process is not servers.b.process
        assert [s.name for s in servers.all] == ["A", "B"]
    else:
        assert servers.a is servers.b


async def cross_replica_run(z: Zaby, clients: Clients, start_on: Server, follow_on: Server, user: str) -> None:
    st = await app_setup(z, f"replica-{user}", {"allowApprovals": True}, manual_tools=("sum",))
    token = (await z.runtime_tokens.create(st.mint(externalUserId=user)))["token"]
    starter = clients.runtime(token, server=start_on)
    follower = clients.runtime(token, server=follow_on)

    started = await starter.runs.start(
        {"input": {"message": "add", "simulate": {"toolCalls": [SUM_CALL]}}, "respondAsync": True}
    )
    decided: list[dict[str, Any]] = []

    async def approve(ev: SseEvent) -> None:
        if ev.event == "approval_required":
            decided.append(dict(await follower.approvals.approve(started["runId"], ev.data["approvalId"])))

    events = await stream_events(follower, started["runId"], approve)
    assert [d["status"] for d in decided] == ["APPROVED"]
    assert names(events)[:4] == ["RunStarted", "tool_call", "approval_required", "tool_result"]
    assert events[3].data["result"] == {"sum": 42}
    assert events[-1].event == "RunFinished"
    assert (events[-1].data["status"], events[-1].data["finalOutput"]) == ("COMPLETED", 'Tool sum returned: {"sum":42}')
    # Both replicas read the same stored events.
    for reader in (starter, follower):
        page = await reader.runs.events(started["runId"])
        assert [e["event"] for e in page["items"]] == names(events)


async def test_start_on_a_stream_and_approve_on_b(z: Zaby, clients: Clients, servers: Servers) -> None:
    await cross_replica_run(z, clients, servers.a, servers.b, "a-to-b")


async def test_start_on_b_stream_and_approve_on_a(z: Zaby, clients: Clients, servers: Servers) -> None:
    await cross_replica_run(z, clients, servers.b, servers.a, "b-to-a")


async def test_management_run_on_a_is_read_and_cancelled_on_b(clients: Clients, servers: Servers) -> None:
    za = clients.zaby(servers.a)
    zb = clients.zaby(servers.b)
    st = await app_setup(za, "replica-mgmt")
    slow = {"message": "slow", "simulate": {"reply": "x y z", "delayMs": 1000}}
    started = await za.agents.start_run(st.deployed.agent_id, {"input": slow, "respondAsync": True})
    seen = await zb.agents.get_run_progress(started["runId"])
    assert seen["runId"] == started["runId"] and seen["status"] in {"QUEUED", "RUNNING"}
    cancelled = await zb.agents.cancel_run(started["runId"])
    assert cancelled["status"] == "CANCELLED"
    assert (await za.agents.get_run_progress(started["runId"]))["status"] == "CANCELLED"
