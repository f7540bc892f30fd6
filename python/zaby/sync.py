"""Blocking clients for code without an event loop: scripts, notebooks, Django and
Flask views, Celery tasks (`docs/configuration.md`, "Synchronous Python clients")::

    from zaby.sync import Zaby

    with Zaby(api_key="zaby_pk_...") as zaby:
        agent = zaby.agents.create({"slug": "helper", "name": "Helper"})
        for a in zaby.agents.iter():
            print(a["slug"])

Same sub-clients, methods, arguments, results, errors and configuration as the async
clients in ``zaby``. A call blocks only its own thread, with the GIL released, so
threads sharing one client run in parallel. Calling a method on a thread that runs an
asyncio loop raises ``ZabyError`` code ``SYNC_IN_ASYNC_CONTEXT``: use ``zaby.Zaby``
there. Credential providers are plain functions and custom transports have a plain
``send(request) -> TransportResponse``; ``MockTransport`` and ``HttpTransport`` work with
both faces. ``signal=`` takes a ``threading.Event``.
"""

from __future__ import annotations

from . import _native
from ._native import SyncRunEventStream
from ._sse import SseEvent
from ._sync_clients import _RuntimeClients, _ZabyClients
from .client import _check_config, _with_origin
from .config import ResolvedZabyConfig, ZabyGlobalConfig, _fetch_of, _resolved
from .errors import ZabyError
from .transport import _native_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Callable, Union

    from .events import RunEvent as RunEvent
    from .mocks import MockTransport
    from .transport import HttpTransport, TransportRequest, TransportResponse

    SyncCredentialProvider = Union[str, Callable[[], str]]
    """A credential: the value itself, or a plain function returning it on every attempt."""

__all__ = ["Zaby", "ZabyRuntime", "SyncRunEventStream", "SseEvent", "RunEvent"]


def __getattr__(name: str) -> Any:
    # `RunEvent` (`zaby.events`) needs `typing`: imported on first use, as in `zaby`.
    if name == "RunEvent":
        from .events import RunEvent

        return RunEvent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _is_async_function(value: Any) -> bool:
    import inspect

    return inspect.iscoroutinefunction(value) or inspect.iscoroutinefunction(getattr(value, "__call__", None))


def _check_provider(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str) and _is_async_function(value):
        raise ZabyError(
            f"{name} is an async function; the sync client calls providers without an event loop "
            "(pass a plain function, or use the async client from zaby)",
            code="INVALID_ARGUMENT",
        )


def _sync_transport(transport: Any) -> Any:
    """The SDK's own transports run natively (they serve both faces); any other must
    have a plain ``send``."""
    if transport is None:
        return None
    native = _native_of(transport)
    if native is transport and _is_async_function(getattr(transport, "send", None)):
        raise ZabyError(
            f"transport {type(transport).__name__} has an async send(); the sync client needs "
            "def send(request) -> TransportResponse (or use the async client from zaby)",
            code="INVALID_ARGUMENT",
        )
    return native


class _SyncClient:
    _native: Any
    _fetch: Any = None

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return bool(self._native.closed)

    @property
    def config(self) -> ResolvedZabyConfig:
        """The configuration resolved when this client was built."""
        return _resolved(self._native.resolved_config(), self._fetch)

    def close(self) -> None:
        """Closes the client (idempotent); later calls raise ``ZabyError`` ``CLIENT_CLOSED``."""
        self._native.close_sync()


class Zaby(_SyncClient, _ZabyClients):
    """The management client, blocking: agents, deployments, tokens, knowledge, MCP, …

    ``api_key``/``access_token`` take a string or a plain function returning one.
    """

    def __init__(
        self,
        api_key: SyncCredentialProvider | None = None,
        access_token: SyncCredentialProvider | None = None,
        transport: SyncTransport | MockTransport | HttpTransport | None = None,
        config: ZabyGlobalConfig | None = None,
        tenant_id: str | None = None,
        *,
        api_origin: str | None = None,
    ) -> None:
        _check_config(config)
        self._fetch = _fetch_of(config)
        _check_provider("api_key", api_key)
        _check_provider("access_token", access_token)
        self._native = _native.NativeClient.zaby(
            api_key, access_token, _sync_transport(transport), _with_origin(config, api_origin), tenant_id, True
        )
        self._attach_clients(self._native)

    def __enter__(self) -> Zaby:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"zaby.sync.Zaby(api_origin={self.config.api_origin!r}, closed={self.closed})"


class ZabyRuntime(_SyncClient, _RuntimeClients):
    """The end-user runtime client, blocking: start runs, stream events, approve, give feedback."""

    def __init__(
        self,
        token: SyncCredentialProvider,
        transport: SyncTransport | MockTransport | HttpTransport | None = None,
        config: ZabyGlobalConfig | None = None,
        *,
        api_origin: str | None = None,
    ) -> None:
        _check_config(config)
        self._fetch = _fetch_of(config)
        _check_provider("token", token)
        self._native = _native.NativeClient.runtime(
            token, _sync_transport(transport), _with_origin(config, api_origin), True
        )
        self._attach_clients(self._native)

    def __enter__(self) -> ZabyRuntime:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"zaby.sync.ZabyRuntime(api_origin={self.config.api_origin!r}, closed={self.closed})"


if TYPE_CHECKING:
    from typing import Protocol

    class SyncTransport(Protocol):
        """A transport for the sync client: ``def send(request) -> TransportResponse``."""

        def send(self, request: TransportRequest) -> TransportResponse: ...
