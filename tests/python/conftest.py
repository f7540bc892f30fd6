"""Fixtures: the live server(s), and SDK clients that send through the recording
transport. The mode comes from ZABY_E2E_BACKEND (`sqlite`, the default, or
`postgres` with ZABY_E2E_POSTGRES_URL naming a fresh database)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import pytest
import zaby
from zaby import RetryPolicy, Zaby, ZabyGlobalConfig, ZabyRuntime

from _recording import RecordingTransport
from _servers import Server, Servers, start_servers

_SERVERS: Servers | None = None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    # A SIGTERM (e.g. from tests/python/run) ends the session like Ctrl-C: servers stop.
    signal.signal(signal.SIGTERM, _interrupt)
    # The suite tests the package as users install it, never the source tree.
    location = Path(zaby.__file__).resolve()
    assert "site-packages" in location.parts, f"zaby imported from {location}, not from an installed wheel"
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        assert location.is_relative_to(Path(venv).resolve()), f"zaby imported from {location}, outside {venv}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The coverage check judges everything else, so it runs last.
    items.sort(key=lambda item: item.get_closest_marker("coverage_check") is not None)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    global _SERVERS
    _SERVERS = start_servers()
    try:
        yield _SERVERS
    finally:
        _SERVERS.stop()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int) -> None:
    if _SERVERS is None:
        return
    if exitstatus != 0:
        terminalreporter.write_sep("=", "zaby-server logs")
        terminalreporter.write_line(_SERVERS.logs())


def config_for(server: Server) -> ZabyGlobalConfig:
    # No retries: every request the suite makes is answered once, as recorded.
    return ZabyGlobalConfig(api_origin=server.origin, timeout_ms=60_000, retries=RetryPolicy(attempts=0))


class Clients:
    """Builds clients on the recording transport and closes them after the test."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers
        self._open: list[Any] = []

    def _keep(self, client: Any) -> Any:
        self._open.append(client)
        return client

    def zaby(self, server: Server | None = None, api_key: str | None = None) -> Zaby:
        """A management client (API key), on replica A unless told otherwise."""
        target = server or self.servers.a
        return self._keep(
            Zaby(api_key=api_key or self.servers.api_key, transport=RecordingTransport(), config=config_for(target))
        )

    def tenant(self, user: str = "e2e-user", server: Server | None = None) -> Zaby:
        """A client with a tenant access token minted by the admin CLI."""
        token = self.servers.tenant_token(user)
        target = server or self.servers.a
        return self._keep(Zaby(access_token=token, transport=RecordingTransport(), config=config_for(target)))

    def runtime(self, token: str, server: Server | None = None) -> ZabyRuntime:
        """An end user's client (runtime token), on replica B unless told otherwise."""
        target = server or self.servers.b
        return self._keep(ZabyRuntime(token=token, transport=RecordingTransport(), config=config_for(target)))

    async def aclose(self) -> None:
        for client in self._open:
            await client.aclose()


@pytest.fixture
async def clients(servers: Servers) -> AsyncIterator[Clients]:
    made = Clients(servers)
    try:
        yield made
    finally:
        await made.aclose()


@pytest.fixture
def z(clients: Clients) -> Zaby:
    return clients.zaby()
