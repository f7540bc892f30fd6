"""The sync face, ``zaby.sync`` (`docs/configuration.md`): the same clients over MockTransport, plain
methods and iterators, context managers, threads, and the errors that only it has."""

from __future__ import annotations

import asyncio
import http.server
import inspect
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import zaby
from zaby import (
    HttpTransport,
    MockTransport,
    RetryPolicy,
    SseEvent,
    TransportRequest,
    TransportResponse,
    ZabyError,
    ZabyGlobalConfig,
    ZabyNotFoundError,
    ZabyStreamError,
)
from zaby.sync import SyncRunEventStream, Zaby, ZabyRuntime

AGENTS = "/api/v1/provisioning/agentic-os/agents"
RUN = "/api/v1/agent-runtime/runs/run-42/aiui"
HI = {"id": "1", "event": "text", "data": {"content": "Hi"}}
DONE = {"id": "2", "event": "RunFinished", "data": {"runId": "run-42", "status": "COMPLETED", "finalOutput": "Hi"}}


@pytest.fixture
def sync_client(transport: MockTransport) -> Iterator[Zaby]:
    with Zaby(api_key="test-key", transport=transport) as z:
        yield z


@pytest.fixture
def sync_runtime(transport: MockTransport) -> Iterator[ZabyRuntime]:
    with ZabyRuntime(token="test-token", transport=transport) as r:
        yield r


def test_every_async_method_has_a_sync_twin_with_the_same_signature() -> None:
    async_client = zaby.Zaby(api_key="k", transport=MockTransport())
    sync_client = Zaby(api_key="k", transport=MockTransport())
    async_runtime = zaby.ZabyRuntime(token="t", transport=MockTransport())
    sync_runtime = ZabyRuntime(token="t", transport=MockTransport())
    count = 0
    for endpoint in zaby._native.endpoints():
        for b in endpoint["bindings"]:
            owners = (async_client, sync_client) if b["owner"] == "zaby" else (async_runtime, sync_runtime)
            for name in filter(None, (b["method"], b["iter"])):
                a = getattr(getattr(owners[0], b["attr"]), name)
                s = getattr(getattr(owners[1], b["attr"]), name)
                assert inspect.signature(a) == inspect.signature(s), name
                assert not inspect.iscoroutinefunction(s), name
                count += 1
    assert count >= 133


def test_a_call_returns_the_parsed_body(sync_client: Zaby, transport: MockTransport) -> None:
    transport.set_response("POST", AGENTS, 201, {"id": "agt-7"})
    assert sync_client.agents.create({"slug": "x", "name": "X"}, request_id="r-1") == {"id": "agt-7"}
    req = transport.requests[0]
    assert (req.json_body, req.headers["x-request-id"], req.headers["x-zaby-api-key"]) == (
        {"slug": "x", "name": "X"}, "r-1", "test-key",
    )
    assert req.headers["user-agent"].startswith("zaby-python/")


def test_errors_are_the_async_clients_classes(sync_client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS + "/nope", 404, {"code": "AGENT_NOT_FOUND", "message": "no such agent"})
    with pytest.raises(ZabyNotFoundError) as info:
        sync_client.agents.get("nope")
    assert (info.value.status, info.value.code, str(info.value)) == (404, "AGENT_NOT_FOUND", "no such agent")
    with pytest.raises(ZabyError) as bad:
        sync_client.agents.get("")
    assert bad.value.code == "INVALID_ARGUMENT"


def test_a_non_str_path_id_names_the_argument(
    sync_client: Zaby, sync_runtime: ZabyRuntime, transport: MockTransport
) -> None:
    calls = [
        (lambda: sync_client.agents.get(42), "agent_id must be a str, got int 42"),  # type: ignore[arg-type]
        (lambda: sync_client.external_apps.get(3), "external_app_id must be a str, got int 3"),  # type: ignore[arg-type]
        (lambda: sync_client.agents.iter_run_events(7), "run_id must be a str, got int 7"),  # type: ignore[arg-type]
        (lambda: sync_runtime.runs.stream(True), "run_id must be a str, got bool True"),  # type: ignore[arg-type]
    ]
    for call, message in calls:
        with pytest.raises(ZabyError) as info:
            call()
        assert (info.value.code, str(info.value)) == ("INVALID_ARGUMENT", message)
    assert transport.requests == []


def test_retries_and_config_apply(transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS + "/a", 503, {"code": "UNAVAILABLE"})
    transport.set_response("GET", AGENTS + "/a", 200, {"id": "a"})
    config = ZabyGlobalConfig(retries=RetryPolicy(attempts=1, backoff_ms=lambda _: 0), user_agent="ua/1")
    with Zaby(api_key="k", transport=transport, config=config) as z:
        assert z.agents.get("a") == {"id": "a"}
        assert z.config.retries.attempts == 1
    assert [r.headers["user-agent"] for r in transport.requests] == ["ua/1", "ua/1"]


def test_iter_is_a_plain_lazy_iterator(sync_client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"items": [{"id": 1}, {"id": 2}], "nextCursor": "c1"})
    transport.set_response("GET", AGENTS + "?cursor=c1", 200, {"items": [{"id": 3}], "nextCursor": None})
    it = sync_client.agents.iter()
    assert transport.requests == []
    assert next(it) == {"id": 1}
    assert list(it) == [{"id": 2}, {"id": 3}]
    assert len(transport.requests) == 2


def test_iter_errors_surface_at_the_page_and_finish_it(sync_client: Zaby, transport: MockTransport) -> None:
    transport.set_response("GET", AGENTS, 200, {"items": [{"id": 1}], "nextCursor": "c"})
    transport.set_response("GET", AGENTS + "?cursor=c", 404, {"code": "NOT_FOUND", "message": "gone"})
    it = sync_client.agents.iter()
    assert next(it) == {"id": 1}
    with pytest.raises(ZabyNotFoundError):
        next(it)
    assert list(it) == []


def test_stream_is_a_plain_iterator_and_context_manager(sync_runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", RUN, [HI, DONE])
    with sync_runtime.runs.stream("run-42") as stream:
        assert isinstance(stream, SyncRunEventStream)
        assert transport.requests == []  # opened lazily
        events = list(stream)
    assert events == [SseEvent({"content": "Hi"}, "1", "text"), SseEvent(DONE["data"], "2", "RunFinished")]
    assert (stream.run_id, stream.last_event_id) == ("run-42", "2")


def test_stream_reconnects_and_dedups_like_the_async_one(sync_runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", RUN, [HI])  # a drop before the terminal event
    transport.set_sse("GET", RUN, [HI, DONE])
    assert [ev.id for ev in sync_runtime.runs.stream("run-42")] == ["1", "2"]
    assert transport.requests[1].headers["last-event-id"] == "1"


def test_id_less_events_then_a_drop_raise_at_once_without_a_replay(
    sync_runtime: ZabyRuntime, transport: MockTransport
) -> None:
    # `docs/streaming.md#reconnection`: a replay of id-less events could not be de-duplicated.
    idless = [{"event": "text", "data": {"content": "a"}}, {"event": "text", "data": {"content": "b"}}]
    transport.set_sse("GET", RUN, idless)
    transport.set_sse("GET", RUN, idless)  # a replay that must never be asked for
    seen = []
    start = time.monotonic()
    with pytest.raises(ZabyStreamError) as info:
        for ev in sync_runtime.runs.stream("run-42"):
            seen.append(ev.data["content"])
    assert time.monotonic() - start < 0.2  # no reconnect delay (the first is 250 ms)
    assert seen == ["a", "b"]
    assert (info.value.code, info.value.last_event_id) == ("STREAM_DISCONNECTED", None)
    assert (len(transport.requests), transport.pending) == (1, 1)


def test_stream_errors_and_close(sync_runtime: ZabyRuntime, transport: MockTransport) -> None:
    transport.set_sse("GET", RUN, [HI])
    transport.set_response("GET", RUN, 401, {"code": "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED", "message": "revoked"})
    stream = sync_runtime.runs.stream("run-42")
    assert next(stream).id == "1"
    with pytest.raises(ZabyStreamError) as info:
        next(stream)
    assert (info.value.code, info.value.last_event_id) == ("MANAGED_AGENT_RUNTIME_TOKEN_REVOKED", "1")
    transport.set_sse("GET", RUN, [HI, DONE])
    early = sync_runtime.runs.stream("run-42")
    assert next(early).id == "1"
    early.close()
    early.close()  # idempotent
    assert list(early) == []


def test_closed_clients_refuse_calls(transport: MockTransport) -> None:
    z = Zaby(api_key="k", transport=transport)
    with z:
        pass
    assert z.closed
    with pytest.raises(ZabyError) as info:
        z.health.check()
    assert info.value.code == "CLIENT_CLOSED"


def test_sync_methods_refuse_a_running_event_loop(sync_client: Zaby, sync_runtime: ZabyRuntime) -> None:
    async def inside_a_loop() -> list[ZabyError]:
        errors = []
        for call in (lambda: sync_client.health.check(), lambda: next(sync_client.agents.iter()),
                     lambda: next(sync_runtime.runs.stream("run-42"))):
            with pytest.raises(ZabyError) as info:
                call()
            errors.append(info.value)
        return errors

    for err in asyncio.run(inside_a_loop()):
        assert err.code == "SYNC_IN_ASYNC_CONTEXT"
        assert "from zaby import Zaby" in str(err)


def test_providers_are_plain_functions_called_on_every_attempt(transport: MockTransport) -> None:
    keys = iter(["k1", "k2"])
    transport.set_response("GET", "/health", 200, {"status": "ok"})
    transport.set_response("GET", "/health", 200, {"status": "ok"})
    with Zaby(api_key=lambda: next(keys), transport=transport) as z:
        z.health.check()
        z.health.check()
    assert [r.headers["x-zaby-api-key"] for r in transport.requests] == ["k1", "k2"]


def test_async_providers_and_transports_are_refused() -> None:
    async def provider() -> str:
        return "k"

    class AsyncTransport:
        async def send(self, request: TransportRequest) -> TransportResponse:
            return TransportResponse(200)

    for build in (lambda: Zaby(api_key=provider), lambda: Zaby(api_key="k", access_token=provider),
                  lambda: ZabyRuntime(token=provider), lambda: Zaby(api_key="k", transport=AsyncTransport())):
        with pytest.raises(ZabyError) as info:
            build()
        assert info.value.code == "INVALID_ARGUMENT"
        assert "async" in str(info.value)
    # A provider that hides its coroutine behind a plain function fails at the call.
    transport = MockTransport()
    with Zaby(api_key=lambda: provider(), transport=transport) as z:
        with pytest.raises(ZabyError) as info:
            z.health.check()
    assert info.value.code == "CREDENTIAL_PROVIDER_FAILED"
    assert "awaitable" in str(info.value)
    assert transport.requests == []


def test_a_custom_sync_transport_serves_calls_and_streams() -> None:
    seen: list[TransportRequest] = []

    class Recording:
        def send(self, request: TransportRequest) -> TransportResponse:
            seen.append(request)
            if request.stream:
                chunks = [b"id: 1\nevent: text\ndata: {\"content\":", b"\"Hi\"}\n\n",
                          b"id: 2\nevent: RunFinished\ndata: {}\n\n"]
                return TransportResponse(200, {"content-type": "text/event-stream"}, body_stream=iter(chunks))
            return TransportResponse(200, {"content-type": "application/json"}, json_body={"status": "ok"})

    with ZabyRuntime(token="t", transport=Recording()) as r:
        assert [ev.event for ev in r.runs.stream("run-42")] == ["text", "RunFinished"]
        assert r.runs.start({"input": "hi"}) == {"status": "ok"}
    assert [(q.method, q.path) for q in seen] == [("GET", RUN), ("POST", "/api/v1/agent-runtime/runs")]


def test_a_transport_error_reaches_the_caller_unchanged() -> None:
    boom = RuntimeError("boom")

    class Failing:
        def send(self, request: TransportRequest) -> TransportResponse:
            raise boom

    with Zaby(api_key="k", transport=Failing()) as z:
        with pytest.raises(RuntimeError) as info:
            z.health.check()
    assert info.value is boom


def test_signal_is_a_threading_event(sync_client: Zaby, transport: MockTransport) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(ZabyError) as info:
        sync_client.health.check(signal=stop)
    assert info.value.code == "ABORTED"
    assert transport.requests == []
    with pytest.raises(ZabyError) as wrong:
        sync_client.health.check(options=zaby.RequestOptions(signal=asyncio.Event()))
    assert wrong.value.code == "INVALID_ARGUMENT" and "threading.Event" in str(wrong.value)


def test_many_threads_share_one_client(sync_client: Zaby, transport: MockTransport) -> None:
    # The mock answers in queue order, so every thread asks for the same agent.
    for _ in range(64):
        transport.set_response("GET", f"{AGENTS}/a", 200, {"id": "a"})
    results: dict[int, Any] = {}

    def work(i: int) -> None:
        results[i] = sync_client.agents.get("a", request_id=f"r-{i}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: {"id": "a"} for i in range(64)}
    assert sorted(r.headers["x-request-id"] for r in transport.requests) == sorted(f"r-{i}" for i in range(64))


class _Slow(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        time.sleep(0.4)
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_waiting_releases_the_gil_and_a_set_signal_aborts_a_call_in_flight() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with Zaby(api_key="k", transport=HttpTransport(), api_origin=origin) as z:
            ticks = 0
            done = threading.Event()

            def busy() -> None:
                nonlocal ticks
                while not done.is_set():
                    ticks += 1

            t = threading.Thread(target=busy)
            t.start()
            started = time.monotonic()
            assert z.health.check() == {"status": "ok"}
            elapsed = time.monotonic() - started
            done.set()
            t.join()
            assert elapsed >= 0.4 and ticks > 10_000

            stop = threading.Event()
            threading.Timer(0.1, stop.set).start()
            started = time.monotonic()
            with pytest.raises(ZabyError) as info:
                z.health.check(signal=stop)
            assert info.value.code == "ABORTED"
            assert time.monotonic() - started < 0.35
    finally:
        server.shutdown()
