//! Agents: validation, partial updates, pagination, publish, attachments, tenant
//! routes and tenant isolation.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

on_both!(create_and_update_rules, pagination_and_filters, publish_and_attachments, tenant_routes, tenant_isolation);

async fn create_and_update_rules(s: TestServer) {
    let z = s.zaby();
    let a = z
        .agents()
        .create(json!({"slug": "a-1", "name": "A", "description": "d", "category": "SUPPORT", "tags": ["x"], "config": {"k": 1}})).json()
        .await
        .unwrap();
    assert_eq!(a["visibility"], "PRIVATE");
    assert_eq!(a["defaultModel"], "zaby");
    // Unknown members are refused: tests/api/unknown_fields.rs.
    let id = a["id"].as_str().unwrap();
    expect_err(z.agents().create(json!({"slug": "a-1", "name": "B"})), 409, "SLUG_ALREADY_EXISTS").await;
    for bad in [
        json!({"slug": "Bad Slug", "name": "x"}),
        json!({"slug": "a--b", "name": "x"}),
        json!({"name": "x"}),
        json!({"slug": "ok", "name": 5}),
        json!({"slug": "ok", "name": "x", "category": "NOPE"}),
        json!({"slug": "ok", "name": "x", "tags": "x"}),
        json!({"slug": "ok", "name": "x", "config": []}),
        json!({"slug": "x".repeat(101), "name": "x"}),
    ] {
        let e = expect_err(z.agents().create(bad.clone()), 422, "VALIDATION_ERROR").await;
        let zaby::ZabyError::Api(api) = e else { panic!() };
        let errors = &api.details.unwrap()["details"]["errors"];
        assert!(!errors.as_array().unwrap().is_empty(), "{bad}: field named");
    }
    let e = expect_err(z.agents().create(json!({"slug": "ok"})), 422, "VALIDATION_ERROR").await;
    let zaby::ZabyError::Api(api) = e else { panic!() };
    assert_eq!(api.details.unwrap()["details"]["errors"][0]["field"], "name");

    // Partial update: only present fields change; null clears nullable ones.
    let u = z.agents().update(id, json!({"description": null, "name": "A2"})).json().await.unwrap();
    assert_eq!(u["description"], Value::Null);
    assert_eq!(u["name"], "A2");
    assert_eq!(u["category"], "SUPPORT");
    assert_eq!(u["tags"], json!(["x"]));
    let u = z.agents().update(id, json!({"category": null})).json().await.unwrap();
    assert_eq!(u["category"], Value::Null);
    expect_err(z.agents().update(id, json!({"name": null})), 422, "VALIDATION_ERROR").await;
    expect_err(z.agents().update(id, json!({"status": "RETIRED"})), 422, "VALIDATION_ERROR").await;
    z.agents().create(json!({"slug": "other", "name": "O"})).json().await.unwrap();
    expect_err(z.agents().update(id, json!({"slug": "other"})), 409, "SLUG_ALREADY_EXISTS").await;
    // Path before body: an unknown agent is 404 even with an invalid body.
    expect_err(z.agents().update("missing", json!({"name": 1})), 404, "NOT_FOUND").await;
    // Published agents cannot go back to DRAFT.
    z.agents().publish(id).json().await.unwrap();
    expect_err(z.agents().update(id, json!({"status": "DRAFT"})), 422, "VALIDATION_ERROR").await;
    let paused = z.agents().update(id, json!({"status": "PAUSED"})).json().await.unwrap();
    assert_eq!(paused["status"], "PAUSED");
}

async fn pagination_and_filters(s: TestServer) {
    let z = s.zaby();
    for i in 0..7 {
        let cat = if i % 2 == 0 { "SALES" } else { "TUTOR" };
        z.agents()
            .create(json!({"slug": format!("agent-{i}"), "name": format!("Helper {i}"), "category": cat}))
            .json()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = json!({"limit": 3});
        if let Some(c) = &cursor {
            q["cursor"] = json!(c);
        }
        let page = z.agents().list(q).json().await.unwrap();
        assert_eq!(page["total"], 7);
        for item in page["items"].as_array().unwrap() {
            seen.push((
                item["createdAt"].as_str().unwrap().to_string(),
                item["id"].as_str().unwrap().to_string(),
                item["slug"].as_str().unwrap().to_string(),
            ));
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "ordered by createdAt, then id");
    let mut slugs: Vec<String> = seen.into_iter().map(|(_, _, s)| s).collect();
    slugs.sort();
    let expected: Vec<String> = (0..7).map(|i| format!("agent-{i}")).collect();
    assert_eq!(slugs, expected, "no gaps or repeats");
    let sales = z.agents().list(json!({"category": "SALES"})).json().await.unwrap();
    assert_eq!(sales["total"], 4);
    let q = z.agents().list(json!({"q": "HELPER 3"})).json().await.unwrap();
    assert_eq!(q["total"], 1);
    let none = z.agents().list(json!({"q": "%"})).json().await.unwrap();
    assert_eq!(none["total"], 0, "LIKE wildcards are escaped");
    for bad in [
        json!({"limit": 0}),
        json!({"limit": 101}),
        json!({"limit": "x"}),
        json!({"cursor": "garbage"}),
        json!({"status": "NOPE"}),
    ] {
        expect_err(z.agents().list(bad), 422, "VALIDATION_ERROR").await;
    }
    // The auto-paginating iterator sees everything.
    use futures::StreamExt;
    let mut it = z.agents().iter(json!({"limit": 2})).json();
    let mut n = 0;
    while let Some(item) = it.next().await {
        item.unwrap();
        n += 1;
    }
    assert_eq!(n, 7);
}

async fn publish_and_attachments(s: TestServer) {
    let z = s.zaby();
    let a = z.agents().create(json!({"slug": "att", "name": "Att"})).json().await.unwrap();
    let id = a["id"].as_str().unwrap();
    let skill = z.agents().attach_skill(id, json!({"skillId": "summarize"})).json().await.unwrap();
    assert_eq!(skill["key"], "summarize");
    assert_eq!(skill["enabled"], true);
    let replaced = s
        .http()
        .post(s.url(&format!("/api/v1/provisioning/agentic-os/agents/{id}/skills")))
        .header("x-zaby-api-key", &s.api_key)
        .json(&json!({"skillId": "summarize", "enabled": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 200, "same key replaces");
    let body: Value = replaced.json().await.unwrap();
    assert_eq!(body["id"], skill["id"]);
    expect_err(z.agents().attach_skill(id, json!({})), 422, "VALIDATION_ERROR").await;
    // Knowledge bases and MCP installations named in the body must exist (422).
    let e =
        expect_err(z.agents().attach_knowledge_base(id, json!({"knowledgeBaseId": "kb-1"})), 422, "VALIDATION_ERROR")
            .await;
    let zaby::ZabyError::Api(api) = e else { panic!() };
    assert_eq!(api.details.unwrap()["details"]["errors"][0]["field"], "knowledgeBaseId");
    expect_err(z.agents().attach_mcp_tool(id, json!({"toolId": "t-1"})), 422, "VALIDATION_ERROR").await;
    expect_err(
        z.agents().attach_mcp_tool(id, json!({"tenantInstallationId": "i", "approvalMode": "SOMETIMES"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;

    let v1 = z.agents().publish(id).json().await.unwrap();
    assert_eq!(v1["snapshot"]["skills"][0]["skillId"], "summarize");
    assert_eq!(v1["status"], "PUBLISHED");
    // Unchanged draft: 200 with the same version.
    let again = s
        .http()
        .post(s.url(&format!("/api/v1/provisioning/agentic-os/agents/{id}/publish")))
        .header("x-zaby-api-key", &s.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], v1["id"]);
    z.agents().attach_skill(id, json!({"skillId": "translate"})).json().await.unwrap();
    let v2 = z.agents().publish(id).json().await.unwrap();
    assert_eq!(v2["version"], 2);
    // Versions are immutable: v1's snapshot still has one skill.
    assert_eq!(v1["snapshot"]["skills"].as_array().unwrap().len(), 1);
    let agent = z.agents().get(id).json().await.unwrap();
    assert_eq!(agent["latestVersion"], 2);
    assert_eq!(agent["latestVersionId"], v2["id"]);
    assert_eq!(agent["skills"].as_array().unwrap().len(), 2);
}

async fn tenant_routes(s: TestServer) {
    let tenant = s.default_tenant().await;
    let token = s.tenant_token(&tenant, "alice").await;
    let t = s.tenant_client(&token);
    let a = t.tenant_agents().create(json!({"slug": "via-tenant", "name": "T"})).json().await.unwrap();
    // Shared with the provisioning routes.
    let z = s.zaby();
    assert_eq!(z.agents().get(a["id"].as_str().unwrap()).json().await.unwrap()["slug"], "via-tenant");
    assert_eq!(t.tenant_agents().list(None).json().await.unwrap()["total"], 1);
    // An API key alone is not a tenant credential.
    let resp = s.http().get(s.url("/api/v1/tenant/agents")).header("x-zaby-api-key", &s.api_key).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    // x-tenant-id must match the token.
    let resp = s
        .http()
        .get(s.url("/api/v1/tenant/agents"))
        .bearer_auth(&token)
        .header("x-tenant-id", "someone-else")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = s
        .http()
        .get(s.url("/api/v1/tenant/agents"))
        .bearer_auth(&token)
        .header("x-tenant-id", &tenant)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A tampered token is refused.
    let mut bad = token.clone();
    bad.pop();
    bad.push(if token.ends_with('A') { 'B' } else { 'A' });
    let resp = s.http().get(s.url("/api/v1/tenant/agents")).bearer_auth(&bad).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    // A runtime-style bearer on provisioning routes is not an API key.
    let resp = s.http().get(s.url("/api/v1/provisioning/agentic-os/agents")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    // E117 lists external apps with the tenant token.
    z.external_apps().create(json!({"name": "X", "slug": "x"})).json().await.unwrap();
    assert_eq!(t.tenant_agents().list_external_apps(None).json().await.unwrap()["total"], 1);
}

async fn tenant_isolation(s: TestServer) {
    let z = s.zaby();
    let setup = setup(&z, "iso", json!({}), json!({})).await;
    let token = z.runtime_tokens().create(setup.mint(json!({}))).json().await.unwrap();
    let (_, other_key) = s.second_tenant().await;
    let o = s.zaby_with_key(&other_key);
    let agent_id = setup.deployed.agent_id();
    let dep_id = setup.deployment_id();
    let app_id = setup.app_id();
    let policy_id = setup.policy_id();
    let family_id = token["tokenFamilyId"].as_str().unwrap();
    let grant_id = token["grantId"].as_str().unwrap();
    expect_err(o.agents().get(agent_id), 404, "NOT_FOUND").await;
    expect_err(o.agents().update(agent_id, json!({"name": "x"})), 404, "NOT_FOUND").await;
    expect_err(o.agents().delete(agent_id, None), 404, "NOT_FOUND").await;
    expect_err(o.agents().publish(agent_id), 404, "NOT_FOUND").await;
    expect_err(o.agents().deploy(agent_id, json!({"agentVersionId": setup.deployed.version["id"]})), 404, "NOT_FOUND")
        .await;
    expect_err(o.agents().attach_skill(agent_id, json!({"skillId": "s"})), 404, "NOT_FOUND").await;
    expect_err(o.deployments().get_provisioning(dep_id), 404, "NOT_FOUND").await;
    expect_err(o.external_apps().get(app_id), 404, "NOT_FOUND").await;
    expect_err(o.external_apps().update(app_id, json!({"name": "x"})), 404, "NOT_FOUND").await;
    expect_err(o.external_apps().bind_deployment(app_id, json!({"deploymentId": dep_id})), 404, "NOT_FOUND").await;
    expect_err(o.runtime_token_policies().get(policy_id), 404, "NOT_FOUND").await;
    expect_err(o.runtime_token_policies().update(policy_id, json!({"name": "x"})), 404, "NOT_FOUND").await;
    expect_err(o.runtime_tokens().create(setup.mint(json!({}))), 404, "NOT_FOUND").await;
    expect_err(o.runtime_token_families().revoke(family_id, None), 404, "NOT_FOUND").await;
    expect_err(o.runtime_token_grants().revoke(grant_id, None), 404, "NOT_FOUND").await;
    expect_err(
        o.agents().playground_runtime_tokens(agent_id, json!({"deploymentId": dep_id, "externalUserId": "u"})),
        404,
        "NOT_FOUND",
    )
    .await;
    // Body references to another tenant's resources are unknown (422).
    let own = o.external_apps().create(json!({"name": "mine", "slug": "mine"})).json().await.unwrap();
    expect_err(
        o.external_apps().bind_deployment(own["id"].as_str().unwrap(), json!({"deploymentId": dep_id})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    // Rotating another tenant's token: not a token of this tenant.
    expect_err(o.runtime_tokens().rotate(json!({"previousToken": token["token"]})), 401, "UNAUTHORIZED").await;
    // Lists are per tenant.
    assert_eq!(o.agents().list(None).json().await.unwrap()["total"], 0);
    assert_eq!(o.runtime_token_families().list(None).json().await.unwrap()["total"], 0);
    assert_eq!(o.runtime_token_policies().list(None).json().await.unwrap()["total"], 0);
    assert_eq!(o.external_apps().list(None).json().await.unwrap()["total"], 1);
    // The same slug is free in the other tenant.
    o.agents().create(json!({"slug": "iso", "name": "mine"})).json().await.unwrap();
}
