"""Process hygiene: fork safety, logging through `logging`, the GIL released while
waiting, and one runtime per process."""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import zaby
from zaby import MockTransport, RetryPolicy, Zaby, ZabyGlobalConfig, _native


class Slow(BaseHTTPRequestHandler):
    # Keep-alive, so a forked child finds the parent's pooled connection.
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.3)
        body = json.dumps({"pid": os.getpid()}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_client_works_in_a_forked_child(server: str) -> None:
    z = Zaby(api_key="k", config=ZabyGlobalConfig(api_origin=server))
    assert asyncio.run(z.health.check())["pid"] == os.getpid()
    parent_runtime = _native.runtime_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: same client object, fresh runtime and pool
        code = 1
        try:
            os.close(read)
            answer = asyncio.run(asyncio.wait_for(z.health.check(), 10))
            child_runtime = _native.runtime_id()
            ok = answer["pid"] != 0 and child_runtime[0] == os.getpid() and child_runtime != parent_runtime
            os.write(write, b"ok" if ok else b"bad")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            pytest.fail("the forked child hung")
        time.sleep(0.05)
    assert os.read(read, 10) == b"ok"
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent keeps working too.
    assert asyncio.run(z.health.check())["pid"] == os.getpid()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="calls glibc's fork() directly")
def test_client_works_in_a_child_forked_without_os_fork(server: str) -> None:
    """A fork that skips `os.fork()` (and its `register_at_fork` hooks), as a C
    extension's would: the child still gets a fresh runtime and connection pool."""
    z = Zaby(api_key="k", config=ZabyGlobalConfig(api_origin=server))
    assert asyncio.run(z.health.check())["pid"] == os.getpid()
    parent_runtime = _native.runtime_id()
    read, write = os.pipe()
    # PyDLL keeps the GIL across the call, so the child starts out holding it.
    pid = ctypes.PyDLL(None).fork()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            answer = asyncio.run(asyncio.wait_for(z.health.check(), 10))
            ok = answer["pid"] != 0 and _native.runtime_id() != parent_runtime
            os.write(write, b"ok" if ok else b"bad")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            pytest.fail("the child hung")
        time.sleep(0.05)
    assert os.read(read, 10) == b"ok"
    assert os.waitstatus_to_exitcode(status) == 0


async def test_the_gil_is_released_while_waiting(server: str) -> None:
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    loop_ticks = 0

    async def heartbeat() -> None:
        nonlocal loop_ticks
        while True:
            loop_ticks += 1
            await asyncio.sleep(0.01)

    t = threading.Thread(target=spin)
    t.start()
    beat = asyncio.ensure_future(heartbeat())
    try:
        await _slow_call(server, "/health")  # warm up the runtime and the pool
        before, loop_before = ticks, loop_ticks
        # A 300 ms request: the other thread and the event loop both keep running.
        await _slow_call(server, "/slow")
        assert ticks - before > 50
        assert loop_ticks - loop_before > 10
    finally:
        stop.set()
        beat.cancel()
        t.join()


async def _slow_call(server: str, path: str) -> None:
    from zaby import HttpTransport, TransportRequest

    r = await HttpTransport().send(TransportRequest("GET", f"{server}{path}", path))
    assert r.status == 200


async def test_requests_and_retries_are_logged_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="zaby")
    transport = MockTransport()
    transport.set_response("GET", "/health", 503, {})
    transport.set_response("GET", "/health", 200, {})
    z = Zaby(api_key="zaby_pk_SECRET", transport=transport, config=ZabyGlobalConfig(retries=RetryPolicy(attempts=1, backoff_ms=lambda a: 0)))
    await z.health.check()
    records = [r for r in caplog.records if r.name.startswith("zaby")]
    text = "\n".join(r.getMessage() for r in records)
    assert any(r.levelno == logging.DEBUG and "/health" in r.getMessage() and "200" in r.getMessage() for r in records), text
    assert any(r.levelno == logging.INFO and "retrying" in r.getMessage() for r in records), text
    assert "SECRET" not in text


async def test_logging_level_is_respected(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="zaby")
    transport = MockTransport()
    transport.set_response("GET", "/health", 200, {})
    await Zaby(api_key="k", transport=transport).health.check()
    assert not [r for r in caplog.records if r.name.startswith("zaby") and r.levelno < logging.WARNING]


def test_one_runtime_per_process() -> None:
    assert _native.runtime_id() == _native.runtime_id()


def test_version_and_exports() -> None:
    assert zaby.__version__ == _native.VERSION
    for name in zaby.__all__:
        assert getattr(zaby, name) is not None, name
    from zaby import errors, mocks, runtime

    assert runtime.ZabyRuntime is zaby.ZabyRuntime and runtime.SseEvent is zaby.SseEvent
    assert runtime.RunEventStream is zaby.RunEventStream
    assert set(errors.__all__) <= set(zaby.__all__)
    assert mocks.MockTransport is zaby.MockTransport
