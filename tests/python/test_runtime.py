"""The end user's side (E119–E125): start, stream, stored events, cancel,
approve or reject a tool call, feedback — with a runtime token only."""

from __future__ import annotations

from typing import Any

from zaby import SseEvent, Zaby, ZabyConflictError, ZabyPermissionError, ZabyRuntime

from conftest import Clients
from support import AppSetup, app_setup, expect_error, names, stream_events, wait_run

SUM_CALL = {"toolName": "sum", "arguments": {"numbers": [1, 2, 3]}}


async def approval_app(z: Zaby, prefix: str, allow_approvals: bool = True) -> AppSetup:
    """An app bound (with or without runtime approvals) to an agent whose `sum` needs approval."""
    return await app_setup(z, prefix, {"allowApprovals": allow_approvals}, manual_tools=("sum",))


async def test_start_stream_events_and_feedback(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "rt-stream")
    token = await z.runtime_tokens.create(st.mint(externalUserId="rt-user"))
    runtime = clients.runtime(token["token"])

    started = await runtime.runs.start({"input": "hello stream", "respondAsync": True})
    assert (started["status"], started["externalAppId"], started["deploymentId"]) == (
        "PENDING",
        st.app_id,
        st.deployed.deployment_id,
    )
    assert started["agentSessionId"] == token["agentSessionId"]
    events = await stream_events(runtime, started["runId"])
    assert names(events)[0] == "RunStarted" and names(events)[-1] == "RunFinished"
    assert "".join(e.data["content"] for e in events if e.event == "text") == "You said: hello stream"
    assert events[-1].data["status"] == "COMPLETED" and events[-1].data["finalOutput"] == "You said: hello stream"
    assert [int(e.id) for e in events] == list(range(1, len(events) + 1))

    # Resuming after an event replays only what follows it.
    tail = await stream_events(runtime, started["runId"], query={"afterSeq": len(events) - 1})
    assert [e.id for e in tail] == [events[-1].id]

    page = await runtime.runs.events(started["runId"])
    assert [e["event"] for e in page["items"]] == names(events)
    assert page["status"] == "COMPLETED" and page["nextCursor"] is None
    iterated = [e["seq"] async for e in runtime.runs.iter_events(started["runId"], {"limit": 3})]
    assert iterated == list(range(1, len(events) + 1))

    fb = await runtime.feedback.create(started["runId"], {"rating": "negative", "label": "wrong"})
    assert (fb["rating"], fb["label"], fb["source"], fb["agentSessionId"]) == (1, "wrong", "RUNTIME", token["agentSessionId"])
    rid = "fb-once"
    once = await runtime.feedback.create(started["runId"], {"rating": 4, "requestId": rid})
    twice = await runtime.feedback.create(started["runId"], {"rating": 4, "requestId": rid})
    assert once["id"] == twice["id"]
    usage = await z.usage.get_agent_usage({"agentId": st.deployed.agent_id})
    assert (usage["totals"]["runs"], usage["totals"]["feedbackCount"]) == (1, 2)


async def test_runtime_cancel(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "rt-cancel")
    token = await z.runtime_tokens.create(st.mint(externalUserId="canceller"))
    runtime = clients.runtime(token["token"])
    slow = {"message": "slow", "simulate": {"reply": "one two three four", "delayMs": 1000}}
    started = await runtime.runs.start({"input": slow, "respondAsync": True})
    cancelled = await runtime.runs.cancel(started["runId"], {"reason": "user left"})
    assert (cancelled["status"], cancelled["runId"]) == ("CANCELLED", started["runId"])
    events = await stream_events(runtime, started["runId"])
    assert events[-1].event == "RunFinished" and events[-1].data["status"] == "CANCELLED"
    assert "text" not in names(events)
    finished = await runtime.runs.start({"input": "fast"})
    assert finished["status"] == "COMPLETED"
    await expect_error(runtime.runs.cancel(finished["runId"]), ZabyConflictError, 409, "RUN_ALREADY_FINISHED")


async def decide_while_streaming(runtime: ZabyRuntime, run_id: str, approve: bool) -> list[SseEvent]:
    decisions: list[dict[str, Any]] = []

    async def on_event(ev: SseEvent) -> None:
        if ev.event == "approval_required":
            decide = runtime.approvals.approve if approve else runtime.approvals.reject
            decisions.append(dict(await decide(run_id, ev.data["approvalId"], {"reason": "end user"})))

    events = await stream_events(runtime, run_id, on_event)
    assert len(decisions) == 1
    assert decisions[0]["status"] == ("APPROVED" if approve else "REJECTED")
    assert decisions[0]["decidedBy"] == "runtime"
    return events


async def test_runtime_approve_and_reject(z: Zaby, clients: Clients) -> None:
    st = await approval_app(z, "rt-approve")
    token = await z.runtime_tokens.create(st.mint(externalUserId="approver"))
    runtime = clients.runtime(token["token"])
    body = {"input": {"message": "add", "simulate": {"toolCalls": [SUM_CALL]}}, "respondAsync": True}

    approved = await runtime.runs.start(body)
    events = await decide_while_streaming(runtime, approved["runId"], approve=True)
    assert names(events)[:4] == ["RunStarted", "tool_call", "approval_required", "tool_result"]
    result = events[3].data
    assert (result["isError"], result["result"]) == (False, {"sum": 6})
    assert events[-1].data["finalOutput"] == 'Tool sum returned: {"sum":6}'

    rejected = await runtime.runs.start(body)
    events = await decide_while_streaming(runtime, rejected["runId"], approve=False)
    result = next(e.data for e in events if e.event == "tool_result")
    assert (result["isError"], result["result"]["code"]) == (True, "APPROVAL_REJECTED")
    assert (await wait_run(z, rejected["runId"]))["status"] == "COMPLETED"


async def test_runtime_approvals_need_the_binding_to_allow_them(z: Zaby, clients: Clients) -> None:
    st = await approval_app(z, "rt-no-approve", allow_approvals=False)
    token = await z.runtime_tokens.create(st.mint(externalUserId="not-allowed"))
    runtime = clients.runtime(token["token"])
    waiting = await runtime.runs.start({"input": {"message": "add", "simulate": {"toolCalls": [SUM_CALL]}}})
    assert waiting["status"] == "WAITING_FOR_APPROVAL"
    approval = (await z.approvals.list({"runId": waiting["runId"]}))["items"][0]
    await expect_error(
        runtime.approvals.approve(waiting["runId"], approval["id"]), ZabyPermissionError, 403, "APPROVALS_NOT_ALLOWED"
    )
    await expect_error(
        runtime.approvals.reject(waiting["runId"], approval["id"]), ZabyPermissionError, 403, "APPROVALS_NOT_ALLOWED"
    )
    # The API key may still decide it.
    await z.approvals.reject(waiting["runId"], approval["id"])
    assert (await wait_run(z, waiting["runId"]))["status"] == "COMPLETED"
