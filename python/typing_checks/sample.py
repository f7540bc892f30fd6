"""A program using the main flows of the SDK; `mypy --strict` must accept it."""

from __future__ import annotations

import asyncio

from zaby import (
    MockResponse,
    MockTransport,
    RequestOptions,
    RetryPolicy,
    RuntimeTokenResponse,
    SseEvent,
    Zaby,
    ZabyApiError,
    ZabyGlobalConfig,
    ZabyRuntime,
    configure_zaby,
    resolve_zaby_config,
)
from zaby.types import Agent, ListResponse, Provisioning, RunEvent


async def api_key() -> str:
    return "zaby_pk_example"


async def main() -> None:
    configure_zaby(environment="local", retries=RetryPolicy(attempts=2, backoff_ms=lambda attempt: 50.0 * attempt))
    print(resolve_zaby_config().api_origin)

    transport = MockTransport([MockResponse("POST", "/api/v1/provisioning/agentic-os/agents", 201, json_body={"id": "a1"})])
    async with Zaby(api_key=api_key, transport=transport, config=ZabyGlobalConfig(timeout_ms=10_000)) as zaby:
        agent: Agent = await zaby.agents.create({"slug": "helper", "name": "Helper"}, request_id="req-1")
        page: ListResponse[Agent] = await zaby.agents.list({"limit": 10})
        for item in page["items"]:
            print(item.get("slug"))
        async for a in zaby.agents.iter({"status": "ACTIVE"}):
            print(a.get("name"))
        try:
            await zaby.agents.get("missing", options=RequestOptions(timeout_ms=500))
        except ZabyApiError as err:
            print(err.status, err.code, err.request_id)
        minted = await zaby.runtime_tokens.create({"externalAppId": "app", "deploymentId": "d", "quotaPolicyId": "q"})
        token = RuntimeTokenResponse.from_dict(minted)
        print(agent.get("id"), token.token)

    runtime = ZabyRuntime(token=lambda: "eyJ...")
    started = await runtime.runs.start({"input": "hello", "respondAsync": True})
    stream = runtime.runs.stream(started["runId"], max_reconnects=3)
    async with stream:
        async for ev in stream:
            assert isinstance(ev, SseEvent)
            print(ev.event, ev.data, ev.id, stream.last_event_id)
    events: list[RunEvent] = [e async for e in runtime.runs.iter_events(started["runId"])]
    print(len(events))
    await runtime.aclose()


def sync_main() -> None:
    """The same calls on `zaby.sync`: plain methods, iterators and context managers."""
    import threading

    import zaby.sync

    with zaby.sync.Zaby(api_key="zaby_pk_example", api_origin="http://localhost:9080") as z:
        agent: Agent = z.agents.create({"slug": "helper", "name": "Helper"})
        provisioning: Provisioning = z.deployments.wait_until_active("dep-1", timeout_ms=1_000)
        slugs = [a["slug"] for a in z.agents.iter(signal=threading.Event())]
        print(agent["id"], provisioning["runtimeUrl"], slugs)
    with zaby.sync.ZabyRuntime(token=lambda: "eyJ...") as runtime:
        with runtime.runs.stream("run-1") as stream:
            for ev in stream:
                print(ev.event, stream.last_event_id)


if __name__ == "__main__":
    asyncio.run(main())
