"""Auto-paginating iterators (docs/pagination.md)."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from zaby import MockTransport, Zaby, ZabyError, ZabyNotFoundError

AGENTS = "/api/v1/provisioning/agentic-os/agents"


async def test_pages_are_fetched_lazily(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"items": [{"id": 1}, {"id": 2}], "nextCursor": "c1", "total": 3})
    transport.set_response("GET", AGENTS + "?status=ACTIVE&cursor=c1", 200, {"items": [{"id": 3}], "nextCursor": None})
    it = client.agents.iter({"status": "ACTIVE"})
    assert not inspect.iscoroutine(it)
    assert transport.requests == []  # nothing until the first item is asked for
    assert await it.__anext__() == {"id": 1}
    assert len(transport.requests) == 1
    rest = [a async for a in it]
    assert rest == [{"id": 2}, {"id": 3}]
    assert [r.path for r in transport.requests] == [AGENTS + "?status=ACTIVE", AGENTS + "?status=ACTIVE&cursor=c1"]


async def test_caller_cursor_and_stop_rules(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS + "?cursor=start", 200, {"items": [{"id": 1}], "nextCursor": ""})
    assert [a async for a in client.agents.iter({"cursor": "start"})] == [{"id": 1}]
    transport.set_response("GET", AGENTS, 200, {"items": [], "nextCursor": "more"})
    assert [a async for a in client.agents.iter()] == []


async def test_repeated_cursor_fails(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"items": [{"id": 1}], "nextCursor": "c"})
    transport.set_response("GET", AGENTS + "?cursor=c", 200, {"items": [{"id": 2}], "nextCursor": "c"})
    seen = []
    with pytest.raises(ZabyError) as info:
        async for a in client.agents.iter():
            seen.append(a)
    assert info.value.code == "PAGINATION_CURSOR_REPEATED"
    assert seen == [{"id": 1}, {"id": 2}]


async def test_errors_surface_where_the_page_is_needed(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"items": [{"id": 1}], "nextCursor": "c"})
    transport.set_response("GET", AGENTS + "?cursor=c", 404, {"code": "NOT_FOUND", "message": "gone"})
    it = client.agents.iter()
    assert await it.__anext__() == {"id": 1}
    with pytest.raises(ZabyNotFoundError):
        await it.__anext__()
    with pytest.raises(StopAsyncIteration):  # a failed iterator is finished
        await it.__anext__()


async def test_aclose_and_cancellation_stop_the_iterator(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"items": [{"id": 1}, {"id": 2}], "nextCursor": "c"})
    it = client.agents.iter()
    assert await it.__anext__() == {"id": 1}
    await it.aclose()
    with pytest.raises(StopAsyncIteration):
        await it.__anext__()

    class Hang:
        async def send(self, request: object) -> object:
            await asyncio.sleep(60)

    slow = Zaby(api_key="k", transport=Hang())
    it2 = slow.agents.iter()
    task = asyncio.ensure_future(it2.__anext__())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(StopAsyncIteration):
        await it2.__anext__()


async def test_request_options_apply_to_every_page(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"items": [1], "nextCursor": "c"})
    transport.set_response("GET", AGENTS + "?cursor=c", 200, {"items": [2], "nextCursor": None})
    assert [i async for i in client.agents.iter(request_id="rid")] == [1, 2]
    assert [r.headers["x-request-id"] for r in transport.requests] == ["rid", "rid"]
