"""Busy sessions (docs/busy-sessions.md): `onBusy` on runtime starts — reject, enqueue,
interrupt — through the SDK. On PostgreSQL the runtime client talks to the other
replica, so the enqueued run is claimed in order across replicas too."""

from __future__ import annotations

from zaby import Zaby, ZabyConflictError

from conftest import Clients
from support import app_setup, expect_error, wait_run


def slow(message: str) -> dict[str, object]:
    return {"input": {"message": message, "simulate": {"delayMs": 800}}, "respondAsync": True}


async def test_on_busy_reject_enqueue_and_interrupt(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "busy")
    token = await z.runtime_tokens.create(st.mint(externalUserId="busy-user"))
    runtime = clients.runtime(token["token"])

    first = await runtime.runs.start(slow("first"))
    err = await expect_error(
        runtime.runs.start({"input": "refused", "onBusy": "reject"}), ZabyConflictError, 409, "SESSION_BUSY"
    )
    assert err.details["details"]["activeRunIds"] == [first["runId"]]

    queued = await runtime.runs.start({"input": "second", "onBusy": "enqueue", "respondAsync": True})
    assert queued["status"] == "PENDING"
    done_first = await wait_run(z, first["runId"])
    done = await wait_run(z, queued["runId"])
    assert (done_first["status"], done["status"]) == ("COMPLETED", "COMPLETED")
    assert done["startedAt"] >= done_first["completedAt"], "the enqueued run waited for the first"
    # Its history holds the first exchange: "first" (1 word) + "You said: first" (3) + "second" (1).
    assert done["usage"]["inputTokens"] == 5

    third = await runtime.runs.start(slow("third"))
    fourth = await runtime.runs.start({"input": "fourth", "onBusy": "interrupt"})
    assert fourth["status"] == "COMPLETED"
    interrupted = await wait_run(z, third["runId"])
    assert interrupted["status"] == "CANCELLED"
