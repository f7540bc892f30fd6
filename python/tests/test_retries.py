"""Retries (`docs/configuration.md`) as seen from Python: counts, policies, backoff callables,
idempotency-keyed POSTs, transport failures."""

from __future__ import annotations

import time
from typing import Any

import pytest

from zaby import (
    MockResponse,
    MockTransport,
    MockTransportError,
    RetryPolicy,
    TransportRequest,
    TransportResponse,
    Zaby,
    ZabyConnectionError,
    ZabyGlobalConfig,
    ZabyRateLimitError,
    ZabyValidationError,
)

AGENTS = "/api/v1/provisioning/agentic-os/agents"


def client(transport: Any, retries: Any) -> Zaby:
    return Zaby(api_key="k", transport=transport, config=ZabyGlobalConfig(retries=retries))


async def test_get_is_retried_on_listed_statuses(transport: MockTransport) -> None:
    delays: list[int] = []
    z = client(transport, RetryPolicy(attempts=3, backoff_ms=lambda a: delays.append(a) or 1))
    for status in (500, 502, 429):
        transport.set_response("GET", "/health", status, {})
    transport.set_response("GET", "/health", 200, {"status": "ok"})
    assert await z.health.check(request_id="same") == {"status": "ok"}
    assert delays == [0, 1, 2]
    assert [r.headers["x-request-id"] for r in transport.requests] == ["same"] * 4


async def test_attempts_exhausted_raise_the_last_error(transport: MockTransport) -> None:
    z = client(transport, RetryPolicy(attempts=1, backoff_ms=lambda a: 0))
    transport.set_response("GET", "/health", 503, {})
    transport.set_response("GET", "/health", 429, {"code": "RATE_LIMITED"})
    with pytest.raises(ZabyRateLimitError):
        await z.health.check()
    assert transport.pending == 0


async def test_non_retryable_status_and_method(transport: MockTransport) -> None:
    z = client(transport, 3)
    transport.set_response("GET", "/health", 422, {})
    with pytest.raises(ZabyValidationError):
        await z.health.check()
    transport.set_response("POST", AGENTS, 503, {})
    with pytest.raises(Exception):
        await z.agents.create({"slug": "a"})
    assert len(transport.requests) == 2  # neither was retried


async def test_idempotency_keyed_post_is_retried(transport: MockTransport) -> None:
    z = client(transport, RetryPolicy(attempts=1, backoff_ms=lambda a: 0))
    path = f"{AGENTS}/a1/runs"
    transport.set_response("POST", path, 503, {})
    transport.set_response("POST", path, 201, {"runId": "r"})
    assert await z.agents.start_run("a1", {"input": "hi", "requestId": "idem-1"}) == {"runId": "r"}
    assert len(transport.requests) == 2


async def test_retry_after_is_honoured(transport: MockTransport) -> None:
    z = client(transport, RetryPolicy(attempts=1, backoff_ms=lambda a: 0))
    transport.add_response(MockResponse("GET", "/health", 429, json_body={}, headers={"retry-after": "1"}))
    transport.set_response("GET", "/health", 200, {})
    started = time.monotonic()
    await z.health.check()
    assert time.monotonic() - started >= 0.95


async def test_failing_backoff_falls_back_to_default(transport: MockTransport) -> None:
    def bad(attempt: int) -> float:
        raise ValueError("no")

    z = client(transport, RetryPolicy(attempts=1, backoff_ms=bad))
    transport.set_response("GET", "/health", 500, {})
    transport.set_response("GET", "/health", 200, {"ok": True})
    assert await z.health.check() == {"ok": True}


async def test_mock_errors_are_not_retried(transport: MockTransport) -> None:
    z = client(transport, 3)
    with pytest.raises(MockTransportError):
        await z.health.check()
    assert len(transport.requests) == 1


async def test_connection_errors_from_a_custom_transport_are_retried() -> None:
    class Flaky:
        calls = 0

        async def send(self, request: TransportRequest) -> TransportResponse:
            self.calls += 1
            if self.calls < 3:
                raise ZabyConnectionError("reset by peer")
            return TransportResponse(200, json_body={"ok": self.calls})

    flaky = Flaky()
    assert await client(flaky, RetryPolicy(attempts=2, backoff_ms=lambda a: 0)).health.check() == {"ok": 3}
    flaky.calls = -10
    with pytest.raises(ZabyConnectionError) as info:
        await client(flaky, RetryPolicy(attempts=1, backoff_ms=lambda a: 0)).health.check()
    assert str(info.value) == "reset by peer"  # the transport's own error, unchanged
