"""The sync client (`zaby.sync`, issue 24) against the live server: the lifecycle with
blocking calls, iterators and a stream; 32 threads sharing one client; the GIL released
while a call waits; and every endpoint of the table reached through the sync face
(its own coverage check, on its own recording)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from zaby import HttpTransport, RetryPolicy, TransportRequest, TransportResponse, ZabyError, ZabyGlobalConfig, _native
from zaby.sync import Zaby, ZabyRuntime

from _recording import Recorded, endpoint_of, routes
from _servers import Servers
from support import unique

SYNC_RECORDED: list[Recorded] = []


class SyncRecordingTransport:
    """The sync twin of `RecordingTransport`: the built-in transport, recorded."""

    def __init__(self) -> None:
        self._inner = HttpTransport()
        self._lock = threading.Lock()

    def send(self, request: TransportRequest) -> TransportResponse:
        response = self._inner.send_sync(request)
        with self._lock:
            SYNC_RECORDED.append(Recorded(request.method.upper(), request.path.split("?", 1)[0], response.status))
        return response


def config(servers: Servers) -> ZabyGlobalConfig:
    return ZabyGlobalConfig(api_origin=servers.a.origin, timeout_ms=60_000, retries=RetryPolicy(attempts=0))


def deployed(z: Zaby, prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    slug = unique(prefix)
    agent = z.agents.create({"slug": slug, "name": slug})
    version = z.agents.publish(agent["id"])
    deployment = z.agents.deploy(agent["id"], {"agentVersionId": version["id"], "environment": "PRODUCTION"})
    z.deployments.wait_until_active(deployment["id"], timeout_ms=30_000)
    return dict(agent), dict(deployment)


def runtime_token(z: Zaby, deployment_id: str, prefix: str, max_uses: int = 100) -> str:
    slug = unique(f"{prefix}-app")
    app = z.external_apps.create({"name": slug, "slug": slug})
    z.external_apps.bind_deployment(app["id"], {"deploymentId": deployment_id})
    policy = z.runtime_token_policies.create(
        {"name": f"{prefix} policy", "externalAppId": app["id"], "deploymentId": deployment_id}
    )
    minted = z.runtime_tokens.create({
        "externalAppId": app["id"], "deploymentId": deployment_id, "quotaPolicyId": policy["id"],
        "externalUserId": "sync-user", "maxUses": max_uses,
    })
    return str(minted["token"])


def test_the_lifecycle_with_blocking_calls(servers: Servers) -> None:
    with Zaby(api_key=servers.api_key, transport=SyncRecordingTransport(), config=config(servers)) as z:
        assert z.health.check()["status"] == "ok"
        agent, deployment = deployed(z, "sync-life")
        assert any(a["id"] == agent["id"] for a in z.agents.iter({"limit": 1}))
        token = runtime_token(z, deployment["id"], "sync-life")
    with ZabyRuntime(token=lambda: token, transport=SyncRecordingTransport(), config=config(servers)) as runtime:
        started = runtime.runs.start({"input": "hello", "respondAsync": True})
        with runtime.runs.stream(started["runId"]) as events:
            seen = [(ev.event, ev.data) for ev in events]
        assert seen[0][0] == "RunStarted" and seen[-1][0] == "RunFinished"
        assert "".join(d["content"] for e, d in seen if e == "text") == "You said: hello"
        assert [e["seq"] for e in runtime.runs.iter_events(started["runId"])] == list(range(1, len(seen) + 1))


def test_threads_share_one_client_and_the_gil_is_released(servers: Servers) -> None:
    with Zaby(api_key=servers.api_key, config=config(servers)) as z:
        _, deployment = deployed(z, "sync-threads")
        token = runtime_token(z, deployment["id"], "sync-threads", max_uses=200)
        agents: list[dict[str, Any]] = []
        errors: list[BaseException] = []

        def create(i: int) -> None:
            try:
                agents.append(z.agents.create({"slug": unique(f"sync-t{i}"), "name": f"thread {i}"}))
            except BaseException as e:  # reported below, with the others
                errors.append(e)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [] and len({a["id"] for a in agents}) == 32

    with ZabyRuntime(token=token, config=config(servers)) as runtime:
        # A run that takes about a second: while this thread waits for it, a pure-Python
        # busy thread must keep running, which it cannot if the GIL is held.
        slow = {"message": "slow", "simulate": {"reply": "a b c", "delayMs": 300}}
        ticks = 0
        stop = threading.Event()

        def busy() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1

        spinner = threading.Thread(target=busy)
        spinner.start()
        started = time.monotonic()
        run = runtime.runs.start({"input": slow})
        waited = time.monotonic() - started
        stop.set()
        spinner.join()
        assert run["status"] == "COMPLETED" and waited >= 0.6
        assert ticks > 100_000, f"the busy thread ran {ticks} times in {waited:.2f}s"

        # Calls from several threads overlap: 8 slow runs take far less than 8 times one.
        slow_one = {"message": "slow", "simulate": {"reply": "a", "delayMs": 500}}
        started = time.monotonic()
        parallel = [threading.Thread(target=lambda: runtime.runs.start({"input": slow_one})) for _ in range(8)]
        for t in parallel:
            t.start()
        for t in parallel:
            t.join(60)
        assert time.monotonic() - started < 3.0


def test_a_running_loop_is_refused(servers: Servers) -> None:
    import asyncio

    async def inside() -> None:
        with Zaby(api_key=servers.api_key, config=config(servers)) as z:
            z.health.check()

    with pytest.raises(ZabyError) as info:
        asyncio.run(inside())
    assert info.value.code == "SYNC_IN_ASYNC_CONTEXT"


@pytest.mark.coverage_check
def test_every_endpoint_is_reached_through_the_sync_client(servers: Servers) -> None:
    """Each method of the table called once through `zaby.sync` with placeholder ids and
    bodies: the server must answer every one (any status below 500)."""
    table = routes()
    transport = SyncRecordingTransport()
    with Zaby(api_key=servers.api_key, transport=transport, config=config(servers)) as z, \
            ZabyRuntime(token="not-a-token", transport=transport, config=config(servers)) as runtime:
        for endpoint in _native.endpoints():
            for b in endpoint["bindings"]:
                owner = z if b["owner"] == "zaby" else runtime
                method = getattr(getattr(owner, b["attr"]), b["method"])
                args: list[Any] = [f"missing-{p}" for p in b["params"]]
                if b["input"] in ("body", "body_moving"):
                    args.append({b.get("moved_field", "name"): "missing-id"} if b["input"] == "body_moving" else {})
                elif b["input"] == "given":
                    args.append({})
                try:
                    result = method(*args)
                    if b["input"] == "stream":
                        list(result)
                except ZabyError:
                    pass  # a 4xx answer is what placeholders get
    done = {e for r in SYNC_RECORDED if r.status < 500 and (e := endpoint_of(r.method, r.path, table)) is not None}
    missing = [r.id for r in table if r.id not in done]
    assert not missing, f"{len(missing)} endpoint(s) not reached through the sync client: {', '.join(missing)}"
    assert len(done) == len(table) == 135
