"""Memory (E85–E92): candidates proposed by an end user's run, reviewed, then
retrieved — by E89 and by the user's next run — disabled and deleted."""

from __future__ import annotations

from typing import Any

from zaby import Zaby, ZabyConflictError, ZabyNotFoundError, ZabyValidationError

from conftest import Clients
from support import app_setup, eventually, expect_error, unique


async def test_memory_from_runs_review_and_retrieval(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "memory")
    user = unique("mem-user")
    runtime = clients.runtime((await z.runtime_tokens.create(st.mint(externalUserId=user)))["token"])
    proposals = ["my favourite colour is green", "I like tea"]
    run = await runtime.runs.start({"input": {"message": "hi", "simulate": {"memoryCandidates": proposals}}})
    assert run["status"] == "COMPLETED"

    async def proposed() -> list[dict[str, Any]] | None:
        page = await z.memory.list_candidates({"externalUserId": user})
        return [dict(c) for c in page["items"]] if page["total"] == 2 else None

    candidates = await eventually("memory candidates", proposed)
    by_content = {c["content"]: c for c in candidates}
    assert set(by_content) == set(proposals)
    green = by_content["my favourite colour is green"]
    assert (green["status"], green["runId"], green["agentId"]) == ("PENDING", run["runId"], st.deployed.agent_id)
    assert [c["id"] async for c in z.memory.iter_candidates({"agentId": st.deployed.agent_id})] != []

    approved = await z.memory.approve_candidate(green["id"], {"reviewedBy": "ops", "content": "Favourite colour: green"})
    assert (approved["status"], approved["reviewedBy"]) == ("APPROVED", "ops")
    await expect_error(z.memory.approve_candidate(green["id"]), ZabyConflictError, 409, "CANDIDATE_ALREADY_REVIEWED")
    tea = by_content["I like tea"]
    rejected = await z.memory.reject_candidate(tea["id"], {"reason": "not useful"})
    assert (rejected["status"], rejected["reason"]) == ("REJECTED", "not useful")
    await expect_error(z.memory.reject_candidate(tea["id"]), ZabyConflictError, 409, "CANDIDATE_ALREADY_REVIEWED")
    assert (await z.memory.list_candidates({"externalUserId": user}))["total"] == 0

    item_id = approved["memoryItemId"]
    item = await z.memory.get_item(item_id)
    assert (item["content"], item["status"], item["candidateId"]) == ("Favourite colour: green", "ACTIVE", green["id"])
    items = await z.memory.list_items({"externalUserId": user})
    assert [i["id"] for i in items["items"]] == [item_id]
    assert [i["id"] async for i in z.memory.iter_items({"agentId": st.deployed.agent_id})] == [item_id]

    found = await z.memory.retrieve({"query": "favourite colour", "externalUserId": user})
    assert [i["id"] for i in found["items"]] == [item_id] and found["items"][0]["score"] > 0
    assert (await z.memory.retrieve({"query": "favourite colour", "externalUserId": "someone-else"}))["items"] == []
    await expect_error(z.memory.retrieve({"query": "x", "topK": 0}), ZabyValidationError, 422, "VALIDATION_ERROR")

    # The user's next run reads the memory; it is theirs alone.
    later = await runtime.runs.start({"input": "what is my favourite colour?"})
    assert later["finalOutput"] == "From memory: Favourite colour: green"

    disabled = await z.memory.disable_item(item_id, {"reason": "stale"})
    assert (disabled["status"], disabled["disableReason"]) == ("DISABLED", "stale")
    assert (await z.memory.disable_item(item_id))["disabledAt"] == disabled["disabledAt"]
    assert (await z.memory.retrieve({"query": "favourite colour", "externalUserId": user}))["items"] == []
    after = await runtime.runs.start({"input": "what is my favourite colour?"})
    assert after["finalOutput"] == "You said: what is my favourite colour?"

    assert await z.memory.delete_item(item_id, {"reason": "user asked"}) == {"id": item_id, "deleted": True}
    await expect_error(z.memory.get_item(item_id), ZabyNotFoundError, 404, "NOT_FOUND")
    assert (await z.memory.list_items({"externalUserId": user}))["total"] == 0
