"""Credential providers (`docs/configuration.md`): str, sync and async callables, called on every
attempt, awaited on the caller's loop; failures are CREDENTIAL_PROVIDER_FAILED."""

from __future__ import annotations

import asyncio
import threading

import pytest

from zaby import MockTransport, RetryPolicy, Zaby, ZabyError, ZabyGlobalConfig, ZabyRuntime


async def test_static_sync_and_async_providers(transport: MockTransport) -> None:
    calls: list[str] = []
    loop_threads: list[int] = []

    def sync_key() -> str:
        calls.append("sync")
        loop_threads.append(threading.get_ident())
        return f"key-{len(calls)}"

    async def async_token() -> str:
        await asyncio.sleep(0)
        assert asyncio.get_running_loop() is caller_loop
        calls.append("async")
        return "jwt"

    caller_loop = asyncio.get_running_loop()
    z = Zaby(api_key=sync_key, access_token=async_token, transport=transport)
    for _ in range(2):
        transport.set_response("GET", "/health", 200, {})
        await z.health.check()
    h1, h2 = (r.headers for r in transport.requests)
    assert (h1["x-zaby-api-key"], h2["x-zaby-api-key"]) == ("key-1", "key-3")  # fresh per attempt
    assert h1["authorization"] == "Bearer jwt"
    # The sync provider runs on the caller's loop thread too.
    assert set(loop_threads) == {threading.get_ident()}
    transport.set_response("GET", "/health", 200, {})
    await Zaby(api_key="static", transport=transport).health.check()
    assert transport.requests[-1].headers["x-zaby-api-key"] == "static"


async def test_provider_called_on_every_retry(transport: MockTransport) -> None:
    tokens = iter(["t1", "t2", "t3"])
    rt = ZabyRuntime(
        token=lambda: next(tokens),
        transport=transport,
        config=ZabyGlobalConfig(retries=RetryPolicy(attempts=2, backoff_ms=lambda a: 0)),
    )
    transport.set_response("GET", "/api/v1/agent-runtime/runs/r/events", 503, {})
    transport.set_response("GET", "/api/v1/agent-runtime/runs/r/events", 200, {"items": []})
    await rt.runs.events("r")
    assert [r.headers["authorization"] for r in transport.requests] == ["Bearer t1", "Bearer t2"]


class Boom(Exception):
    pass


@pytest.mark.parametrize(
    "provider,cause_type",
    [
        (lambda: (_ for _ in ()).throw(Boom("sync failed")), Boom),
        ("async", Boom),
        (lambda: "", None),
        (lambda: 42, None),
    ],
    ids=["sync-raises", "async-raises", "empty", "not-a-str"],
)
async def test_failing_providers(transport: MockTransport, provider: object, cause_type: type | None) -> None:
    if provider == "async":

        async def failing() -> str:
            raise Boom("async failed")

        provider = failing
    z = Zaby(api_key=provider, transport=transport)  # type: ignore[arg-type]
    transport.set_response("GET", "/health", 200, {})
    with pytest.raises(ZabyError) as info:
        await z.health.check()
    assert info.value.code == "CREDENTIAL_PROVIDER_FAILED"
    if cause_type is not None:
        assert type(info.value.__cause__) is cause_type
        assert "failed" in str(info.value)
    else:
        assert info.value.__cause__ is not None
    assert transport.requests == []  # no request was sent
    assert transport.pending == 1
