"""``SseEvent``: one event of a run's stream (docs/streaming.md)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class SseEvent:
    """A server-sent event: ``event`` name, parsed ``data`` and ``id``.

    ``data`` is the parsed JSON payload, or the raw text when it is not JSON.
    Supports ``ev["data"]``-style access and compares equal when all three match.
    """

    __slots__ = ("data", "id", "event")

    # Typed loosely here: a stream's events are typed by ``zaby.events.RunEvent``, whose
    # members say which ``event`` goes with which ``data``; a narrower type here would
    # make ``isinstance(ev, SseEvent)`` on such an event look impossible to checkers.
    event: Any
    data: Any
    id: str | None

    def __init__(self, data: Any, id: str | None = None, event: str | None = None) -> None:
        self.data = data
        self.id = id
        self.event = event

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "data": self.data, "id": self.id}

    def __getitem__(self, key: str) -> Any:
        if key not in ("event", "data", "id"):
            raise KeyError(key)
        return getattr(self, key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SseEvent):
            return NotImplemented
        return (self.event, self.data, self.id) == (other.event, other.data, other.id)

    __hash__ = None  # type: ignore[assignment]  # mutable payload

    def __repr__(self) -> str:
        return f"SseEvent(event={self.event!r}, data={self.data!r}, id={self.id!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (SseEvent, (self.data, self.id, self.event))
