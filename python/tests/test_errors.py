"""The error hierarchy (docs/errors.md): classes, fields, mapping, str/repr, pickling."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import zaby
from zaby import (
    MockResponse,
    MockTransport,
    MockTransportError,
    Zaby,
    ZabyApiError,
    ZabyApiErrorInput,
    ZabyAuthError,
    ZabyConflictError,
    ZabyConnectionError,
    ZabyError,
    ZabyNotFoundError,
    ZabyPermissionError,
    ZabyRateLimitError,
    ZabyRuntimeTokenExhaustedError,
    ZabyRuntimeTokenExpiredError,
    ZabyStreamError,
    ZabyTimeoutError,
    ZabyValidationError,
    create_zaby_api_error,
)

HIERARCHY = {
    ZabyApiError: ZabyError,
    ZabyAuthError: ZabyApiError,
    ZabyRuntimeTokenExpiredError: ZabyAuthError,
    ZabyPermissionError: ZabyApiError,
    ZabyRuntimeTokenExhaustedError: ZabyPermissionError,
    ZabyNotFoundError: ZabyApiError,
    ZabyConflictError: ZabyApiError,
    ZabyValidationError: ZabyApiError,
    ZabyRateLimitError: ZabyApiError,
    ZabyStreamError: ZabyApiError,
    ZabyConnectionError: ZabyError,
    ZabyTimeoutError: ZabyError,
    MockTransportError: ZabyError,
    zaby.ZabyWebhookVerificationError: ZabyError,
}


def test_hierarchy() -> None:
    assert issubclass(ZabyError, Exception)
    for cls, parent in HIERARCHY.items():
        assert cls.__bases__[0] is parent, cls
    assert issubclass(MockTransportError, RuntimeError)
    assert zaby.errors.ZabyError is ZabyError


MAPPING = [
    (401, "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", ZabyRuntimeTokenExpiredError),
    (500, "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", ZabyRuntimeTokenExpiredError),
    (403, "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED", ZabyRuntimeTokenExhaustedError),
    (429, "RATE_LIMITED", ZabyRateLimitError),
    (401, "UNAUTHORIZED", ZabyAuthError),
    (403, "INSUFFICIENT_SCOPE", ZabyPermissionError),
    (404, "NOT_FOUND", ZabyNotFoundError),
    (409, "CONFLICT", ZabyConflictError),
    (400, "BAD_REQUEST", ZabyValidationError),
    (422, "VALIDATION_ERROR", ZabyValidationError),
    (500, "INTERNAL_ERROR", ZabyApiError),
    (302, None, ZabyApiError),
    (413, "PAYLOAD_TOO_LARGE", ZabyApiError),
]


@pytest.mark.parametrize("status,code,cls", MAPPING)
async def test_responses_map_to_classes_with_every_field(status: int, code: str | None, cls: type) -> None:
    body: dict[str, Any] = {"message": "nope", "details": {"x": 1}}
    if code:
        body["code"] = code
    transport = MockTransport(
        [MockResponse("GET", "/health", status, json_body=body, headers={"X-Request-Id": "req_1", "Retry-After": "7"})]
    )
    with pytest.raises(ZabyApiError) as info:
        await Zaby(api_key="k", transport=transport).health.check()
    err = info.value
    assert type(err) is cls
    assert (err.status, err.code, err.message, str(err)) == (status, code, "nope", "nope")
    assert err.request_id == "req_1" and err.retry_after == 7
    assert err.details == body and err.body == body
    assert err.headers["x-request-id"] == "req_1" and err.headers["content-type"] == "application/json"
    assert repr(err) == f"{cls.__name__}(status={status}, code={code!r}, message='nope')"
    assert type(create_zaby_api_error(status, "m", code=code)) is cls


async def test_defaults_without_a_json_body() -> None:
    transport = MockTransport([MockResponse("GET", "/health", 503, body="<html>down</html>")])
    with pytest.raises(ZabyApiError) as info:
        await Zaby(api_key="k", transport=transport).health.check(request_id="mine")
    err = info.value
    assert err.message == "Zaby API request failed with status 503."
    assert err.code is None and err.details is None and err.retry_after is None
    assert err.request_id == "mine"  # the one the SDK sent, as none came back


async def test_error_code_falls_back_to_errorCode() -> None:
    transport = MockTransport([MockResponse("GET", "/health", 409, json_body={"errorCode": "X"})])
    with pytest.raises(ZabyConflictError) as info:
        await Zaby(api_key="k", transport=transport).health.check()
    assert info.value.code == "X"


def test_constructors() -> None:
    e = ZabyApiError(404, "gone", code="NOT_FOUND", request_id="r", retry_after=None, details={"a": 1}, headers={"A": "b"})
    assert (e.status, e.message, e.code, e.request_id, e.details, e.headers) == (404, "gone", "NOT_FOUND", "r", {"a": 1}, {"a": "b"})
    f = ZabyApiError(ZabyApiErrorInput(status=429, message="slow", code="RATE_LIMITED", retry_after=3))
    assert (f.status, f.message, f.retry_after) == (429, "slow", 3)
    g = create_zaby_api_error(ZabyApiErrorInput(status=401))
    assert type(g) is ZabyAuthError and g.message == "Zaby API request failed with status 401."
    base = ZabyError("plain", code="X")
    assert (str(base), repr(base)) == ("plain", "ZabyError(code='X', message='plain')")
    t = ZabyTimeoutError("slow", timeout_ms=5)
    assert (t.code, t.timeout_ms) == ("TIMEOUT", 5)
    assert ZabyConnectionError("down").code == "CONNECTION_ERROR"
    assert MockTransportError("m").code == "MOCK_TRANSPORT"
    with pytest.raises(TypeError):
        ZabyApiError("404", "x")  # type: ignore[arg-type]


def test_errors_pickle_with_fields_and_cause() -> None:
    err = ZabyStreamError(0, "cut", code="STREAM_ERROR", run_id="r1", last_event_id="4", headers={"a": "b"})
    err.__cause__ = ZabyNotFoundError(404, "inner")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is ZabyStreamError
    assert (back.status, back.code, back.message, back.run_id, back.last_event_id, back.headers) == (
        0, "STREAM_ERROR", "cut", "r1", "4", {"a": "b"},
    )
    assert isinstance(back.__cause__, ZabyNotFoundError) and back.__cause__.message == "inner"
    for e in (ZabyTimeoutError("t", timeout_ms=3), MockTransportError("m"), ZabyError("x", code="C")):
        b = pickle.loads(pickle.dumps(e))
        assert type(b) is type(e) and b.__dict__ == e.__dict__ and str(b) == str(e)


async def test_timeout_error_from_the_core() -> None:
    class Slow:
        async def send(self, request: Any) -> Any:
            import asyncio

            await asyncio.sleep(5)

    with pytest.raises(ZabyTimeoutError) as info:
        await Zaby(api_key="k", transport=Slow()).health.check(timeout_ms=20)
    assert (info.value.code, info.value.timeout_ms) == ("TIMEOUT", 20)


async def test_connection_error_from_the_built_in_transport() -> None:
    z = Zaby(api_key="k", config=zaby.ZabyGlobalConfig(api_origin="http://127.0.0.1:9"))
    with pytest.raises(ZabyConnectionError) as info:
        await z.health.check()
    assert info.value.code == "CONNECTION_ERROR"
    assert isinstance(info.value.__cause__, RuntimeError)  # the Rust-side failure, described
    assert "connect" in str(info.value).lower()


def test_invalid_arguments_and_config() -> None:
    with pytest.raises(ZabyError) as info:
        Zaby()
    assert info.value.code == "INVALID_ARGUMENT"
    with pytest.raises(ZabyError) as info:
        Zaby(api_key="")
    assert info.value.code == "INVALID_ARGUMENT"
    with pytest.raises(ZabyError) as info:
        ZabyRuntime_none()
    assert info.value.code == "INVALID_ARGUMENT"
    with pytest.raises(ZabyError) as info:
        Zaby(api_key="k", config=zaby.ZabyGlobalConfig(api_origin="ftp://x"))
    assert info.value.code == "INVALID_CONFIG"
    with pytest.raises(ZabyError) as info:
        Zaby(api_key="k", config=zaby.ZabyGlobalConfig(timeout_ms=0))
    assert info.value.code == "INVALID_CONFIG"
    with pytest.raises(ZabyError) as info:
        Zaby(api_key=123)  # type: ignore[arg-type]
    assert info.value.code == "INVALID_ARGUMENT" and "api_key" in str(info.value)


def ZabyRuntime_none() -> Any:
    return zaby.ZabyRuntime(token=None)  # type: ignore[arg-type]


async def test_invalid_path_and_query_arguments(client: Zaby, transport: MockTransport) -> None:
    with pytest.raises(ZabyError) as info:
        await client.agents.get("")
    assert info.value.code == "INVALID_ARGUMENT"
    with pytest.raises(ZabyError) as info:
        await client.agents.list({"nested": {"a": 1}})
    assert info.value.code == "INVALID_ARGUMENT"
    with pytest.raises(ZabyError) as info:
        await client.agents.create(["not", "an", "object"])  # type: ignore[arg-type]
    assert info.value.code == "INVALID_ARGUMENT"
    assert transport.requests == []  # nothing was sent


async def test_a_non_str_path_id_names_the_argument(client: Zaby, runtime: zaby.ZabyRuntime, transport: MockTransport) -> None:
    # The names come from the endpoint table, as the Python user wrote them.
    calls = [
        (lambda: client.agents.get(42), "agent_id must be a str, got int 42"),  # type: ignore[arg-type]
        (lambda: client.deployments.get_provisioning(1.5), "deployment_id must be a str, got float 1.5"),  # type: ignore[arg-type]
        (lambda: client.agents.list_run_events(b"r"), "run_id must be a str, got bytes b'r'"),  # type: ignore[arg-type]
    ]
    for call, message in calls:
        with pytest.raises(ZabyError) as info:
            await call()
        assert (info.value.code, str(info.value)) == ("INVALID_ARGUMENT", message)
    with pytest.raises(ZabyError) as info:
        client.agents.iter_run_events(7)  # type: ignore[arg-type]
    assert str(info.value) == "run_id must be a str, got int 7"
    with pytest.raises(ZabyError) as info:
        runtime.runs.stream(["run-42"])  # type: ignore[arg-type]
    assert (info.value.code, str(info.value)) == ("INVALID_ARGUMENT", "run_id must be a str, got list ['run-42']")
    assert transport.requests == []


async def test_closed_client(client: Zaby, runtime: zaby.ZabyRuntime) -> None:
    await client.aclose()
    await client.aclose()  # idempotent
    assert client.closed
    with pytest.raises(ZabyError) as info:
        await client.agents.get("a")
    assert info.value.code == "CLIENT_CLOSED" and type(info.value) is ZabyError
    with pytest.raises(ZabyError) as info:
        [i async for i in client.agents.iter()]
    assert info.value.code == "CLIENT_CLOSED"
    async with runtime:
        pass
    with pytest.raises(ZabyError) as info:
        [e async for e in runtime.runs.stream("r")]
    assert info.value.code == "CLIENT_CLOSED"
