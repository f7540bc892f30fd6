"""Tenant routes (E98–E118) with a tenant access token minted by the admin CLI:
the agent lifecycle, runs and approvals, attachments, apps and playground tokens."""

from __future__ import annotations

from typing import Any

from zaby import Zaby, ZabyConflictError, ZabyNotFoundError, ZabyValidationError

from conftest import Clients
from support import builtin_tool, eventually, expect_error, unique

SUM_CALL = {"toolName": "sum", "arguments": {"numbers": [7, 8]}}


async def wait_provisioned(t: Zaby, deployment_id: str) -> dict[str, Any]:
    async def ready() -> dict[str, Any] | None:
        try:
            return dict(await t.tenant_agents.get_deployment_provisioning(deployment_id))
        except ZabyNotFoundError:
            return None

    return await eventually(f"deployment {deployment_id} ACTIVE", ready)


async def wait_tenant_run(t: Zaby, run_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        run = await t.tenant_agents.get_run_progress(run_id)
        return dict(run) if run["status"] in {"COMPLETED", "FAILED", "CANCELLED"} else None

    return await eventually(f"run {run_id} finished", done)


async def test_tenant_agent_lifecycle(clients: Clients, z: Zaby) -> None:
    t = clients.tenant("ops")
    slug = unique("tenant")
    agent = await t.tenant_agents.create({"slug": slug, "name": "Tenant agent"})
    assert (agent["slug"], agent["status"]) == (slug, "DRAFT")
    await expect_error(
        t.tenant_agents.create({"slug": slug, "name": "dup"}), ZabyConflictError, 409, "SLUG_ALREADY_EXISTS"
    )
    aid = agent["id"]
    assert (await z.agents.get(aid))["slug"] == slug, "the API key's tenant sees the same agent"
    assert (await t.tenant_agents.get(aid))["name"] == "Tenant agent"
    updated = await t.tenant_agents.update(aid, {"description": "from the console"})
    assert updated["description"] == "from the console"
    assert [a["id"] for a in (await t.tenant_agents.list({"q": slug}))["items"]] == [aid]
    assert aid in [a["id"] async for a in t.tenant_agents.iter({"status": "DRAFT"})]
    await expect_error(t.tenant_agents.redeploy(aid), ZabyConflictError, 409, "NO_PUBLISHED_VERSION")

    # Attachments through the tenant routes.
    kb = await z.knowledge_bases.create({"name": unique("Tenant KB")})
    kb_att = await t.tenant_agents.attach_knowledge_base(aid, {"knowledgeBaseId": kb["id"]})
    assert kb_att["knowledgeBaseId"] == kb["id"]
    tool = await builtin_tool(z, "sum")
    mcp_att = await t.tenant_agents.attach_mcp_tool(aid, {"toolId": tool["id"], "approvalMode": "MANUAL"})
    assert (mcp_att["key"], mcp_att["approvalMode"]) == ("sum", "MANUAL")
    skill = await t.tenant_agents.attach_skill(aid, {"skillId": "triage"})
    assert skill["key"] == "triage"
    got = await t.tenant_agents.get(aid)
    assert (len(got["knowledgeBases"]), len(got["mcpTools"]), len(got["skills"])) == (1, 1, 1)

    version = await t.tenant_agents.publish(aid)
    assert version["version"] == 1
    deployment = await t.tenant_agents.deploy(aid, {"agentVersionId": version["id"], "environment": "STAGING"})
    assert (deployment["status"], deployment["environment"]) == ("PENDING", "STAGING")
    prov = await wait_provisioned(t, deployment["id"])
    assert (prov["status"], prov["deploymentId"]) == ("ACTIVE", deployment["id"])
    redeployed = await t.tenant_agents.redeploy(aid)
    assert (redeployed["agentVersionId"], redeployed["environment"], redeployed["status"]) == (
        version["id"],
        "STAGING",
        "PENDING",
    )
    await wait_provisioned(t, redeployed["id"])
    await expect_error(
        t.tenant_agents.get_deployment_provisioning(deployment["id"]), ZabyConflictError, 409, "DEPLOYMENT_NOT_ACTIVE"
    )

    # Runs, events and approvals.
    test = await t.tenant_agents.test_run(aid, {"input": {"message": "try", "simulate": {"reply": "draft ok"}}})
    assert (test["status"], test["finalOutput"], test["deploymentId"]) == ("COMPLETED", "draft ok", None)
    waiting = await t.tenant_agents.start_run(aid, {"input": {"message": "add", "simulate": {"toolCalls": [SUM_CALL]}}})
    assert waiting["status"] == "WAITING_FOR_APPROVAL" and waiting["deploymentId"] == redeployed["id"]
    pending = (await t.tenant_agents.get_run_progress(waiting["runId"]))["pendingApproval"]
    approved = await t.tenant_agents.approve_run_approval(waiting["runId"], pending["id"], {"reason": "ok"})
    assert (approved["status"], approved["decidedBy"]) == ("APPROVED", "tenant")
    finished = await wait_tenant_run(t, waiting["runId"])
    assert finished["finalOutput"] == 'Tool sum returned: {"sum":15}'
    page = await t.tenant_agents.list_run_events(waiting["runId"], {"limit": 3})
    assert [e["event"] for e in page["items"]] == ["RunStarted", "tool_call", "approval_required"]
    every = [e["event"] async for e in t.tenant_agents.iter_run_events(waiting["runId"])]
    assert every[-1] == "RunFinished" and "tool_result" in every

    refused = await t.tenant_agents.start_run(aid, {"input": {"message": "add", "simulate": {"toolCalls": [SUM_CALL]}}})
    approval = (await t.tenant_agents.get_run_progress(refused["runId"]))["pendingApproval"]
    rejected = await t.tenant_agents.reject_run_approval(refused["runId"], approval["id"], {"reason": "no"})
    assert (rejected["status"], rejected["reason"]) == ("REJECTED", "no")
    await expect_error(
        t.tenant_agents.reject_run_approval(refused["runId"], approval["id"]),
        ZabyConflictError,
        409,
        "APPROVAL_ALREADY_DECIDED",
    )
    await wait_tenant_run(t, refused["runId"])

    runs = await t.tenant_agents.list_runs(aid)
    assert {r["runId"] for r in runs["items"]} == {test["runId"], waiting["runId"], refused["runId"]}
    completed = [r["runId"] async for r in t.tenant_agents.iter_runs(aid, {"status": "COMPLETED", "limit": 1})]
    assert sorted(completed) == sorted([test["runId"], waiting["runId"], refused["runId"]])

    await expect_error(t.tenant_agents.delete(aid), ZabyConflictError, 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS")
    assert await t.tenant_agents.delete(aid, {"force": True}) == {"id": aid, "deleted": True}
    await expect_error(t.tenant_agents.get(aid), ZabyNotFoundError, 404, "NOT_FOUND")


async def test_tenant_apps_and_playground_tokens(clients: Clients, z: Zaby) -> None:
    t = clients.tenant("dev")
    slug = unique("play")
    agent = await t.tenant_agents.create({"slug": slug, "name": slug})
    version = await t.tenant_agents.publish(agent["id"])
    deployment = await t.tenant_agents.deploy(agent["id"], {"agentVersionId": version["id"]})
    await wait_provisioned(t, deployment["id"])

    app_slug = unique("tenant-app")
    app = await z.external_apps.create({"name": "Tenant app", "slug": app_slug})
    await z.external_apps.bind_deployment(app["id"], {"deploymentId": deployment["id"]})
    apps = await t.tenant_agents.list_external_apps({"agentId": agent["id"]})
    assert [a["id"] for a in apps["items"]] == [app["id"]]
    assert app["id"] in [a["id"] async for a in t.tenant_agents.iter_external_apps({"status": "ACTIVE"})]

    body = {"deploymentId": deployment["id"], "externalUserId": "dev-user", "maxUses": 5, "requestId": unique("pg")}
    minted = await t.tenant_agents.mint_playground_runtime_token(agent["id"], body)
    assert (minted["deploymentId"], minted["externalAppId"], minted["remainingUses"]) == (deployment["id"], None, 5)
    again = await t.tenant_agents.mint_playground_runtime_token(agent["id"], body)
    assert again["token"] == minted["token"], "requestId makes the mint idempotent"
    await expect_error(
        t.tenant_agents.mint_playground_runtime_token(agent["id"], {"deploymentId": deployment["id"]}),
        ZabyValidationError,
        422,
        "VALIDATION_ERROR",
    )
    run = await clients.runtime(minted["token"]).runs.start({"input": "from the playground"})
    assert (run["status"], run["finalOutput"], run["externalAppId"]) == (
        "COMPLETED",
        "You said: from the playground",
        None,
    )
