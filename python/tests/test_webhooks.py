"""zaby.webhooks.verify against deliveries signed by the independent `standardwebhooks`
package: what it signs must verify, and a tampered body, an old timestamp or a foreign
secret must not; after a rotation both signatures travel and either secret verifies."""

from __future__ import annotations

import base64
import json
import os
import pickle
import time
from datetime import datetime, timezone

import pytest
from standardwebhooks import Webhook

import zaby
from zaby import ZabyError, ZabyWebhookVerificationError, webhooks

OLD = "whsec_" + base64.b64encode(os.urandom(32)).decode()
NEW = "whsec_" + base64.b64encode(os.urandom(32)).decode()
EVENT_ID = "evt_py_1"
EVENT = {
    "id": EVENT_ID,
    "type": "run.completed",
    "createdAt": "2026-12-06T15:00:00Z",
    "tenantId": "ten_1",
    "data": {"run": {"id": "run_1", "status": "COMPLETED"}},
}
BODY = json.dumps(EVENT)


def signed(body: str = BODY, secrets: tuple[str, ...] = (OLD,), sent: float | None = None) -> dict[str, str]:
    at = datetime.fromtimestamp(time.time() if sent is None else sent, tz=timezone.utc)
    signatures = " ".join(Webhook(s).sign(EVENT_ID, at, body) for s in secrets)
    return {
        "Webhook-Id": EVENT_ID,
        "Webhook-Timestamp": str(int(at.timestamp())),
        "Webhook-Signature": signatures,
    }


def test_a_delivery_signed_by_the_reference_implementation_verifies() -> None:
    event = webhooks.verify(BODY.encode(), signed(), OLD)
    assert event["id"] == "evt_py_1" and event["type"] == "run.completed"
    assert event["data"]["run"]["status"] == "COMPLETED"
    assert zaby.webhooks.verify(BODY, signed(), OLD) == event  # text bodies too


def test_our_own_check_agrees_with_the_reference_one() -> None:
    headers = signed()
    assert Webhook(OLD).verify(BODY, headers) == EVENT
    assert webhooks.verify(BODY, headers, OLD) == EVENT


def test_a_tampered_body_is_refused() -> None:
    tampered = BODY.replace("COMPLETED", "FAILED")
    with pytest.raises(ZabyWebhookVerificationError) as caught:
        webhooks.verify(tampered, signed(), OLD)
    assert caught.value.code == "WEBHOOK_SIGNATURE_INVALID"
    assert isinstance(caught.value, ZabyError)


def test_an_old_timestamp_is_refused_and_the_tolerance_can_be_widened() -> None:
    headers = signed(sent=time.time() - 600)
    with pytest.raises(ZabyWebhookVerificationError) as caught:
        webhooks.verify(BODY, headers, OLD)
    assert caught.value.code == "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE"
    assert "old" in caught.value.message
    assert webhooks.verify(BODY, headers, OLD, tolerance_s=900)["id"] == "evt_py_1"


def test_after_a_rotation_both_signatures_are_sent_and_either_secret_verifies() -> None:
    headers = signed(secrets=(OLD, NEW))
    assert len(headers["Webhook-Signature"].split(" ")) == 2
    assert webhooks.verify(BODY, headers, OLD)["id"] == "evt_py_1"
    assert webhooks.verify(BODY, headers, NEW)["id"] == "evt_py_1"
    foreign = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(ZabyWebhookVerificationError):
        webhooks.verify(BODY, headers, foreign)


def test_a_missing_header_is_named_and_a_bad_secret_or_tolerance_is_an_invalid_argument() -> None:
    headers = signed()
    del headers["Webhook-Signature"]
    with pytest.raises(ZabyWebhookVerificationError, match="webhook-signature header is missing"):
        webhooks.verify(BODY, headers, OLD)
    with pytest.raises(ZabyError) as caught:
        webhooks.verify(BODY, signed(), "whsec_***")
    assert caught.value.code == "INVALID_ARGUMENT"
    assert not isinstance(caught.value, ZabyWebhookVerificationError)
    with pytest.raises(ZabyError, match="tolerance") as negative:
        webhooks.verify(BODY, signed(), OLD, tolerance_s=-1)
    assert negative.value.code == "INVALID_ARGUMENT"


def test_the_error_pickles_like_every_zaby_error() -> None:
    with pytest.raises(ZabyWebhookVerificationError) as caught:
        webhooks.verify(BODY.replace("1", "2"), signed(), OLD)
    again = pickle.loads(pickle.dumps(caught.value))
    assert type(again) is ZabyWebhookVerificationError and again.code == caught.value.code


# verify_signature: an http function tool's call (docs/function-tools.md), signed the way
# the server signs it — the same scheme, here by the reference implementation — with
# the agent's function-tool secret. It is not a webhook event, so verify refuses its body.

CALL_ID = "call_py_1"
CALL = {"toolCallId": CALL_ID, "runId": "run_1", "agentId": "agt_1", "name": "get_weather", "arguments": {"city": "Oslo"}}
CALL_BODY = json.dumps(CALL)


def signed_call(
    body: str = CALL_BODY, secrets: tuple[str, ...] = (OLD,), sent: float | None = None
) -> dict[str, str]:
    at = datetime.fromtimestamp(time.time() if sent is None else sent, tz=timezone.utc)
    return {
        "webhook-id": CALL_ID,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(s).sign(CALL_ID, at, body) for s in secrets),
    }


def test_a_signed_tool_call_verifies_and_its_body_is_returned() -> None:
    assert webhooks.verify_signature(CALL_BODY.encode(), signed_call(), OLD) == CALL
    assert zaby.webhooks.verify_signature(CALL_BODY, signed_call(), OLD)["arguments"] == {"city": "Oslo"}
    with pytest.raises(ZabyError, match="not a webhook event") as not_an_event:
        webhooks.verify(CALL_BODY, signed_call(), OLD)
    assert not_an_event.value.code == "INVALID_ARGUMENT"


def test_a_tool_call_is_refused_as_a_delivery_is() -> None:
    tampered = CALL_BODY.replace("Oslo", "Bergen")
    refusals = [
        (lambda: webhooks.verify_signature(tampered, signed_call(), OLD), "WEBHOOK_SIGNATURE_INVALID"),
        (lambda: webhooks.verify_signature(CALL_BODY, signed_call(), NEW), "WEBHOOK_SIGNATURE_INVALID"),
        (
            lambda: webhooks.verify_signature(CALL_BODY, signed_call(sent=time.time() - 600), OLD),
            "WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE",
        ),
    ]
    for call, code in refusals:
        with pytest.raises(ZabyWebhookVerificationError) as caught:
            call()
        assert caught.value.code == code


def test_a_tool_call_signed_with_both_secrets_during_a_rotation_verifies_with_either() -> None:
    headers = signed_call(secrets=(OLD, NEW))
    assert webhooks.verify_signature(CALL_BODY, headers, OLD) == CALL
    assert webhooks.verify_signature(CALL_BODY, headers, NEW) == CALL


def test_a_signed_body_that_is_not_json_is_an_invalid_argument() -> None:
    text = "sunny, probably"
    with pytest.raises(ZabyError, match="not JSON") as caught:
        webhooks.verify_signature(text, signed_call(body=text), OLD)
    assert caught.value.code == "INVALID_ARGUMENT"
    assert not isinstance(caught.value, ZabyWebhookVerificationError)
