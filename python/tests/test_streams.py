"""Run streams (`docs/streaming.md`): iteration, termination, reconnects, de-duplication, stream
errors, and every way to stop early (break, aclose, async with, task cancellation)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, AsyncIterator

import pytest

from zaby import (
    MockTransport,
    MockTransportError,
    RunEventStream,
    SseEvent,
    TransportRequest,
    TransportResponse,
    ZabyAuthError,
    ZabyError,
    ZabyRuntime,
    ZabyStreamError,
)

PATH = "/api/v1/agent-runtime/runs/run-42/aiui"
HI = {"id": "1", "event": "text", "data": {"content": "Hi there"}}
DONE = {"id": "2", "event": "RunFinished", "data": {"runId": "run-42", "status": "COMPLETED", "finalOutput": "Hi there"}}


async def test_events_in_order(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", PATH, [HI, DONE, {"id": "3", "event": "text", "data": "after the end"}])
    stream = runtime.runs.stream("run-42")
    assert isinstance(stream, RunEventStream) and not inspect.iscoroutine(stream)
    assert transport.requests == []  # opened lazily
    seen = [ev async for ev in stream]
    assert [ev.event for ev in seen] == ["text", "RunFinished"]
    assert seen[0] == SseEvent({"content": "Hi there"}, "1", "text")
    assert seen[0]["data"] == {"content": "Hi there"} and seen[0].to_dict() == {"event": "text", "data": {"content": "Hi there"}, "id": "1"}
    assert (stream.run_id, stream.last_event_id) == ("run-42", "2")
    req = transport.requests[-1]
    assert req.headers["accept"] == "text/event-stream" and req.stream


async def test_an_event_of_an_unknown_name_still_arrives(runtime: ZabyRuntime, transport: MockTransport) -> None:
    # Typed as `zaby.events.OtherEvent`; at run time the same `SseEvent` as every event.
    transport.set_sse("GET", PATH, [{"id": "1", "event": "plan_updated", "data": {"steps": 3}}, DONE])
    seen = [ev async for ev in runtime.runs.stream("run-42")]
    assert seen[0] == SseEvent({"steps": 3}, "1", "plan_updated")
    assert [ev.event for ev in seen] == ["plan_updated", "RunFinished"]


async def test_reconnect_resumes_with_last_event_id_and_dedups(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", PATH, [HI])  # ends without a terminal event: a drop
    transport.set_sse("GET", PATH, [HI, DONE])  # the server replays event 1
    seen = [ev.id async for ev in runtime.runs.stream("run-42")]
    assert seen == ["1", "2"]
    assert transport.requests[1].headers["last-event-id"] == "1"
    assert "last-event-id" not in transport.requests[0].headers


async def test_disconnect_without_reconnects(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", PATH, [HI])
    stream = runtime.runs.stream("run-42", max_reconnects=0)
    seen = []
    with pytest.raises(ZabyStreamError) as info:
        async for ev in stream:
            seen.append(ev)
    err = info.value
    assert (err.status, err.code, err.run_id, err.last_event_id) == (0, "STREAM_DISCONNECTED", "run-42", "1")
    assert len(seen) == 1


async def test_id_less_events_then_a_drop_raise_at_once_without_a_replay(
    runtime: ZabyRuntime, transport: MockTransport
) -> None:
    # `docs/streaming.md#reconnection`: a replay of id-less events could not be de-duplicated.
    idless = [{"event": "text", "data": {"content": "a"}}, {"event": "text", "data": {"content": "b"}}]
    transport.set_sse("GET", PATH, idless)
    transport.set_sse("GET", PATH, idless)  # a replay that must never be asked for
    seen = []
    start = asyncio.get_running_loop().time()
    with pytest.raises(ZabyStreamError) as info:
        async for ev in runtime.runs.stream("run-42"):
            seen.append(ev.data["content"])
    assert asyncio.get_running_loop().time() - start < 0.2  # no reconnect delay (the first is 250 ms)
    assert seen == ["a", "b"]
    assert (info.value.code, info.value.last_event_id) == ("STREAM_DISCONNECTED", None)
    assert (len(transport.requests), transport.pending) == (1, 1)


async def test_queue_running_dry_is_a_stream_error_caused_by_the_mock(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", PATH, [HI])
    with pytest.raises(ZabyStreamError) as info:
        [ev async for ev in runtime.runs.stream("run-42")]
    assert info.value.code == "STREAM_ERROR"
    assert isinstance(info.value.__cause__, MockTransportError)


async def test_reconnect_refused_copies_the_response(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", PATH, [HI])
    transport.set_response("GET", PATH, 401, {"code": "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED", "message": "revoked"})
    with pytest.raises(ZabyStreamError) as info:
        [ev async for ev in runtime.runs.stream("run-42")]
    err = info.value
    assert (err.status, err.code) == (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED")
    assert isinstance(err.__cause__, ZabyAuthError)


async def test_first_connection_error_is_the_mapped_class(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_response("GET", PATH, 401, {"code": "MANAGED_AGENT_RUNTIME_TOKEN_EXPIRED", "message": "expired"})
    with pytest.raises(ZabyAuthError) as info:
        [ev async for ev in runtime.runs.stream("run-42")]
    assert type(info.value).__name__ == "ZabyRuntimeTokenExpiredError"


async def test_break_aclose_and_context_manager(runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", PATH, [HI, DONE])
    async with runtime.runs.stream("run-42") as stream:
        async for ev in stream:
            break
    with pytest.raises(StopAsyncIteration):  # leaving `async with` closed it
        await stream.__anext__()
    transport.set_sse("GET", PATH, [HI, DONE])
    s2 = runtime.runs.stream("run-42")
    assert (await s2.__anext__()).id == "1"
    await s2.aclose()
    await s2.aclose()
    assert [ev async for ev in s2] == []


class SlowStream:
    """A custom transport whose stream yields one event and then hangs; it records
    whether the body iterator was closed (i.e. the connection released)."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def send(self, request: TransportRequest) -> TransportResponse:
        return TransportResponse(200, {"content-type": "text/event-stream"}, body_stream=self._body())

    async def _body(self) -> AsyncIterator[bytes]:
        try:
            yield b"id: 1\nevent: text\ndata: {\"content\": \"a\"}\n\n"
            await asyncio.sleep(60)
        finally:
            self.closed.set()


async def test_task_cancellation_drops_the_rust_stream() -> None:
    slow = SlowStream()
    rt = ZabyRuntime(token="t", transport=slow)
    stream = rt.runs.stream("run-42")
    got: list[Any] = []

    async def consume() -> None:
        async for ev in stream:
            got.append(ev)

    task = asyncio.ensure_future(consume())
    while not got:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e.data for e in got] == [{"content": "a"}]
    await asyncio.wait_for(slow.closed.wait(), 2)  # the body iterator was finalised
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_client_close_ends_open_streams() -> None:
    slow = SlowStream()
    rt = ZabyRuntime(token="t", transport=slow)
    stream = rt.runs.stream("run-42")
    assert (await stream.__anext__()).id == "1"
    pending = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.05)
    await rt.aclose()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 2)


async def test_invalid_stream_arguments(runtime: ZabyRuntime) -> None:
    with pytest.raises(ZabyError) as info:
        [e async for e in runtime.runs.stream("")]
    assert info.value.code == "INVALID_ARGUMENT"


async def test_aclose_from_another_task_interrupts_a_pending_read() -> None:
    slow = SlowStream()
    stream = ZabyRuntime(token="t", transport=slow).runs.stream("run-42")
    assert (await stream.__anext__()).id == "1"
    pending = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.05)
    await asyncio.wait_for(stream.aclose(), 2)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 2)
    await asyncio.wait_for(slow.closed.wait(), 2)


async def test_break_out_of_a_temporary_stream_releases_the_connection() -> None:
    slow = SlowStream()
    runtime = ZabyRuntime(token="t", transport=slow)
    async for ev in runtime.runs.stream("run-42"):
        assert ev.id == "1"
        break
    # The iterator was only referenced by the loop: dropping it drops the Rust stream,
    # which releases the body iterator (here: runs its `finally`).
    await asyncio.wait_for(slow.closed.wait(), 2)
