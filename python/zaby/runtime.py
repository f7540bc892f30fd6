"""The end-user runtime: ``ZabyRuntime`` and run streams (API.md §4.17–4.19, §5)."""

from ._native import RunEventStream
from ._sse import SseEvent
from .client import ZabyRuntime

__all__ = ["ZabyRuntime", "SseEvent", "RunEventStream"]
