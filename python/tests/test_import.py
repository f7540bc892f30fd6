"""`import zaby` loads none of the heavy standard modules it does not need until first use,
and the plain value classes that replaced dataclasses keep their dataclass-like behaviour."""

from __future__ import annotations

import copy
import json
import pickle
import subprocess
import sys

import pytest

import zaby
from zaby import RequestOptions, RetryPolicy, TransportRequest, TransportResponse, ZabyGlobalConfig
from zaby.config import resolve_zaby_config

_DEFERRED = ["typing", "logging", "dataclasses", "inspect"]


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys; {code}; import json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def test_import_zaby_defers_typing_logging_and_dataclasses() -> None:
    before = _loaded_after("pass")
    after = _loaded_after("import zaby")
    assert "zaby._native" in after
    pulled_in = [m for m in _DEFERRED if m in after and m not in before]
    assert not pulled_in, f"import zaby imported {pulled_in}"


def test_run_event_is_one_lazy_name_on_every_face() -> None:
    assert "zaby.events" not in _loaded_after("import zaby, zaby.sync, zaby.runtime")
    import zaby.events
    import zaby.runtime
    import zaby.sync

    assert zaby.RunEvent is zaby.sync.RunEvent is zaby.runtime.RunEvent is zaby.events.RunEvent
    assert zaby.events.TextEvent in zaby.RunEvent.__args__ and zaby.events.OtherEvent in zaby.RunEvent.__args__
    with pytest.raises(AttributeError):
        zaby.sync.NoSuchName  # noqa: B018


def test_lazy_names_resolve() -> None:
    from typing import Union

    from zaby.client import CredentialProvider
    from zaby.transport import ZabyTransport

    assert zaby.ZabyTransport is ZabyTransport
    assert getattr(CredentialProvider, "__origin__", None) is Union

    class Custom:
        async def send(self, request: TransportRequest) -> TransportResponse:
            return TransportResponse(200)

    assert isinstance(Custom(), ZabyTransport)
    assert not isinstance(object(), ZabyTransport)
    with pytest.raises(AttributeError):
        zaby.client.NoSuchName  # noqa: B018


def test_records_compare_print_and_copy_like_dataclasses() -> None:
    policy = RetryPolicy(2, retry_statuses=[503])
    assert policy == RetryPolicy(attempts=2, retry_methods=None, retry_statuses=[503])
    assert policy != RetryPolicy(3)
    assert repr(policy) == "RetryPolicy(attempts=2, retry_methods=None, retry_statuses=[503], backoff_ms=None)"
    config = ZabyGlobalConfig(timeout_ms=5, retries=policy)
    config.api_origin = "http://127.0.0.1:1"
    assert pickle.loads(pickle.dumps(config)) == config
    assert copy.deepcopy(config) == config
    with pytest.raises(TypeError):
        hash(config)
    with pytest.raises(AttributeError):
        config.no_such_field = 1  # type: ignore[attr-defined]
    request = TransportRequest("GET", "http://x/health", "/health")
    assert request.headers == {} and request.headers is not TransportRequest("GET", "u", "/").headers


def test_frozen_records_reject_assignment_and_hash() -> None:
    options = RequestOptions(request_id="r1")
    with pytest.raises(AttributeError):
        options.timeout_ms = 3  # type: ignore[misc]
    assert hash(options) == hash(RequestOptions("r1", None))
    assert pickle.loads(pickle.dumps(options)) == options
    assert copy.copy(options) == options
    resolved = resolve_zaby_config(ZabyGlobalConfig(timeout_ms=1234))
    assert resolved.timeout_ms == 1234
    with pytest.raises(AttributeError):
        resolved.timeout_ms = 1  # type: ignore[misc]
    assert resolved == resolved and resolved.retries.attempts == 0
