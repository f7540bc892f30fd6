"""MCP (E68–E84): the built-in server, and the same server registered again as an
external Streamable-HTTP server at `<origin>/mcp/builtin` with a bearer
credential, so discovery and calls make real MCP round trips."""

from __future__ import annotations

from zaby import Zaby, ZabyConflictError, ZabyNotFoundError, ZabyPermissionError, ZabyValidationError

from _servers import Servers
from support import builtin_installation, error_fields, expect_error, unique

BUILTIN_TOOLS = ["echo", "sum", "current_time", "kb_search"]


async def test_builtin_server_catalog_and_discovery(z: Zaby, servers: Servers) -> None:
    inst = await builtin_installation(z)
    assert (inst["status"], inst["toolCount"]) == ("ACTIVE", 4)
    listed = await z.mcp.list_installations({"status": "ACTIVE"})
    assert inst["id"] in [i["id"] for i in listed["items"]]

    server = await z.mcp.get_server(inst["serverDefinitionId"])
    assert (server["slug"], server["type"], server["status"]) == ("zaby-builtin", "INTERNAL", "ACTIVE")
    assert server["endpointUrl"] == f"{servers.a.origin}/mcp/builtin"
    await expect_error(z.mcp.update_server(server["id"], {"name": "mine"}), ZabyConflictError, 409, "CONFLICT")

    discovery = await z.mcp.discover_tools(server["id"])
    assert [t["name"] for t in discovery["items"]] == BUILTIN_TOOLS
    assert (discovery["added"], discovery["removed"]) == (0, 0)

    found = await z.mcp.list_catalog({"q": "sum"})
    entry = next(e for e in found["items"] if e["serverSlug"] == "zaby-builtin")
    assert entry["toolName"] == "sum"
    every = [e["toolName"] async for e in z.mcp.iter_catalog({"serverDefinitionId": server["id"], "limit": 2})]
    assert every == BUILTIN_TOOLS


async def test_external_server_lifecycle(z: Zaby, servers: Servers) -> None:
    name = unique("Bridge")
    url = f"{servers.a.origin}/mcp/builtin"
    server = await z.mcp.create_server({"name": name, "endpointUrl": url, "authMode": "BEARER"})
    assert (server["type"], server["transport"], server["authMode"], server["toolCount"]) == (
        "EXTERNAL",
        "STREAMABLE_HTTP",
        "BEARER",
        0,
    )
    assert server["lastDiscoveredAt"] is None
    await expect_error(
        z.mcp.create_server({"name": "dup", "slug": server["slug"], "endpointUrl": url}),
        ZabyConflictError,
        409,
        "SLUG_ALREADY_EXISTS",
    )
    err = await expect_error(z.mcp.create_server({"name": "no url"}), ZabyValidationError, 422, "VALIDATION_ERROR")
    assert error_fields(err) == ["endpointUrl"]
    updated = await z.mcp.update_server(server["id"], {"description": "the built-in server, from outside"})
    assert updated["description"] == "the built-in server, from outside"

    # A BEARER server is not discovered at install; bind a credential, then discover.
    inst = await z.mcp.install_server({"serverId": server["id"], "name": "bridge"})
    assert (inst["status"], inst["toolCount"], inst["name"]) == ("ACTIVE", 0, "bridge")
    token = servers.builtin_mcp_token()
    binding = await z.mcp.create_credential_binding(inst["id"], {"credentials": {"token": token}, "metadata": {"k": 1}})
    assert (binding["installationId"], binding["status"], binding["metadata"]) == (inst["id"], "ACTIVE", {"k": 1})
    assert token not in str(binding)
    err = await expect_error(
        z.mcp.create_credential_binding(inst["id"], {"credentials": {"apiKey": "x"}}),
        ZabyValidationError,
        422,
        "VALIDATION_ERROR",
    )
    assert error_fields(err) == ["credentials"]

    discovery = await z.mcp.discover_tools(server["id"])
    assert [t["name"] for t in discovery["items"]] == BUILTIN_TOOLS
    assert (discovery["added"], discovery["removed"]) == (4, 0)
    got = await z.mcp.get_server(server["id"])
    assert got["toolCount"] == 4 and got["lastDiscoveredAt"]
    catalog = await z.mcp.list_catalog({"serverDefinitionId": server["id"]})
    assert catalog["total"] == 4 and {e["serverSlug"] for e in catalog["items"]} == {server["slug"]}

    tools = await z.mcp.list_installation_tools(inst["id"])
    assert [t["name"] for t in tools["items"]] == BUILTIN_TOOLS
    assert tools["items"][0]["policy"]["enabled"] is True
    all_tools = [t["name"] async for t in z.mcp.iter_installation_tools(inst["id"], {"limit": 3})]
    assert all_tools == BUILTIN_TOOLS

    # Calls go out over MCP to /mcp/builtin with the bound bearer token.
    ok = await z.mcp.preflight_invocation(inst["id"], "sum", {"arguments": {"numbers": [2, 3]}})
    assert (ok["allowed"], ok["reasons"], ok["toolName"]) == (True, [], "sum")
    bad = await z.mcp.preflight_invocation(inst["id"], "sum", {"arguments": {"numbers": ["x"]}})
    assert bad["reasons"] == ["INVALID_ARGUMENTS"]
    assert [e["field"] for e in bad["validationErrors"]] == ["/numbers/0"]
    result = await z.mcp.invoke_tool(inst["id"], "sum", {"arguments": {"numbers": [2, 3]}})
    assert (result["isError"], result["result"], result["toolName"]) == (False, {"sum": 5}, "sum")
    echoed = await z.mcp.invoke_tool(inst["id"], "echo", {"arguments": {"hello": "bridge"}})
    assert echoed["result"] == {"hello": "bridge"}
    await expect_error(
        z.mcp.invoke_tool(inst["id"], "sum", {"arguments": {"numbers": ["x"]}}),
        ZabyValidationError,
        422,
        "VALIDATION_ERROR",
    )
    await expect_error(z.mcp.preflight_invocation(inst["id"], "nope", {}), ZabyNotFoundError, 404, "NOT_FOUND")

    # Tool policy and installation settings.
    policy = await z.mcp.update_tool_policy(inst["id"], "echo", {"allowed": False, "riskOverride": "HIGH"})
    assert (policy["policy"]["enabled"], policy["effectiveRiskLevel"]) == (False, "HIGH")
    await expect_error(
        z.mcp.invoke_tool(inst["id"], "echo", {"arguments": {"a": 1}}), ZabyPermissionError, 403, "TOOL_DISABLED"
    )
    changed = await z.mcp.update_installation(inst["id"], {"requireToolApproval": True, "rateLimitPerMinute": 100})
    assert (changed["requireToolApproval"], changed["rateLimitPerMinute"]) == (True, 100)
    tools = await z.mcp.list_installation_tools(inst["id"])
    current_time = next(t for t in tools["items"] if t["name"] == "current_time")
    assert current_time["policy"]["requiresApproval"] is True

    # Auth policy: one per installation.
    p1 = await z.mcp.upsert_auth_policy(inst["id"], {"type": "bearer", "config": {"note": "operator token"}})
    p2 = await z.mcp.upsert_auth_policy(inst["id"], {"type": "bearer", "config": {"note": "rotated"}})
    assert p1["id"] == p2["id"] and p2["config"] == {"note": "rotated"}

    # Access grants: once one exists, only granted agents may attach the installation.
    granted = await z.agents.create({"slug": unique("granted"), "name": "granted"})
    other = await z.agents.create({"slug": unique("other"), "name": "other"})
    grant = await z.mcp.grant_access(inst["id"], {"agentId": granted["id"]})
    assert (grant["agentId"], grant["permissions"], grant["expiresAt"]) == (granted["id"], ["invoke"], None)
    attached = await z.agents.attach_mcp_tool(granted["id"], {"toolId": inst["id"]})
    assert attached["tenantInstallationId"] == inst["id"]
    await expect_error(
        z.agents.attach_mcp_tool(other["id"], {"toolId": inst["id"]}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )

    deleted = await z.mcp.delete_credential_binding(binding["id"])
    assert deleted == {"id": binding["id"], "deleted": True}
    await expect_error(z.mcp.delete_credential_binding(binding["id"]), ZabyNotFoundError, 404, "NOT_FOUND")

    revoked = await z.mcp.revoke_installation(inst["id"])
    assert revoked["status"] == "REVOKED" and revoked["revokedAt"]
    assert (await z.mcp.revoke_installation(inst["id"]))["revokedAt"] == revoked["revokedAt"]
    await expect_error(
        z.mcp.update_installation(inst["id"], {"name": "x"}), ZabyConflictError, 409, "INSTALLATION_REVOKED"
    )
    gone = await z.mcp.list_installations({"status": "REVOKED"})
    assert inst["id"] in [i["id"] for i in gone["items"]]
