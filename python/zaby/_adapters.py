"""Helpers the native layer awaits on the caller's event loop (never imported by users).

The core calls host code through these two coroutines only: one for credential
providers, one for custom transports. Keeping them in Python keeps the Rust adapter
to "schedule this coroutine on the captured loop and await it".
"""

from __future__ import annotations

from .transport import TransportRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


async def call_provider(provider: Any) -> Any:
    """Calls a sync or async credential provider and returns what it produced."""
    value = provider()
    if hasattr(value, "__await__"):
        value = await value
    return value


async def send_via(transport: Any, fields: dict[str, Any]) -> Any:
    """Hands one request to a custom transport's ``send`` and returns its response."""
    return await transport.send(TransportRequest(**fields))


class HostCall:
    """One awaitable the core waits for, run as a task on the caller's loop; ``cancel``
    stops it when the Rust side gives up (task cancelled, stream closed)."""

    __slots__ = ("task", "cancelled")

    def __init__(self) -> None:
        self.task: Any = None
        self.cancelled = False

    def start(self, loop: Any, awaitable: Any, on_done: Any) -> None:
        if self.cancelled:
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()
            return
        import asyncio

        self.task = asyncio.ensure_future(awaitable, loop=loop)
        self.task.add_done_callback(on_done)

    def cancel(self) -> None:
        self.cancelled = True
        if self.task is not None:
            self.task.cancel()


_bridges: Any = None


def loop_bridge(loop: Any, make: Any) -> Any:
    """The native result queue of ``loop``, made and registered with it on first use: the
    core's workers queue finished calls there and wake the loop through its descriptor."""
    global _bridges
    if _bridges is None:
        import weakref

        _bridges = weakref.WeakKeyDictionary()
    bridge = _bridges.get(loop)
    if bridge is None:
        bridge = make()
        loop.add_reader(bridge.fileno(), bridge.drain)
        _bridges[loop] = bridge
    return bridge


_zaby_logger: Any = None


def zaby_log_level() -> int:
    """The lowest level the "zaby" logger accepts now (51 when it accepts none)."""
    global _zaby_logger
    if _zaby_logger is None:
        import logging

        _zaby_logger = logging.getLogger("zaby")
    logger = _zaby_logger
    if logger.disabled:
        return 51
    level: int = max(logger.getEffectiveLevel(), logger.manager.disable + 1)
    return level
