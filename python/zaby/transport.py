"""The transport abstraction (docs/testing.md): how requests reach the server."""

from __future__ import annotations

from . import _native
from ._record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, AsyncIterator

    from ._protocol import ZabyTransport as ZabyTransport

__all__ = ["ZabyTransport", "HttpTransport", "TransportRequest", "TransportResponse"]


class TransportRequest(Record):
    """One HTTP attempt as the core hands it to a transport."""

    __slots__ = ("method", "url", "path", "headers", "json_body", "stream", "timeout_ms")

    method: str
    url: str
    path: str
    """Path plus query string, as sent."""
    headers: dict[str, str]
    """Lower-case header names."""
    json_body: Any
    stream: bool
    """``True`` for the SSE request: answer with ``body_stream`` when you can."""
    timeout_ms: int

    def __init__(
        self,
        method: str,
        url: str,
        path: str,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        stream: bool = False,
        timeout_ms: int = 30_000,
    ) -> None:
        self.method = method
        self.url = url
        self.path = path
        self.headers = {} if headers is None else headers
        self.json_body = json_body
        self.stream = stream
        self.timeout_ms = timeout_ms


class TransportResponse(Record):
    """What a transport answers. Give ``json_body``, ``body`` (text) or ``body_stream``."""

    __slots__ = ("status", "headers", "json_body", "body", "body_stream")

    status: int
    headers: dict[str, str]
    json_body: Any
    body: str | None
    body_stream: AsyncIterator[bytes] | None

    def __init__(
        self,
        status: int,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        body: str | None = None,
        body_stream: AsyncIterator[bytes] | None = None,
    ) -> None:
        self.status = status
        self.headers = {} if headers is None else headers
        self.json_body = json_body
        self.body = body
        self.body_stream = body_stream


def __getattr__(name: str) -> Any:
    # The protocol class needs `typing` at run time; it is built on first use so that
    # `import zaby` does not pay for `typing`.
    if name == "ZabyTransport":
        from ._protocol import ZabyTransport

        return ZabyTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _response(raw: dict[str, Any]) -> TransportResponse:
    return TransportResponse(raw["status"], raw["headers"], raw["json_body"], raw["body"], raw["body_stream"])


class HttpTransport:
    """The built-in transport (Rust reqwest over rustls, one connection pool)."""

    __slots__ = ("_native_transport",)

    def __init__(self) -> None:
        self._native_transport = _native.NativeTransport.http()

    async def send(self, request: TransportRequest) -> TransportResponse:
        return _response(await self._native_transport.send(request))

    def send_sync(self, request: TransportRequest) -> TransportResponse:
        """``send`` for the sync client: blocks this thread (GIL released). Use it in a
        sync transport that wraps the built-in one (``body_stream`` is then a plain
        iterator of ``bytes``)."""
        return _response(self._native_transport.send_sync(request))

    def __repr__(self) -> str:
        return "HttpTransport()"


def _native_of(transport: Any) -> Any:
    """The Rust transport behind one of the SDK's own transports, so the core uses it
    directly; any other object (or a subclass overriding ``send``) is called in Python."""
    from .mocks import MockTransport

    bases: tuple[Any, ...] = (HttpTransport, MockTransport)
    for base in bases:
        if isinstance(transport, base) and type(transport).send is base.send:
            return transport._native_transport
    return transport
