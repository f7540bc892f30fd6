"""Intelligence (E93–E97): the signals a run and its feedback leave, rollups
over them, and the improvement a low rating proposes, approved then rejected."""

from __future__ import annotations

from zaby import Zaby, ZabyConflictError, ZabyNotFoundError, ZabyValidationError

from support import deployed_agent, expect_error


async def test_signals_rollups_and_improvements(z: Zaby) -> None:
    d = await deployed_agent(z, "intel")
    run = await z.agents.start_run(d.agent_id, {"input": "hello"})
    assert run["status"] == "COMPLETED"
    fb = await z.runtime_tokens.record_feedback(run["runId"], {"rating": 1, "comment": "wrong answer"})

    signals = await z.intelligence.list_signals({"agentId": d.agent_id})
    kinds = sorted(s["type"] for s in signals["items"])
    assert kinds == ["run_completed", "user_feedback"]
    feedback = await z.intelligence.list_signals({"runId": run["runId"], "type": "user_feedback"})
    assert feedback["total"] == 1
    sig = feedback["items"][0]
    assert (sig["value"], sig["deploymentId"], sig["payload"]["feedbackId"]) == (1.0, d.deployment_id, fb["id"])
    assert [s["id"] async for s in z.intelligence.iter_signals({"agentId": d.agent_id, "limit": 1})] == [
        s["id"] for s in signals["items"]
    ]
    await expect_error(
        z.intelligence.list_signals({"from": "yesterday"}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )

    rollups = await z.intelligence.list_rollups({"agentId": d.agent_id})
    metrics = {r["metric"]: (r["value"], r["count"]) for r in rollups["items"]}
    assert metrics["run_count"] == (1.0, 1)
    assert metrics["avg_rating"] == (1.0, 1)
    assert metrics["feedback_count"] == (1.0, 1)
    assert {r["granularity"] for r in rollups["items"]} == {"daily"}
    hourly = [r["metric"] async for r in z.intelligence.iter_rollups({"agentId": d.agent_id, "granularity": "hourly"})]
    assert "run_count" in hourly
    await expect_error(z.intelligence.list_rollups({}), ZabyValidationError, 422, "VALIDATION_ERROR")

    # The low rating proposes one QUALITY improvement, however often it is listed.
    listed = await z.intelligence.list_improvements({"agentId": d.agent_id})
    assert listed["total"] == 1
    imp = listed["items"][0]
    assert (imp["category"], imp["status"], imp["agentId"]) == ("QUALITY", "PROPOSED", d.agent_id)
    assert imp["suggestedChange"] == {"type": "instructions", "runId": run["runId"], "feedbackId": fb["id"]}
    assert imp["signalIds"] == [sig["id"]] and "wrong answer" in imp["description"]
    assert [i["id"] async for i in z.intelligence.iter_improvements({"agentId": d.agent_id})] == [imp["id"]]

    approved = await z.intelligence.approve_improvement(imp["id"], {"comment": "will do"})
    assert (approved["status"], approved["comment"]) == ("APPROVED", "will do") and approved["decidedAt"]
    await expect_error(
        z.intelligence.approve_improvement(imp["id"]), ZabyConflictError, 409, "CANDIDATE_ALREADY_REVIEWED"
    )
    implemented = await z.intelligence.approve_improvement(imp["id"], {"status": "IMPLEMENTED"})
    assert implemented["status"] == "IMPLEMENTED"
    await expect_error(z.intelligence.approve_improvement("nope"), ZabyNotFoundError, 404, "NOT_FOUND")

    # A second low rating of the same run is new evidence: a new proposal, rejected.
    await z.runtime_tokens.record_feedback(run["runId"], {"rating": 2})
    open_ = await z.intelligence.list_improvements({"agentId": d.agent_id, "status": "PROPOSED"})
    assert open_["total"] == 1 and open_["items"][0]["id"] != imp["id"]
    rejected = await z.intelligence.reject_improvement(open_["items"][0]["id"], {"reason": "noise"})
    assert (rejected["status"], rejected["reason"]) == ("REJECTED", "noise")
    await expect_error(
        z.intelligence.reject_improvement(rejected["id"]), ZabyConflictError, 409, "CANDIDATE_ALREADY_REVIEWED"
    )
    statuses = sorted(i["status"] for i in (await z.intelligence.list_improvements({"agentId": d.agent_id}))["items"])
    assert statuses == ["IMPLEMENTED", "REJECTED"]
