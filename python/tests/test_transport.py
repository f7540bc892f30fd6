"""Custom transports (the ZabyTransport protocol) and the built-in HttpTransport against
a real local HTTP server."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, AsyncIterator

import pytest

from zaby import (
    HttpTransport,
    TransportRequest,
    TransportResponse,
    Zaby,
    ZabyGlobalConfig,
    ZabyNotFoundError,
    ZabyRuntime,
    ZabyTransport,
)


class Recorder:
    def __init__(self, response: TransportResponse) -> None:
        self.response = response
        self.requests: list[TransportRequest] = []

    async def send(self, request: TransportRequest) -> TransportResponse:
        self.requests.append(request)
        return self.response


async def test_custom_transport_sees_the_request() -> None:
    rec = Recorder(TransportResponse(201, {"X-Request-Id": "srv"}, json_body={"id": "a1"}))
    assert isinstance(rec, ZabyTransport)
    z = Zaby(api_key="k", transport=rec, config=ZabyGlobalConfig(api_origin="http://h:1", timeout_ms=1234))
    assert await z.agents.create({"slug": "s"}, request_id="rid") == {"id": "a1"}
    (req,) = rec.requests
    assert isinstance(req, TransportRequest)
    assert (req.method, req.url, req.path, req.stream, req.timeout_ms) == (
        "POST", "http://h:1/api/v1/provisioning/agentic-os/agents", "/api/v1/provisioning/agentic-os/agents", False, 1234,
    )
    assert req.json_body == {"slug": "s"}
    assert req.headers["x-request-id"] == "rid" and req.headers["content-type"] == "application/json"


async def test_text_bodies_and_errors_from_custom_transports() -> None:
    z = Zaby(api_key="k", transport=Recorder(TransportResponse(200, body='{"a": 1}'))) 
    assert await z.health.check() == {"a": 1}
    z = Zaby(api_key="k", transport=Recorder(TransportResponse(404, body='{"code": "NOT_FOUND", "message": "no"}')))
    with pytest.raises(ZabyNotFoundError):
        await z.health.check()


async def test_exceptions_propagate_unchanged() -> None:
    boom = KeyError("mine")

    class Failing:
        async def send(self, request: TransportRequest) -> TransportResponse:
            raise boom

    with pytest.raises(KeyError) as info:
        await Zaby(api_key="k", transport=Failing()).health.check()
    assert info.value is boom


async def test_custom_transport_body_stream() -> None:
    class Streaming:
        async def send(self, request: TransportRequest) -> TransportResponse:
            assert request.stream and request.headers["accept"] == "text/event-stream"

            async def body() -> AsyncIterator[bytes]:
                # Split mid-event and mid-UTF-8 sequence on purpose.
                raw = 'id: 1\nevent: text\ndata: {"content": "hé"}\n\nid: 2\nevent: RunFinished\ndata: {}\n\n'.encode()
                for i in range(0, len(raw), 7):
                    yield raw[i : i + 7]

            return TransportResponse(200, {"content-type": "text/event-stream"}, body_stream=body())

    rt = ZabyRuntime(token="t", transport=Streaming())
    events = [e async for e in rt.runs.stream("r")]
    assert [e.data for e in events] == [{"content": "hé"}, {}]


async def test_cancelling_the_caller_cancels_the_transport_send() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    class Hanging:
        async def send(self, request: TransportRequest) -> TransportResponse:
            started.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            raise AssertionError("unreachable")

    task = asyncio.ensure_future(Zaby(api_key="k", transport=Hanging()).health.check())
    await asyncio.wait_for(started.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(cancelled.wait(), 2)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-request-id", self.headers.get("x-request-id") or "req_server")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/health":
            seen = {k.lower(): v for k, v in self.headers.items()}
            self._reply(200, json.dumps({"status": "ok", "seen": seen}).encode())
        elif self.path.startswith("/api/v1/agent-runtime/runs/r1/aiui"):
            body = b': connected\n\nid: 1\nevent: text\ndata: {"content":"x"}\n\nid: 2\nevent: RunFinished\ndata: {"status":"COMPLETED"}\n\n'
            self._reply(200, body, "text/event-stream")
        else:
            self._reply(404, b'{"code":"NOT_FOUND","message":"nothing here"}')

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        payload = json.loads(self.rfile.read(length) or b"null")
        self._reply(201, json.dumps({"echo": payload}).encode())


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


async def test_http_transport_end_to_end(server: str) -> None:
    cfg = ZabyGlobalConfig(api_origin=server)
    async with Zaby(api_key="zaby_pk_x", config=cfg) as z:
        health = await z.health.check(request_id="abc")
        assert health["status"] == "ok"
        assert health["seen"]["x-zaby-api-key"] == "zaby_pk_x" and health["seen"]["x-request-id"] == "abc"
        assert await z.agents.create({"slug": "s"}) == {"echo": {"slug": "s"}}
        with pytest.raises(ZabyNotFoundError) as info:
            await z.agents.get("missing")
        assert info.value.request_id == "req_server" and info.value.message == "nothing here"
    rt = ZabyRuntime(token="t", config=cfg, transport=HttpTransport())
    assert [e.id async for e in rt.runs.stream("r1")] == ["1", "2"]


async def test_http_transport_send_directly(server: str) -> None:
    t = HttpTransport()
    r = await t.send(TransportRequest("GET", f"{server}/health", "/health", {"accept": "application/json"}))
    assert r.status == 200 and r.body is not None and json.loads(r.body)["status"] == "ok"
    s = await t.send(TransportRequest("GET", f"{server}/api/v1/agent-runtime/runs/r1/aiui", "/x", stream=True))
    assert s.body_stream is not None
    chunks = b"".join([c async for c in s.body_stream])
    assert b"RunFinished" in chunks
