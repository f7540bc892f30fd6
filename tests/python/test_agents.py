"""Agents and deployments (E2–E11, E19): create, list, get, update, delete,
publish, deploy (PENDING → ACTIVE), attachments."""

from __future__ import annotations

from zaby import Zaby, ZabyConflictError, ZabyNotFoundError, ZabyValidationError

from support import builtin_tool, error_fields, expect_error, unique, wait_active


async def test_agent_crud_and_duplicate_slug(z: Zaby) -> None:
    slug = unique("crud")
    agent = await z.agents.create({"slug": slug, "name": "Crud", "description": "first", "tags": ["e2e"]})
    assert (agent["slug"], agent["status"], agent["description"]) == (slug, "DRAFT", "first")
    err = await expect_error(
        z.agents.create({"slug": slug, "name": "Again"}), ZabyConflictError, 409, "SLUG_ALREADY_EXISTS"
    )
    assert err.request_id
    await expect_error(z.agents.create({"name": "no slug"}), ZabyValidationError, 422, "VALIDATION_ERROR")

    got = await z.agents.get(agent["id"])
    assert (got["id"], got["name"], got["tags"]) == (agent["id"], "Crud", ["e2e"])

    updated = await z.agents.update(agent["id"], {"name": "Crud 2", "instructions": "Be brief."})
    assert (updated["name"], updated["instructions"]) == ("Crud 2", "Be brief.")
    assert (await z.agents.get(agent["id"]))["name"] == "Crud 2"
    err = await expect_error(z.agents.update(agent["id"], {"name": None}), ZabyValidationError, 422, "VALIDATION_ERROR")
    assert "name" in error_fields(err)

    listed = await z.agents.list({"q": slug})
    assert [a["id"] for a in listed["items"]] == [agent["id"]]
    assert listed["total"] == 1
    every = [a["slug"] async for a in z.agents.iter({"limit": 2})]
    assert slug in every
    drafts = await z.agents.list({"status": "DRAFT", "q": slug})
    assert drafts["total"] == 1

    deleted = await z.agents.delete(agent["id"])
    assert deleted == {"id": agent["id"], "deleted": True}
    await expect_error(z.agents.get(agent["id"]), ZabyNotFoundError, 404, "NOT_FOUND")
    assert (await z.agents.list({"q": slug}))["total"] == 0


async def test_publish_deploy_provisioning_and_forced_delete(z: Zaby) -> None:
    slug = unique("deploy")
    agent = await z.agents.create({"slug": slug, "name": "Deploy", "instructions": "v1"})
    await expect_error(
        z.agents.deploy(agent["id"], {"agentVersionId": "nope"}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )
    v1 = await z.agents.publish(agent["id"])
    assert (v1["version"], v1["agentId"]) == (1, agent["id"])
    assert (await z.agents.get(agent["id"]))["status"] == "ACTIVE"

    # E8 through `agents.deploy`: PENDING, provisioning not ready, then ACTIVE.
    d1 = await z.agents.deploy(agent["id"], {"agentVersionId": v1["id"], "environment": "PRODUCTION"})
    assert (d1["status"], d1["environment"], d1["agentVersionId"]) == ("PENDING", "PRODUCTION", v1["id"])
    prov = await wait_active(z, d1["id"])
    assert (prov["status"], prov["deploymentId"]) == ("ACTIVE", d1["id"])
    assert prov["runtimeUrl"]
    agent_now = await z.agents.get(agent["id"])
    assert [d["id"] for d in agent_now["activeDeployments"]] == [d1["id"]]

    # E8 through `deployments.create`: a new version supersedes the first deployment.
    await z.agents.update(agent["id"], {"instructions": "v2"})
    v2 = await z.agents.publish(agent["id"])
    assert v2["version"] == 2
    d2 = await z.deployments.create(agent["id"], {"agentVersionId": v2["id"], "environment": "PRODUCTION"})
    await wait_active(z, d2["id"])
    await expect_error(z.deployments.get_provisioning(d1["id"]), ZabyConflictError, 409, "DEPLOYMENT_NOT_ACTIVE")
    await expect_error(z.deployments.get_provisioning("nope"), ZabyNotFoundError, 404, "NOT_FOUND")

    # Deleting an agent with live deployments needs force, which retires them.
    await expect_error(z.agents.delete(agent["id"]), ZabyConflictError, 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS")
    assert await z.agents.delete(agent["id"], {"force": True}) == {"id": agent["id"], "deleted": True}
    err = await expect_error(z.deployments.get_provisioning(d2["id"]), ZabyConflictError, 409, "DEPLOYMENT_NOT_ACTIVE")
    assert err.details["details"]["status"] == "INACTIVE"


async def test_attachments_show_on_the_agent(z: Zaby) -> None:
    slug = unique("attach")
    agent = await z.agents.create({"slug": slug, "name": "Attach"})
    aid = agent["id"]

    kb = await z.knowledge_bases.create({"name": unique("Attach KB")})
    kb_att = await z.agents.attach_knowledge_base(aid, {"knowledgeBaseId": kb["id"], "key": "docs"})
    assert (kb_att["knowledgeBaseId"], kb_att["key"], kb_att["enabled"]) == (kb["id"], "docs", True)
    await expect_error(
        z.agents.attach_knowledge_base(aid, {"knowledgeBaseId": "nope"}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )

    sum_tool = await builtin_tool(z, "sum")
    mcp_att = await z.agents.attach_mcp_tool(aid, {"toolId": sum_tool["id"], "key": "adder", "approvalMode": "MANUAL"})
    assert (mcp_att["toolDefinitionId"], mcp_att["key"], mcp_att["approvalMode"]) == (sum_tool["id"], "adder", "MANUAL")
    err = await expect_error(
        z.agents.attach_mcp_tool(aid, {"toolId": "nothing"}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )
    assert error_fields(err) == ["toolId"]

    skill = await z.agents.attach_skill(aid, {"skillId": "summarise", "config": {"maxWords": 50}})
    assert (skill["skillId"], skill["key"], skill["name"], skill["config"]) == (
        "summarise",
        "summarise",
        "summarise",
        {"maxWords": 50},
    )
    replaced = await z.agents.attach_skill(aid, {"skillId": "summarise", "name": "Summary"})
    assert (replaced["id"], replaced["name"]) == (skill["id"], "Summary")

    got = await z.agents.get(aid)
    assert [a["key"] for a in got["knowledgeBases"]] == ["docs"]
    assert [a["key"] for a in got["mcpTools"]] == ["adder"]
    assert [(s["key"], s["name"]) for s in got["skills"]] == [("summarise", "Summary")]
