"""The transport abstraction (API.md §1.11): how requests reach the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Protocol, runtime_checkable

from . import _native

__all__ = ["ZabyTransport", "HttpTransport", "TransportRequest", "TransportResponse"]


@dataclass
class TransportRequest:
    """One HTTP attempt as the core hands it to a transport."""

    method: str
    url: str
    path: str
    """Path plus query string, as sent."""
    headers: dict[str, str] = field(default_factory=dict)
    """Lower-case header names."""
    json_body: Any = None
    stream: bool = False
    """``True`` for the SSE request: answer with ``body_stream`` when you can."""
    timeout_ms: int = 30_000


@dataclass
class TransportResponse:
    """What a transport answers. Give ``json_body``, ``body`` (text) or ``body_stream``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    body: str | None = None
    body_stream: AsyncIterator[bytes] | None = None


@runtime_checkable
class ZabyTransport(Protocol):
    """Anything with ``async def send(request) -> TransportResponse`` can carry the SDK's
    requests. Exceptions it raises reach the caller unchanged (a ``ZabyConnectionError``
    or ``ZabyTimeoutError`` is retried like a network failure)."""

    async def send(self, request: TransportRequest) -> TransportResponse: ...


def _response(raw: dict[str, Any]) -> TransportResponse:
    return TransportResponse(raw["status"], raw["headers"], raw["json_body"], raw["body"], raw["body_stream"])


class HttpTransport:
    """The built-in transport (Rust reqwest over rustls, one connection pool)."""

    __slots__ = ("_native_transport",)

    def __init__(self) -> None:
        self._native_transport = _native.NativeTransport.http()

    async def send(self, request: TransportRequest) -> TransportResponse:
        return _response(await self._native_transport.send(request))

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
