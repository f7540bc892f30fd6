"""MockTransport exactly as `docs/testing.md`: both queueing styles, matching, exact failure
messages, recorded requests."""

from __future__ import annotations

import pytest

from zaby import MockRequest, MockResponse, MockTransport, MockTransportError, SseEvent, TransportRequest, Zaby, ZabyRuntime
from zaby import mocks

AGENTS = "/api/v1/provisioning/agentic-os/agents"


def test_same_objects_from_both_modules() -> None:
    assert mocks.MockTransport is MockTransport and mocks.MockResponse is MockResponse
    assert mocks.MockRequest is MockRequest and mocks.MockTransportError is MockTransportError


async def test_both_styles_mixed_in_fifo_order() -> None:
    transport = MockTransport([MockResponse("GET", "/health", json_body={"status": "ok"})])
    transport.set_response("POST", AGENTS, 201, {"id": "agt-7", "status": "DRAFT"})
    transport.add_response(MockResponse("GET", f"{AGENTS}/agt-7", json={"id": "agt-7"}))
    transport.set_sse("GET", "/api/v1/agent-runtime/runs/run-42/aiui", [
        SseEvent({"content": "Hi"}, "1", "text"),
        {"id": "2", "event": "RunFinished", "data": {"status": "COMPLETED"}},
    ])
    assert transport.pending == 4
    z = Zaby(api_key="test-key", transport=transport)
    assert await z.health.check() == {"status": "ok"}
    created = await z.agents.create({"name": "Helper", "slug": "helper"})
    assert created["id"] == "agt-7"
    assert await z.agents.get("agt-7") == {"id": "agt-7"}
    runtime = ZabyRuntime(token="test-token", transport=transport)
    seen = [ev async for ev in runtime.runs.stream("run-42")]
    assert [ev.event for ev in seen] == ["text", "RunFinished"] and seen[0].data == {"content": "Hi"}
    first = transport.requests[1]
    assert (first.method, first.path) == ("POST", AGENTS)
    assert first.json_body == {"name": "Helper", "slug": "helper"} and first.body == first.json_body == first.json
    assert first.headers["x-zaby-api-key"] == "test-key"
    assert first.url == "https://genapi.zaby.io" + AGENTS
    assert transport.requests[-1].headers["accept"] == "text/event-stream" and transport.requests[-1].stream
    assert transport.pending == 0


async def test_exact_failure_messages_and_head_kept() -> None:
    transport = MockTransport()
    z = Zaby(api_key="k", transport=transport)
    with pytest.raises(MockTransportError) as info:
        await z.agents.list({"limit": 5})
    assert str(info.value) == f"No mock response configured for GET {AGENTS}?limit=5"
    assert info.value.code == "MOCK_TRANSPORT" and isinstance(info.value, RuntimeError)
    transport.set_response("post", AGENTS, 201, {})
    with pytest.raises(MockTransportError) as info:
        await z.agents.get("a1")
    assert str(info.value) == f"Expected POST {AGENTS}, received GET {AGENTS}/a1"
    assert transport.pending == 1  # not consumed
    assert len(transport.requests) == 2  # recorded even though it failed
    await z.agents.create({"slug": "s"})


async def test_query_matching_rules(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"a": 1})  # no '?': query ignored
    assert await client.agents.list({"x": "1"}) == {"a": 1}
    transport.set_response("GET", AGENTS + "?b=2&a=1", 200, {"b": 2})  # order-insensitive multiset
    assert await client.agents.list({"a": 1, "b": 2}) == {"b": 2}
    transport.set_response("GET", AGENTS + "?a=1", 200, {})
    with pytest.raises(MockTransportError):
        await client.agents.list({"a": 2})


async def test_text_bodies_headers_and_reset(client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", "/health", 200, "not json at all", headers={"X-Thing": "1"})
    assert await client.health.check() is None  # invalid JSON → no value
    transport.set_response("GET", "/health", 200, '{"raw": true}')
    assert await client.health.check() == {"raw": True}
    transport.add_response(MockResponse("GET", "/health", 204))
    assert await client.health.check() is None
    transport.reset()
    assert (transport.pending, transport.requests) == (0, [])
    with pytest.raises(TypeError):
        MockResponse("GET", "/x", json_body={"a": 1}, json={"b": 2})
    with pytest.raises(TypeError):
        transport.add_response({"method": "GET"})  # type: ignore[arg-type]


async def test_mock_is_a_transport_on_its_own() -> None:
    transport = MockTransport([MockResponse("GET", "/x", 201, json_body={"a": 1}, headers={"X-Y": "z"})])
    response = await transport.send(TransportRequest("GET", "http://h/x", "/x"))
    assert (response.status, response.json_body, response.body) == (201, {"a": 1}, '{"a":1}')
    assert response.headers == {"x-y": "z", "content-type": "application/json"}
    with pytest.raises(MockTransportError, match="No mock response configured for GET /y"):
        await transport.send(TransportRequest("GET", "http://h/y", "/y"))
