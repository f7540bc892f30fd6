"""Webhook endpoints and their deliveries (E128–E135)."""

from __future__ import annotations

from zaby import Zaby, ZabyNotFoundError, ZabyValidationError

from support import expect_error


async def test_webhook_endpoints_from_creation_to_deletion(z: Zaby) -> None:
    created = await z.webhooks.create(
        {"url": "http://127.0.0.1:9/zaby-hooks", "events": ["run.completed"], "description": "e2e"}
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert (created["enabled"], created["disabledReason"], created["agentIds"]) == (True, None, [])
    wid = created["id"]
    await expect_error(
        z.webhooks.create({"url": "http://hooks.example.com/x", "events": ["*"]}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )
    await expect_error(
        z.webhooks.create({"url": "https://hooks.example.com/x", "events": ["run.exploded"]}),
        ZabyValidationError,
        422,
        "VALIDATION_ERROR",
    )

    listed = [w async for w in z.webhooks.iter()]
    mine = next(w for w in listed if w["id"] == wid)
    assert "secret" not in mine
    read = await z.webhooks.get(wid)
    assert (read["url"], read["events"], "secret" in read) == ("http://127.0.0.1:9/zaby-hooks", ["run.completed"], False)

    updated = await z.webhooks.update(wid, {"enabled": False, "events": ["*"]})
    assert (updated["enabled"], updated["events"], updated["description"]) == (False, ["*"], "e2e")

    rotated = await z.webhooks.rotate_secret(wid)
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret

    page = await z.webhooks.list_deliveries(wid, {"status": "FAILED"})
    assert page["items"] == []
    await expect_error(z.webhooks.redeliver(wid, "no-such-delivery"), ZabyNotFoundError, 404, "NOT_FOUND")

    deleted = await z.webhooks.delete(wid)
    assert deleted == {"id": wid, "deleted": True}
    await expect_error(z.webhooks.get(wid), ZabyNotFoundError, 404, "NOT_FOUND")
