"""The end-user runtime: ``ZabyRuntime`` and run streams (docs/api/runtime-runs.md, docs/streaming.md)."""

from __future__ import annotations

from ._native import RunEventStream
from ._sse import SseEvent
from .client import ZabyRuntime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events import RunEvent as RunEvent

__all__ = ["ZabyRuntime", "SseEvent", "RunEvent", "RunEventStream"]


def __getattr__(name: str) -> Any:
    # `RunEvent` (`zaby.events`) needs `typing`: imported on first use, as in `zaby`.
    if name == "RunEvent":
        from .events import RunEvent

        return RunEvent
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
