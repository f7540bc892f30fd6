"""External apps, runtime tokens, families, grants, policies and token usage
(E14, E15, E20–E27, E29–E36)."""

from __future__ import annotations

from typing import Any

from zaby import (
    Zaby,
    ZabyAuthError,
    ZabyConflictError,
    ZabyNotFoundError,
    ZabyPermissionError,
    ZabyRuntimeTokenExhaustedError,
    ZabyValidationError,
)

from conftest import Clients
from support import app_setup, deployed_agent, expect_error, unique

NO_RUN = "00000000-0000-4000-8000-000000000000"


async def probe(clients: Clients, token: str) -> tuple[int, str | None]:
    """A runtime request that passes authentication and then finds no run."""
    try:
        page = await clients.runtime(token).runs.events(NO_RUN)
    except (ZabyNotFoundError, ZabyAuthError, ZabyPermissionError) as err:
        return err.status, err.code
    raise AssertionError(f"no run should exist: {page!r}")


async def test_external_apps_and_bindings(z: Zaby) -> None:
    d = await deployed_agent(z, "apps")
    slug = unique("web")
    app = await z.external_apps.create(
        {"name": "Web", "slug": slug, "allowedOrigins": ["https://app.example.com"], "tokenTtlSeconds": 600}
    )
    assert (app["status"], app["slug"], app["allowedOrigins"]) == ("ACTIVE", slug, ["https://app.example.com"])
    await expect_error(z.external_apps.create({"name": "Dup", "slug": slug}), ZabyConflictError, 409, "SLUG_ALREADY_EXISTS")
    await expect_error(
        z.external_apps.create({"name": "Bad", "allowedOrigins": ["https://x.example/path"]}),
        ZabyValidationError,
        422,
        "VALIDATION_ERROR",
    )

    binding = await z.external_apps.bind_deployment(app["id"], {"deploymentId": d.deployment_id, "allowBrowserRuntime": True})
    assert (binding["deploymentId"], binding["allowBrowserRuntime"], binding["allowServerRuntime"]) == (
        d.deployment_id,
        True,
        True,
    )
    got = await z.external_apps.get(app["id"])
    assert (got["deploymentIds"], got["activeDeploymentId"]) == ([d.deployment_id], d.deployment_id)
    prov = await z.deployments.get_provisioning(d.deployment_id)
    assert [a["externalAppId"] for a in prov["externalApps"]] == [app["id"]]

    updated = await z.external_apps.update(app["id"], {"name": "Web 2", "status": "INACTIVE"})
    assert (updated["name"], updated["status"]) == ("Web 2", "INACTIVE")
    assert (await z.external_apps.get(app["id"]))["status"] == "INACTIVE"

    by_agent = await z.external_apps.list({"agentId": d.agent_id})
    assert [a["id"] for a in by_agent["items"]] == [app["id"]]
    inactive = [a["id"] async for a in z.external_apps.iter({"status": "INACTIVE"})]
    assert app["id"] in inactive
    await expect_error(z.external_apps.get("nope"), ZabyNotFoundError, 404, "NOT_FOUND")


async def test_mint_rotate_and_revoke(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "mint")
    token = await z.runtime_tokens.create(st.mint(uniqueId="cust-7", maxUses=9))
    assert (token["tokenType"], token["externalAppId"], token["quotaPolicyId"]) == ("Bearer", st.app_id, st.policy["id"])
    assert token["remainingUses"] == 9 and len(token["uniqueIdHash"]) == 64
    assert await probe(clients, token["token"]) == (404, "NOT_FOUND")
    await expect_error(
        z.runtime_tokens.create(st.mint(quotaPolicyId=None)), ZabyValidationError, 422, "QUOTA_POLICY_REQUIRED"
    )
    await expect_error(
        z.runtime_tokens.create(st.mint(channel="web")), ZabyPermissionError, 403, "RUNTIME_CHANNEL_NOT_ALLOWED"
    )

    # E27: the new token keeps the family and session; the previous one stops working.
    second = await z.runtime_tokens.rotate({"previousToken": token["token"]})
    assert (second["tokenFamilyId"], second["agentSessionId"]) == (token["tokenFamilyId"], token["agentSessionId"])
    assert second["grantId"] != token["grantId"] and second["remainingUses"] == 9
    assert await probe(clients, token["token"]) == (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED")
    await expect_error(
        z.runtime_tokens.rotate({"previousToken": token["token"]}),
        ZabyAuthError,
        401,
        "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED",
    )

    # E26: rotating by unique id revokes every active grant of the family.
    third = await z.runtime_tokens.rotate_by_unique_id(
        {"externalAppId": st.app_id, "deploymentId": st.deployed.deployment_id, "uniqueId": "cust-7"}
    )
    assert third["tokenFamilyId"] == token["tokenFamilyId"]
    assert (await probe(clients, second["token"]))[0] == 401
    assert (await probe(clients, third["token"]))[0] == 404

    # E29 and E30 (and its `runtime_tokens.revoke_family` binding, idempotent).
    fams = await z.runtime_token_families.list({"externalUserId": "user-1", "externalAppId": st.app_id})
    fam = next(f for f in fams["items"] if f["id"] == token["tokenFamilyId"])
    assert (fam["grantCount"], fam["activeGrantCount"], fam["status"]) == (3, 1, "ACTIVE")
    r1 = await z.runtime_token_families.revoke(token["tokenFamilyId"], {"reason": "logout"})
    assert (r1["status"], r1["revokedGrantCount"]) == ("REVOKED", 1)
    r2 = await z.runtime_tokens.revoke_family(token["tokenFamilyId"], {"reason": "again"})
    assert (r2["revokedAt"], r2["reason"]) == (r1["revokedAt"], "logout")
    assert await probe(clients, third["token"]) == (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED")
    revoked = [f["id"] async for f in z.runtime_token_families.iter({"status": "REVOKED"})]
    assert token["tokenFamilyId"] in revoked

    # E35: a grant counts its uses; revoking it is idempotent.
    fresh = await z.runtime_tokens.create(st.mint(externalUserId="grant-user", maxUses=2))
    assert (await probe(clients, fresh["token"]))[0] == 404
    grant = await z.runtime_token_grants.revoke(fresh["grantId"], {"reason": "done"})
    assert (grant["status"], grant["usedCount"], grant["remainingUses"], grant["revokeReason"]) == (
        "REVOKED",
        1,
        1,
        "done",
    )
    again = await z.runtime_token_grants.revoke(fresh["grantId"])
    assert again["revokedAt"] == grant["revokedAt"]
    await expect_error(z.runtime_token_grants.revoke("nope"), ZabyNotFoundError, 404, "NOT_FOUND")


async def test_exhausted_token_is_refused(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "uses")
    token = await z.runtime_tokens.create(st.mint(maxUses=1, externalUserId="once"))
    assert (await probe(clients, token["token"]))[0] == 404
    runtime = clients.runtime(token["token"])
    await expect_error(
        runtime.runs.events(NO_RUN),
        ZabyRuntimeTokenExhaustedError,
        403,
        "MANAGED_AGENT_RUNTIME_TOKEN_GRANT_MAX_USES_EXCEEDED",
    )


async def test_policies_and_usage(z: Zaby, clients: Clients) -> None:
    st = await app_setup(z, "policy")
    p = z.runtime_token_policies
    got = await p.get(st.policy["id"])
    assert (got["name"], got["status"], got["externalAppId"]) == ("policy policy", "ACTIVE", st.app_id)
    off = await p.create(
        {"name": "off", "externalAppId": st.app_id, "deploymentId": st.deployed.deployment_id, "status": "INACTIVE"}
    )
    mine = [x["id"] async for x in p.iter({"externalAppId": st.app_id})]
    assert sorted(mine) == sorted([st.policy["id"], off["id"]])
    active = await p.list({"externalAppId": st.app_id, "activeOnly": True})
    assert [x["id"] for x in active["items"]] == [st.policy["id"]]
    await expect_error(p.get("nope"), ZabyNotFoundError, 404, "NOT_FOUND")

    updated = await p.update(st.policy["id"], {"maxUsesPerToken": 3, "tokenTtlSeconds": 120, "maxConcurrentRuns": 2})
    assert (updated["maxUsesPerToken"], updated["tokenTtlSeconds"], updated["maxConcurrentRuns"]) == (3, 120, 2)
    await expect_error(
        z.runtime_tokens.create(st.mint(maxUses=4)), ZabyValidationError, 422, "VALIDATION_ERROR"
    )
    token = await z.runtime_tokens.create(st.mint())
    assert token["remainingUses"] == 3
    await p.update(off["id"], {"name": "still off"})
    assert (await p.get(off["id"]))["name"] == "still off"

    assert (await probe(clients, token["token"]))[0] == 404
    usage = await z.runtime_token_usage.get({"externalAppId": st.app_id})
    assert usage["externalAppId"] == st.app_id
    assert (usage["totals"]["tokensIssued"], usage["totals"]["runtimeRequests"]) == (1, 1)
    window = next(w for w in usage["quotaWindows"] if w["quotaPolicyId"] == st.policy["id"])
    assert (window["tokensIssued"], window["maxUsesPerToken"]) == (1, 3)
    await expect_error(
        z.runtime_token_usage.get({"from": "yesterday"}), ZabyValidationError, 422, "VALIDATION_ERROR"
    )


async def test_playground_tokens(z: Zaby, clients: Clients) -> None:
    d = await deployed_agent(z, "play")
    # E15 (no body): a token for the agent's active deployment, no app, no policy.
    plain = await z.agents.playground_runtime_tokens(d.agent_id)
    assert (plain["deploymentId"], plain["externalAppId"], plain["quotaPolicyId"]) == (d.deployment_id, None, None)
    assert (await probe(clients, plain["token"]))[0] == 404
    # E14 (with a body).
    body: dict[str, Any] = {"deploymentId": d.deployment_id, "externalUserId": "dev", "maxUses": 2}
    minted = await z.agents.playground_runtime_tokens(d.agent_id, body)
    assert (minted["remainingUses"], minted["deploymentId"]) == (2, d.deployment_id)
    await expect_error(
        z.agents.playground_runtime_tokens(d.agent_id, {"deploymentId": d.deployment_id}),
        ZabyValidationError,
        422,
        "VALIDATION_ERROR",
    )
    undeployed = await z.agents.create({"slug": unique("undeployed"), "name": "u"})
    await expect_error(
        z.agents.playground_runtime_tokens(undeployed["id"]), ZabyConflictError, 409, "NO_ACTIVE_DEPLOYMENT"
    )
