"""Runs through the management API: test runs, runs, progress, events, cancel,
approvals (list, approve, reject), feedback and agent usage (E12, E13, E16–E18,
E28, E37–E40)."""

from __future__ import annotations

import json
from typing import Any

from zaby import Zaby, ZabyConflictError, ZabyNotFoundError, ZabyValidationError

from support import Deployed, deployed_agent, eventually, expect_error, unique, wait_run

SUM_CALL = {"toolName": "sum", "arguments": {"numbers": [30, 5]}}


async def agent_with_manual_sum(z: Zaby, prefix: str) -> Deployed:
    """A deployed agent whose built-in `sum` tool waits for a human's approval."""
    return await deployed_agent(z, prefix, manual_tools=("sum",))


async def events_of(z: Zaby, run_id: str) -> list[dict[str, Any]]:
    return [dict(e) async for e in z.agents.iter_run_events(run_id, {"limit": 2})]


async def test_sync_run_test_run_progress_and_events(z: Zaby) -> None:
    d = await deployed_agent(z, "runs")
    run = await z.agents.start_run(d.agent_id, {"input": "hello there"})
    assert (run["status"], run["finalOutput"], run["deploymentId"]) == ("COMPLETED", "You said: hello there", d.deployment_id)

    progress = await z.agents.get_run_progress(run["runId"])
    assert (progress["id"], progress["status"], progress["isTestRun"], progress["agentId"]) == (
        run["runId"],
        "COMPLETED",
        False,
        d.agent_id,
    )
    assert progress["input"] == "hello there" and progress["latestSeq"] == run["latestSeq"]

    page = await z.agents.list_run_events(run["runId"], {"limit": 2})
    assert [e["seq"] for e in page["items"]] == [1, 2]
    assert page["items"][0]["event"] == "RunStarted"
    assert page["nextCursor"] == "2" and page["total"] == run["latestSeq"]
    rest = await z.agents.list_run_events(run["runId"], {"cursor": page["nextCursor"]})
    assert rest["nextCursor"] is None and rest["items"][-1]["event"] == "RunFinished"
    every = await events_of(z, run["runId"])
    assert [e["seq"] for e in every] == list(range(1, run["latestSeq"] + 1))
    text = "".join(e["data"]["content"] for e in every if e["event"] == "text")
    assert text == "You said: hello there"
    await expect_error(z.agents.get_run_progress("nope"), ZabyNotFoundError, 404, "NOT_FOUND")

    # A test run executes the draft, not the deployment.
    await z.agents.update(d.agent_id, {"config": {"localModel": {"rules": []}}})
    test = await z.agents.test_run(d.agent_id, {"input": {"message": "draft", "simulate": {"reply": "from the draft"}}})
    assert (test["status"], test["finalOutput"], test["deploymentId"]) == ("COMPLETED", "from the draft", None)
    assert (await z.agents.get_run_progress(test["runId"]))["isTestRun"] is True
    await expect_error(z.agents.test_run(d.agent_id, {}), ZabyValidationError, 422, "VALIDATION_ERROR")

    # requestId makes a start idempotent.
    rid = unique("req")
    first = await z.agents.start_run(d.agent_id, {"input": "once", "requestId": rid})
    again = await z.agents.start_run(d.agent_id, {"input": "once", "requestId": rid})
    assert first["runId"] == again["runId"]


async def test_cancel_a_running_run(z: Zaby) -> None:
    d = await deployed_agent(z, "cancel")
    slow = {"message": "slow", "simulate": {"reply": "a b c d e f g h", "delayMs": 1000}}
    started = await z.agents.start_run(d.agent_id, {"input": slow, "respondAsync": True})
    assert started["status"] == "PENDING"
    cancelled = await z.agents.cancel_run(started["runId"], {"reason": "changed my mind"})
    assert cancelled["status"] == "CANCELLED" and cancelled["finalOutput"] is None
    again = await z.agents.cancel_run(started["runId"])
    assert again["status"] == "CANCELLED" and again["latestSeq"] == cancelled["latestSeq"]
    events = await events_of(z, started["runId"])
    assert events[-1]["event"] == "RunFinished" and events[-1]["data"]["status"] == "CANCELLED"
    done = await z.agents.start_run(d.agent_id, {"input": "quick"})
    await expect_error(z.agents.cancel_run(done["runId"]), ZabyConflictError, 409, "RUN_ALREADY_FINISHED")


async def test_approvals_approve_and_reject(z: Zaby) -> None:
    d = await agent_with_manual_sum(z, "approve")
    body = {"input": {"message": "add", "simulate": {"toolCalls": [SUM_CALL]}}}
    waiting = await z.agents.start_run(d.agent_id, body)
    assert waiting["status"] == "WAITING_FOR_APPROVAL"

    pending = await z.approvals.list({"runId": waiting["runId"]})
    assert pending["total"] == 1
    approval = pending["items"][0]
    assert (approval["status"], approval["toolName"], approval["arguments"]) == ("PENDING", "sum", {"numbers": [30, 5]})
    assert (await z.agents.get_run_progress(waiting["runId"]))["pendingApproval"]["id"] == approval["id"]
    by_agent = [a["id"] async for a in z.approvals.iter({"agentId": d.agent_id})]
    assert by_agent == [approval["id"]]

    decided = await z.approvals.approve(waiting["runId"], approval["id"], {"reason": "fine", "decidedBy": "ops"})
    assert (decided["status"], decided["reason"], decided["decidedBy"]) == ("APPROVED", "fine", "ops")
    await expect_error(
        z.approvals.approve(waiting["runId"], approval["id"]), ZabyConflictError, 409, "APPROVAL_ALREADY_DECIDED"
    )
    run = await wait_run(z, waiting["runId"])
    assert (run["status"], run["finalOutput"]) == ("COMPLETED", 'Tool sum returned: {"sum":35}')
    approved = await z.approvals.list({"runId": waiting["runId"], "status": "APPROVED"})
    assert [a["id"] for a in approved["items"]] == [approval["id"]]

    # Rejecting feeds the refusal to the model as the tool's result.
    second = await z.agents.start_run(d.agent_id, body)
    approval2 = (await z.approvals.list({"runId": second["runId"]}))["items"][0]
    await expect_error(
        z.approvals.reject(second["runId"], approval["id"]), ZabyNotFoundError, 404, "NOT_FOUND"
    )
    rejected = await z.approvals.reject(second["runId"], approval2["id"], {"reason": "no"})
    assert (rejected["status"], rejected["decidedBy"]) == ("REJECTED", "api-key")
    run2 = await wait_run(z, second["runId"])
    assert run2["status"] == "COMPLETED"
    results = [e["data"] for e in await events_of(z, second["runId"]) if e["event"] == "tool_result"]
    assert results[0]["isError"] is True
    assert (results[0]["result"]["code"], results[0]["result"]["reason"]) == ("APPROVAL_REJECTED", "no")


async def test_feedback_and_agent_usage(z: Zaby) -> None:
    d = await agent_with_manual_sum(z, "usage")
    plain = await z.agents.start_run(d.agent_id, {"input": "one two three"})
    tool = await z.agents.start_run(d.agent_id, {"input": {"message": "add", "simulate": {"toolCalls": [SUM_CALL]}}})
    approval = (await z.approvals.list({"runId": tool["runId"]}))["items"][0]
    await z.approvals.approve(tool["runId"], approval["id"])
    await wait_run(z, tool["runId"])

    fb = await z.runtime_tokens.record_feedback(plain["runId"], {"rating": "positive", "comment": "nice", "topicKey": "t"})
    assert (fb["rating"], fb["source"], fb["runId"], fb["accepted"]) == (5, "PROVISIONING", plain["runId"], True)
    fb2 = await z.runtime_tokens.record_feedback(tool["runId"], {"rating": 2})
    assert fb2["rating"] == 2
    await expect_error(
        z.runtime_tokens.record_feedback(plain["runId"], {"metadata": {}}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )

    usage = await z.usage.get_agent_usage({"agentId": d.agent_id})
    totals = usage["totals"]
    assert usage["agentId"] == d.agent_id
    assert (totals["runs"], totals["completedRuns"], totals["toolCalls"], totals["approvalsRequested"]) == (2, 2, 1, 1)
    assert (totals["feedbackCount"], totals["averageRating"]) == (2, 3.5)
    # Development-model tokens are words: "one two three" in, "You said: one two three" out.
    assert totals["inputTokens"] >= 3 and totals["outputTokens"] >= 5
    assert sum(day["runs"] for day in usage["daily"]) == 2

    async def signals() -> list[str] | None:
        found = [s["type"] async for s in z.intelligence.iter_signals({"agentId": d.agent_id})]
        return found if "user_feedback" in found else None

    kinds = await eventually("signals", signals)
    assert {"run_completed", "user_feedback", "approval_waited"} <= set(kinds), json.dumps(kinds)
