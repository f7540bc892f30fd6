"""``signal=`` on the async client: an ``asyncio.Event`` whose setting aborts a call,
an ``iter_*`` iterator or a run stream with ``ZabyError`` code ``ABORTED`` (`docs/configuration.md`,
the public SDK's ``signal``). The sync client hands its ``threading.Event`` to the core
instead (``zaby.sync``)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _aborted() -> Exception:
    from .errors import ZabyError

    return ZabyError("the call was aborted through its signal", code="ABORTED")


def _checked(signal: Any) -> Any:
    import asyncio

    if not isinstance(signal, asyncio.Event):
        from .errors import ZabyError

        raise ZabyError(
            f"signal must be an asyncio.Event on the async client, got {type(signal).__name__}",
            code="INVALID_ARGUMENT",
        )
    return signal


def _abortable(start: Any, signal: Any) -> Any:
    """``start()`` (the native call) when there is no signal. Otherwise the signal is
    checked first — a call whose signal is already set is never sent — and the started
    call is raced with the signal and cancelled (dropping the HTTP request) if it wins."""
    if signal is None:
        return start()
    if _checked(signal).is_set():
        raise _aborted()
    return _race(start(), signal)


async def _race(awaitable: Any, signal: Any) -> Any:
    import asyncio

    future = asyncio.ensure_future(awaitable)
    waiter = asyncio.ensure_future(signal.wait())
    try:
        await asyncio.wait((future, waiter), return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        if not future.done():
            future.cancel()
    if future.cancelled():
        raise _aborted()
    return future.result()


def _abortable_iter(iterator: Any, signal: Any) -> Any:
    """The iterator itself when there is no signal; otherwise one that ends with
    ``ABORTED`` (and closes the underlying iterator) when the signal is set."""
    if signal is None:
        return iterator
    return _AbortableIterator(iterator, _checked(signal))


class _AbortableIterator:
    """An ``iter_*`` paginator or ``RunEventStream`` whose every step races the signal;
    other attributes (``run_id``, ``last_event_id``) come from the wrapped object."""

    __slots__ = ("_inner", "_signal")

    def __init__(self, inner: Any, signal: Any) -> None:
        self._inner = inner
        self._signal = signal

    def __aiter__(self) -> _AbortableIterator:
        return self

    async def __anext__(self) -> Any:
        try:
            return await _race(self._inner.__anext__(), self._signal)
        except BaseException as err:
            if getattr(err, "code", None) == "ABORTED":
                await self._inner.aclose()
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _AbortableIterator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
