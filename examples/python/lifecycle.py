"""The Zaby lifecycle, end to end, against a running zaby-server.

Creates an agent with a knowledge base and an MCP tool, publishes and deploys it,
sets up an external app with a quota policy, mints a runtime token for one end user,
streams runs (text, a tool call that waits for approval, the final answer with
citations, a client tool the SDK answers with a local function), then sends feedback
and reads usage and intelligence.

Run it with `make demo`, or against your own server:

    ZABY_API_ORIGIN=http://127.0.0.1:9080 ZABY_API_KEY=zaby_pk_... python examples/python/lifecycle.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from typing import Any

from zaby import Zaby, ZabyRuntime

HANDBOOK = """# Returns

Customers can return any item within 30 days of delivery for a full refund.
Refunds reach the original payment method within 5 business days.

# Shipping

Orders ship within 2 business days. Express delivery takes one day.
"""


async def get_weather(args: dict[str, Any]) -> dict[str, Any]:
    """A client tool: the agent calls it, the SDK runs it here and sends back its answer."""
    return {"city": args["city"], "forecast": "sunny", "celsius": 21}


def say(step: str, detail: str = "") -> None:
    print(f"\u2192 {step}" + (f": {detail}" if detail else ""), flush=True)


async def wait_until(what: str, check: Any, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def main() -> int:
    api_key = os.environ["ZABY_API_KEY"]
    suffix = uuid.uuid4().hex[:8]
    async with Zaby(api_key=api_key) as zaby:
        health = await zaby.health.check()
        say("server", f"{health['status']} (version {health['version']}, {health['database']['kind']})")

        # 1. Knowledge: a knowledge base with one document, indexed by an ingestion job.
        kb = await zaby.knowledge_bases.create({"name": f"Handbook {suffix}"})
        doc = await zaby.knowledge_bases.upload_text_document(
            kb["id"], {"title": "Customer handbook", "content": HANDBOOK, "fileType": "MD"}
        )

        async def indexed() -> bool:
            job = await zaby.knowledge_bases.get_job(kb["id"], doc["jobId"])
            return job["status"] == "COMPLETED"

        await wait_until("the ingestion job", indexed)
        say("knowledge base", f"{kb['slug']} with '{doc['title']}' indexed")

        # 2. The agent: instructions, the knowledge base, the built-in `sum` MCP tool,
        #    which needs a human's approval before it runs, and `get_weather`, a client
        #    function tool that the end user's app runs itself.
        agent = await zaby.agents.create(
            {
                "slug": f"support-{suffix}",
                "name": "Support assistant",
                "instructions": "Answer from the handbook. Use tools for arithmetic and the weather.",
                "functionTools": [
                    {
                        "name": "get_weather",
                        "description": "Today's weather in a city",
                        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                    }
                ],
                "config": {
                    "localModel": {
                        "rules": [
                            {"match": "add", "toolName": "sum", "arguments": {"numbers": [30, 5]}},
                            {"match": "weather", "toolName": "get_weather", "arguments": {"city": "Lyon"}},
                        ]
                    }
                },
            }
        )
        say("agent created", f"{agent['slug']} ({agent['status']})")
        await zaby.agents.attach_knowledge_base(agent["id"], {"knowledgeBaseId": kb["id"]})
        catalog = [t async for t in zaby.mcp.iter_catalog({"q": "sum"})]
        sum_tool = next(t for t in catalog if t["serverSlug"] == "zaby-builtin" and t["toolName"] == "sum")
        await zaby.agents.attach_mcp_tool(agent["id"], {"toolId": sum_tool["toolId"], "approvalMode": "MANUAL"})
        say("attached", "knowledge base + MCP tool 'sum' (manual approval)")

        # 3. Publish and deploy: PENDING, then ACTIVE once provisioned.
        version = await zaby.agents.publish(agent["id"])
        deployment = await zaby.agents.deploy(agent["id"], {"agentVersionId": version["id"], "environment": "TEST"})
        say("deployment", deployment["status"])

        provisioning = await zaby.deployments.wait_until_active(deployment["id"], timeout_ms=30_000)
        say("deployment", f"{provisioning['status']} at {provisioning['runtimeUrl']}")

        # 4. The customer's app, its binding, a quota policy and a runtime token.
        app = await zaby.external_apps.create({"name": "Storefront", "slug": f"storefront-{suffix}"})
        await zaby.external_apps.bind_deployment(app["id"], {"deploymentId": deployment["id"], "allowApprovals": True})
        policy = await zaby.runtime_token_policies.create(
            {
                "name": "storefront default",
                "externalAppId": app["id"],
                "deploymentId": deployment["id"],
                "maxConcurrentRuns": 4,
                "tokenTtlSeconds": 900,
            }
        )
        token = await zaby.runtime_tokens.create(
            {
                "externalAppId": app["id"],
                "deploymentId": deployment["id"],
                "quotaPolicyId": policy["id"],
                "externalUserId": "customer-42",
            }
        )
        say("runtime token", f"expires {token['expiresAt']}, scopes {len(token['scopes'])}")

    # 5. The end user's side: only the runtime token.
    async with Zaby(api_key=api_key) as zaby, ZabyRuntime(token=token["token"]) as runtime:
        for message in ["How long do refunds take?", "Please add my two orders", "What's the weather in Lyon?"]:
            say("run", repr(message))
            started = await runtime.runs.start({"input": {"message": message}, "respondAsync": True})
            streaming_text = False
            # `tools`: the SDK answers the run's `get_weather` calls with the function above.
            async with runtime.runs.stream(started["runId"], tools={"get_weather": get_weather}) as events:
                async for ev in events:
                    if ev.event == "text":
                        # Text arrives in pieces; print them as they come, on one line.
                        if not streaming_text:
                            print("    text      ", end="")
                            streaming_text = True
                        print(ev.data["content"].replace("\n", " "), end="", flush=True)
                        continue
                    if streaming_text:
                        print()
                        streaming_text = False
                    if ev.event == "tool_call":
                        print(f"    tool call {ev.data['toolName']} {ev.data['arguments']}")
                    elif ev.event == "approval_required":
                        print(f"    approval  {ev.data['toolName']} needs a decision: approving")
                        await runtime.approvals.approve(started["runId"], ev.data["approvalId"], {"reason": "demo"})
                    elif ev.event == "tool_result":
                        print(f"    result    {ev.data['result']}")
                    elif ev.event == "RunFinished":
                        print(f"    finished  {ev.data['status']}")
                        for c in ev.data["citations"]:
                            print(f"    citation  {c['kind']} {c['title']} (score {c['score']:.2f})")
                    elif ev.event == "RunError":
                        print(f"    failed    {ev.data['code']}: {ev.data['message']}")
            await runtime.feedback.create(started["runId"], {"rating": 5, "comment": "helpful"})

        usage = await zaby.usage.get_agent_usage({"agentId": agent["id"]})
        totals = usage["totals"]
        say("usage", f"{totals['runs']} runs, {totals['toolCalls']} tool calls, {totals['inputTokens']} input tokens")
        signals = [s async for s in zaby.intelligence.iter_signals({"agentId": agent["id"]})]
        say("intelligence", "signals " + ", ".join(sorted({s["type"] for s in signals})))
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
