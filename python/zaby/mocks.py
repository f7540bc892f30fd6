"""``MockTransport``: test SDK code without a server (`docs/testing.md`). The queue, the
matching rules and the exact failure messages are the core's."""

from __future__ import annotations

from . import _native
from ._sse import SseEvent
from .errors import MockTransportError
from .transport import TransportRequest, TransportResponse, _response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Mapping, Union

    from .events import RunEvent

    # An event to replay: an `SseEvent` (as a stream yields it, typed `RunEvent`) or a mapping.
    _AnyEvent = Union[SseEvent, RunEvent, Mapping[str, Any]]

__all__ = ["MockTransport", "MockResponse", "MockRequest", "MockTransportError"]

_UNSET: Any = object()


def _event(ev: _AnyEvent) -> dict[str, Any]:
    if isinstance(ev, SseEvent):
        return ev.to_dict()
    from collections.abc import Mapping

    if isinstance(ev, Mapping):
        return dict(ev)
    raise TypeError(f"an SSE event must be a mapping or an SseEvent, got {type(ev).__name__}")


class MockResponse:
    """A canned response, matched against the request's method and path."""

    __slots__ = ("method", "path", "status", "json_body", "body", "headers", "events")

    def __init__(
        self,
        method: str,
        path: str,
        status: int = 200,
        json_body: Any = None,
        body: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        json: Any = _UNSET,
        events: Iterable[_AnyEvent] | None = None,
    ) -> None:
        if json is not _UNSET:
            if json_body is not None:
                raise TypeError("MockResponse takes json_body or its alias json, not both")
            json_body = json
        if body is not None and not isinstance(body, str):
            raise TypeError(f"MockResponse.body must be a str, got {type(body).__name__}")
        self.method = method
        self.path = path
        self.status = status
        self.json_body = json_body
        self.body = body
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.events = None if events is None else [_event(e) for e in events]

    def __repr__(self) -> str:
        return f"MockResponse({self.method!r}, {self.path!r}, status={self.status!r})"


class MockRequest:
    """A request the mock recorded."""

    __slots__ = ("method", "url", "path", "headers", "json_body", "stream")

    def __init__(
        self,
        method: str,
        url: str,
        path: str,
        headers: dict[str, str],
        json_body: Any = None,
        stream: bool = False,
    ) -> None:
        self.method = method
        self.url = url
        self.path = path
        self.headers = headers
        self.json_body = json_body
        self.stream = stream

    @property
    def json(self) -> Any:
        """Alias of ``json_body``."""
        return self.json_body

    @property
    def body(self) -> Any:
        """Alias of ``json_body``."""
        return self.json_body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MockRequest):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MockRequest({self.method!r}, {self.path!r})"


class MockTransport:
    """A transport that records every request and answers from a FIFO queue."""

    __slots__ = ("_native_transport",)

    def __init__(self, responses: Iterable[MockResponse] | None = None) -> None:
        self._native_transport = _native.NativeTransport.mock()
        for r in responses or ():
            self.add_response(r)

    def add_response(self, response: MockResponse) -> None:
        """Appends a prepared ``MockResponse``."""
        if not isinstance(response, MockResponse):
            raise TypeError(f"add_response() takes a MockResponse, got {type(response).__name__}")
        self._native_transport.mock_push(
            response.method,
            response.path,
            response.status,
            response.json_body,
            response.body,
            response.headers,
            response.events,
        )

    def set_response(
        self,
        method: str,
        path: str,
        status: int = 200,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Appends one JSON response; a ``str`` body is returned as raw text."""
        if isinstance(body, str):
            self.add_response(MockResponse(method, path, status, body=body, headers=headers))
        else:
            self.add_response(MockResponse(method, path, status, json_body=body, headers=headers))

    def set_sse(
        self,
        method: str,
        path: str,
        events: Iterable[_AnyEvent],
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Appends one SSE response framed from ``events``."""
        self.add_response(MockResponse(method, path, status, headers=headers, events=events))

    def reset(self) -> None:
        """Empties the queue and the recorded requests."""
        self._native_transport.mock_reset()

    @property
    def requests(self) -> list[MockRequest]:
        """Recorded requests, in order (a fresh list on every access)."""
        return [MockRequest(**r) for r in self._native_transport.mock_requests()]

    @property
    def pending(self) -> int:
        """Queued responses not yet consumed."""
        return int(self._native_transport.mock_pending())

    async def send(self, request: TransportRequest) -> TransportResponse:
        """Answers one request (the ``ZabyTransport`` protocol)."""
        return _response(await self._native_transport.send(request))

    def __repr__(self) -> str:
        return f"MockTransport(pending={self.pending})"
