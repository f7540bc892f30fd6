"""``ZabyTransport``, the transport protocol (`docs/testing.md`); ``zaby.transport`` loads it
on first use."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .transport import TransportRequest, TransportResponse


@runtime_checkable
class ZabyTransport(Protocol):
    """Anything with ``async def send(request) -> TransportResponse`` can carry the SDK's
    requests. Exceptions it raises reach the caller unchanged (a ``ZabyConnectionError``
    or ``ZabyTimeoutError`` is retried like a network failure)."""

    async def send(self, request: TransportRequest) -> TransportResponse: ...


ZabyTransport.__module__ = "zaby.transport"
