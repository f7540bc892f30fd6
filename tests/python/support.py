"""Helpers shared by the test modules: unique names, polling with a deadline,
expected errors, and the usual set-up steps (a deployed agent, an app with a
policy, a runtime token)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

import pytest
from zaby import Zaby, ZabyApiError, ZabyNotFoundError, ZabyRuntime

T = TypeVar("T")

DEADLINE_S = 30.0
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def eventually(what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float = DEADLINE_S) -> T:
    """Polls `check` until it returns something truthy; fails at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.1)


async def expect_error(call: Awaitable[Any], cls: type[ZabyApiError], status: int, code: str) -> ZabyApiError:
    """Awaits `call`, which must fail with this error class, status and code."""
    try:
        value = await call
    except ZabyApiError as err:
        assert isinstance(err, cls), f"expected {cls.__name__}, got {err!r}"
        assert (err.status, err.code) == (status, code), f"expected {status} {code}, got {err!r}"
        return err
    pytest.fail(f"expected {cls.__name__} {status} {code}, got a success: {value!r}")


def error_fields(err: ZabyApiError) -> list[str]:
    """The `field`s of a 422's `details.errors`."""
    return [e["field"] for e in (err.details or {}).get("details", {}).get("errors", [])]


async def wait_active(z: Zaby, deployment_id: str) -> dict[str, Any]:
    async def provisioned() -> dict[str, Any] | None:
        try:
            return dict(await z.deployments.get_provisioning(deployment_id))
        except ZabyNotFoundError:
            return None

    return await eventually(f"deployment {deployment_id} ACTIVE", provisioned)


@dataclass
class Deployed:
    agent: dict[str, Any]
    version: dict[str, Any]
    deployment: dict[str, Any]

    @property
    def agent_id(self) -> str:
        return str(self.agent["id"])

    @property
    def deployment_id(self) -> str:
        return str(self.deployment["id"])


async def deployed_agent(z: Zaby, prefix: str, manual_tools: tuple[str, ...] = (), **fields: Any) -> Deployed:
    """An agent created with `fields`, published, deployed (PRODUCTION) and ACTIVE.
    `manual_tools` are built-in MCP tools attached first, each waiting for approval."""
    slug = unique(prefix)
    agent = await z.agents.create({"slug": slug, "name": slug, **fields})
    for name in manual_tools:
        tool = await builtin_tool(z, name)
        await z.agents.attach_mcp_tool(agent["id"], {"toolId": tool["id"], "approvalMode": "MANUAL"})
    version = await z.agents.publish(agent["id"])
    deployment = await z.agents.deploy(agent["id"], {"agentVersionId": version["id"], "environment": "PRODUCTION"})
    await wait_active(z, deployment["id"])
    return Deployed(dict(agent), dict(version), dict(deployment))


@dataclass
class AppSetup:
    deployed: Deployed
    app: dict[str, Any]
    policy: dict[str, Any]

    @property
    def app_id(self) -> str:
        return str(self.app["id"])

    def mint(self, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "externalAppId": self.app_id,
            "deploymentId": self.deployed.deployment_id,
            "quotaPolicyId": self.policy["id"],
            "externalUserId": "user-1",
        }
        body.update(extra)
        return body


async def app_setup(
    z: Zaby,
    prefix: str,
    binding: dict[str, Any] | None = None,
    manual_tools: tuple[str, ...] = (),
    **agent_fields: Any,
) -> AppSetup:
    """A deployed agent, an external app bound to it, and an ACTIVE policy."""
    deployed = await deployed_agent(z, prefix, manual_tools, **agent_fields)
    slug = unique(f"{prefix}-app")
    app = await z.external_apps.create({"name": slug, "slug": slug})
    await z.external_apps.bind_deployment(app["id"], {"deploymentId": deployed.deployment_id, **(binding or {})})
    policy = await z.runtime_token_policies.create(
        {"name": f"{prefix} policy", "externalAppId": app["id"], "deploymentId": deployed.deployment_id}
    )
    return AppSetup(deployed, dict(app), dict(policy))


async def wait_run(z: Zaby, run_id: str, statuses: set[str] = TERMINAL) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        run = await z.agents.get_run_progress(run_id)
        return dict(run) if run["status"] in statuses else None

    return await eventually(f"run {run_id} in {sorted(statuses)}", reached)


async def stream_events(
    runtime: ZabyRuntime,
    run_id: str,
    on_event: Callable[[Any], Awaitable[None]] | None = None,
    query: dict[str, Any] | None = None,
) -> list[Any]:
    """Every event of a run's stream until it ends (the server closes it after the
    terminal event), with a deadline so a stuck stream fails the test."""

    async def read() -> list[Any]:
        seen = []
        async with runtime.runs.stream(run_id, query) as events:
            async for ev in events:
                seen.append(ev)
                if on_event is not None:
                    await on_event(ev)
        return seen

    return await asyncio.wait_for(read(), DEADLINE_S)


def names(events: list[Any]) -> list[str]:
    return [ev.event for ev in events]


async def builtin_installation(z: Zaby) -> dict[str, Any]:
    """The tenant's installation of the built-in MCP server."""
    items = [i async for i in z.mcp.iter_installations({"status": "ACTIVE"})]
    return next(i for i in items if i["name"] == "zaby-builtin")


async def builtin_tool(z: Zaby, name: str) -> dict[str, Any]:
    inst = await builtin_installation(z)
    tools = [t async for t in z.mcp.iter_installation_tools(inst["id"])]
    return next(t for t in tools if t["name"] == name)
