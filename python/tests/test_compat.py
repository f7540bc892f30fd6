"""Drop-in compatibility with the public Python SDK (issue 14): ``fetch=`` kept in the
configuration, ``api_origin=`` on the constructors, ``signal=`` aborting calls and
streams, and an unknown ``environment`` refused."""

from __future__ import annotations

import asyncio
import threading

import pytest

import zaby.sync
from zaby import (
    MockTransport,
    RequestOptions,
    Zaby,
    ZabyError,
    ZabyGlobalConfig,
    ZabyRuntime,
    configure_zaby,
    resolve_zaby_config,
)

RUN = "/api/v1/agent-runtime/runs/run-42/aiui"


def fake_fetch(*args: object, **kwargs: object) -> None:
    raise AssertionError("the SDK never calls fetch")


def test_fetch_is_kept_at_every_level_and_never_called(transport: MockTransport) -> None:
    assert ZabyGlobalConfig(fetch=fake_fetch).fetch is fake_fetch
    assert resolve_zaby_config().fetch is None
    configure_zaby(fetch=fake_fetch)
    assert resolve_zaby_config().fetch is fake_fetch
    other = lambda *a: None  # noqa: E731
    assert resolve_zaby_config(ZabyGlobalConfig(fetch=other)).fetch is other
    transport.set_response("GET", "/health", 200, {"status": "ok"})
    with zaby.sync.Zaby(api_key="k", transport=transport) as z:
        assert z.health.check() == {"status": "ok"}
        assert z.config.fetch is fake_fetch


def test_a_fetch_that_is_not_callable_is_invalid_config() -> None:
    for build in (lambda: ZabyGlobalConfig(fetch="https://example"), lambda: configure_zaby(fetch=42)):
        with pytest.raises(ZabyError) as info:
            build()
        assert info.value.code == "INVALID_CONFIG" and "fetch must be callable" in str(info.value)


def test_api_origin_on_the_constructors_wins_over_config(transport: MockTransport) -> None:
    config = ZabyGlobalConfig(api_origin="https://config.example", timeout_ms=1234)
    for client in (
        Zaby(api_key="k", config=config, api_origin="http://localhost:9999/"),
        ZabyRuntime(token="t", config=config, api_origin="http://localhost:9999"),
        zaby.sync.Zaby(api_key="k", config=config, api_origin="http://localhost:9999"),
        zaby.sync.ZabyRuntime(token="t", config=config, api_origin="http://localhost:9999"),
    ):
        assert (client.config.api_origin, client.config.timeout_ms) == ("http://localhost:9999", 1234)
    assert config.api_origin == "https://config.example"  # the caller's object is untouched
    with pytest.raises(ZabyError) as info:
        Zaby(api_key="k", api_origin=9999)  # type: ignore[arg-type]
    assert (info.value.code, str(info.value)) == ("INVALID_ARGUMENT", "api_origin must be a str, got int")
    with pytest.raises(ZabyError) as bad:
        Zaby(api_key="k", api_origin="localhost:9080")
    assert bad.value.code == "INVALID_CONFIG"


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ZabyError) as info:
        Zaby(api_key="k", config=ZabyGlobalConfig(environment="dev"))
    assert info.value.code == "INVALID_CONFIG" and "dev" in str(info.value)
    monkeypatch.setenv("ZABY_ENVIRONMENT", "dev")
    with pytest.raises(ZabyError):
        zaby.sync.Zaby(api_key="k")


async def test_an_asyncio_event_aborts_a_call(client: Zaby, transport: MockTransport) -> None:
    stop = asyncio.Event()
    stop.set()
    with pytest.raises(ZabyError) as info:
        await client.health.check(signal=stop)
    assert info.value.code == "ABORTED"
    transport.set_response("GET", "/health", 200, {"status": "ok"})
    assert await client.health.check(options=RequestOptions(signal=asyncio.Event())) == {"status": "ok"}


async def test_an_asyncio_event_aborts_a_call_in_flight() -> None:
    stop = asyncio.Event()

    class Hanging:
        async def send(self, request: object) -> object:
            await asyncio.sleep(30)
            raise AssertionError("not reached")

    client = Zaby(api_key="k", transport=Hanging())
    asyncio.get_running_loop().call_later(0.05, stop.set)
    with pytest.raises(ZabyError) as info:
        await asyncio.wait_for(client.health.check(signal=stop), 5)
    assert info.value.code == "ABORTED"


async def test_an_asyncio_event_aborts_a_stream(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", RUN, [{"id": "1", "event": "text", "data": {"content": "Hi"}}])
    stop = asyncio.Event()
    stream = runtime.runs.stream("run-42", signal=stop)
    assert stream.run_id == "run-42"
    first = await stream.__anext__()
    assert first.id == "1" and stream.last_event_id == "1"
    stop.set()
    with pytest.raises(ZabyError) as info:
        await stream.__anext__()
    assert info.value.code == "ABORTED"


async def test_a_signal_of_the_wrong_kind_is_invalid_argument(client: Zaby) -> None:
    for signal in (threading.Event(), "stop", True):
        with pytest.raises(ZabyError) as info:
            await client.health.check(signal=signal)
        assert info.value.code == "INVALID_ARGUMENT" and "asyncio.Event" in str(info.value)
    with pytest.raises(ZabyError):
        client.agents.iter(signal=threading.Event())


PROVISIONING = "/api/v1/provisioning/managed-agents/deployments/dep-1/provisioning"
NOT_READY = {"code": "DEPLOYMENT_PROVISIONING_NOT_READY", "message": "still PENDING"}


async def test_wait_until_active_polls_until_200(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", PROVISIONING, 404, NOT_READY)
    transport.set_response("GET", PROVISIONING, 200, {"deploymentId": "dep-1", "status": "ACTIVE"})
    assert await client.deployments.wait_until_active("dep-1") == {"deploymentId": "dep-1", "status": "ACTIVE"}
    assert len(transport.requests) == 2


def test_wait_until_active_on_the_sync_client(transport: MockTransport) -> None:
    transport.set_response("GET", PROVISIONING, 404, NOT_READY)
    transport.set_response("GET", PROVISIONING, 409, {"code": "DEPLOYMENT_NOT_ACTIVE", "message": "FAILED"})
    with zaby.sync.Zaby(api_key="k", transport=transport) as z:
        with pytest.raises(ZabyError) as info:
            z.deployments.wait_until_active("dep-1", timeout_ms=5_000)
        assert info.value.code == "DEPLOYMENT_NOT_ACTIVE"  # raised at once, not retried
        for _ in range(50):
            transport.set_response("GET", PROVISIONING, 404, NOT_READY)
        with pytest.raises(zaby.ZabyTimeoutError) as late:
            z.deployments.wait_until_active("dep-1", timeout_ms=150)
        assert "DEPLOYMENT_PROVISIONING_NOT_READY" in str(late.value)


async def test_wait_until_active_names_bad_arguments(client: Zaby) -> None:
    for args, message in (((42,), "deployment_id must be a str, got int 42"),
                          (("dep-1", -1), "timeout_ms must be a number of milliseconds >= 0, got -1")):
        with pytest.raises(ZabyError) as info:
            await client.deployments.wait_until_active(*args)  # type: ignore[arg-type]
        assert (info.value.code, str(info.value)) == ("INVALID_ARGUMENT", message)
