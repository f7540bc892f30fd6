"""Shared fixtures: a fresh MockTransport, clients over it, and a clean global config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import zaby
from zaby import MockTransport, Zaby, ZabyRuntime


@pytest.fixture(autouse=True)
def clean_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("ZABY_API_ORIGIN", raising=False)
    monkeypatch.delenv("ZABY_ENVIRONMENT", raising=False)
    zaby.reset_zaby_config_for_tests()
    yield
    zaby.reset_zaby_config_for_tests()


@pytest.fixture
def transport() -> MockTransport:
    return MockTransport()


@pytest.fixture
def client(transport: MockTransport) -> Zaby:
    return Zaby(api_key="test-key", transport=transport)


@pytest.fixture
def runtime(transport: MockTransport) -> ZabyRuntime:
    return ZabyRuntime(token="test-token", transport=transport)
