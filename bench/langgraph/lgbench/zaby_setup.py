"""What a user does before the first run, over plain HTTP with the API key (as the Rust
load generator does through the SDK): an agent on the development model, published,
deployed and waited until ACTIVE, an external app bound to it, a token policy without
limits, and one runtime token per end user."""

from __future__ import annotations

import asyncio
import time

import httpx

A = "/api/v1/provisioning/agentic-os/agents"
MA = "/api/v1/provisioning/managed-agents"


async def _post(http: httpx.AsyncClient, path: str, body: dict | None = None) -> dict:
    r = await http.post(path, json=body)
    if r.status_code not in (200, 201):
        raise RuntimeError(f"zaby-server set-up: POST {path} answered {r.status_code}: {r.text}")
    return r.json()


async def runtime_tokens(origin: str, api_key: str, users: int) -> list[str]:
    async with httpx.AsyncClient(base_url=origin, headers={"x-zaby-api-key": api_key}, timeout=30) as http:
        agent = await _post(http, A, {"slug": "compare", "name": "Compare", "instructions": "Answer briefly."})
        version = await _post(http, f"{A}/{agent['id']}/publish")
        deployment = await _post(
            http, f"{A}/{agent['id']}/deployments", {"agentVersionId": version["id"], "environment": "PRODUCTION"}
        )
        deadline = time.monotonic() + 30
        # E19 answers 404 until the deployment is ACTIVE.
        while (await http.get(f"{MA}/deployments/{deployment['id']}/provisioning")).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("zaby-server set-up: the deployment did not become ACTIVE")
            await asyncio.sleep(0.05)
        app = await _post(http, f"{MA}/external-apps", {"name": "Compare app", "slug": "compare-app"})
        await _post(http, f"{MA}/external-apps/{app['id']}/deployments", {"deploymentId": deployment["id"]})
        policy = await _post(
            http,
            f"{MA}/runtime-token-policies",
            {"name": "compare", "externalAppId": app["id"], "deploymentId": deployment["id"]},
        )
        tokens = []
        for i in range(users):
            t = await _post(
                http,
                f"{MA}/external-apps/{app['id']}/runtime-tokens",
                {
                    "deploymentId": deployment["id"],
                    "quotaPolicyId": policy["id"],
                    "externalUserId": f"compare-{i}",
                    "ttlSeconds": 3600,
                },
            )
            tokens.append(t["token"])
        return tokens
