//! The provisioning lifecycle end to end, through the SDK.

use serde_json::json;

use crate::common::*;
use crate::on_both;

on_both!(
    full_lifecycle,
    superseding_chain,
    provisioning_rules,
    restart_keeps_data_and_tokens,
    no_delay_is_active_at_once
);

/// The default delay is 0: the create still answers PENDING, and E19 called right after
/// it answers 200 (the flow of the public SDK's own local tests).
async fn no_delay_is_active_at_once(s: TestServer) {
    assert_eq!(zaby_server::Settings::default().provisioning_delay_ms, 0);
    let s = TestServer::start_with(s.backend, |st| st.provisioning_delay_ms = 0).await.unwrap();
    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": "at-once", "name": "At once"})).json().await.unwrap();
    let agent_id = agent["id"].as_str().unwrap();
    let v1 = z.agents().publish(agent_id).json().await.unwrap();
    for _ in 0..3 {
        let dep = z.deployments().create(agent_id, json!({"agentVersionId": v1["id"]})).json().await.unwrap();
        assert_eq!(dep["status"], "PENDING");
        let prov = z.deployments().get_provisioning(dep["id"].as_str().unwrap()).json().await.unwrap();
        assert_eq!((prov["status"].as_str(), &prov["deploymentId"]), (Some("ACTIVE"), &dep["id"]));
    }
    let deployments = z.agents().get(agent_id).json().await.unwrap()["activeDeployments"].clone();
    assert_eq!(deployments.as_array().map(Vec::len), Some(1), "each new deployment superseded the previous one");
}

async fn full_lifecycle(s: TestServer) {
    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": "support-bot", "name": "Support"})).json().await.unwrap();
    assert_eq!(agent["status"], "DRAFT");
    let agent_id = agent["id"].as_str().unwrap();
    let v1 = z.agents().publish(agent_id).json().await.unwrap();
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["id"], v1["agentVersionId"]);
    assert_eq!(z.agents().get(agent_id).json().await.unwrap()["status"], "ACTIVE");

    let dep = z
        .deployments()
        .create(agent_id, json!({"agentVersionId": v1["id"], "environment": "PRODUCTION"}))
        .json()
        .await
        .unwrap();
    assert_eq!(dep["status"], "PENDING");
    let dep_id = dep["id"].as_str().unwrap();
    // PENDING: provisioning is not ready yet.
    expect_err(z.deployments().get_provisioning(dep_id), 404, "DEPLOYMENT_PROVISIONING_NOT_READY").await;
    let prov = wait_active(&z, dep_id).await;
    assert_eq!(prov["status"], "ACTIVE");
    assert_eq!(prov["deploymentId"], dep["id"]);
    let agent = z.agents().get(agent_id).json().await.unwrap();
    assert_eq!(agent["activeDeployments"][0]["id"], dep["id"]);

    let app = z
        .external_apps()
        .create(json!({"name": "Web", "slug": "web", "allowedOrigins": ["https://app.example.com"]}))
        .json()
        .await
        .unwrap();
    let app_id = app["id"].as_str().unwrap();
    assert_eq!(app["status"], "ACTIVE");
    let binding = z
        .external_apps()
        .bind_deployment(app_id, json!({"deploymentId": dep_id, "allowBrowserRuntime": true}))
        .json()
        .await
        .unwrap();
    assert_eq!(binding["allowServerRuntime"], true);
    let app = z.external_apps().get(app_id).json().await.unwrap();
    assert_eq!(app["deploymentIds"], json!([dep_id]));
    assert_eq!(app["activeDeploymentId"], dep["id"]);
    let prov = z.deployments().get_provisioning(dep_id).json().await.unwrap();
    assert_eq!(prov["externalApps"][0]["externalAppId"], app["id"]);

    let policy = z
        .runtime_token_policies()
        .create(json!({"name": "p", "externalAppId": app_id, "deploymentId": dep_id, "maxUsesPerToken": 10}))
        .json()
        .await
        .unwrap();
    let token = z
        .runtime_tokens()
        .create(json!({
            "externalAppId": app_id, "deploymentId": dep_id, "quotaPolicyId": policy["id"],
            "uniqueId": "customer-42", "channel": "web"
        }))
        .json()
        .await
        .unwrap();
    assert_eq!(token["tokenType"], "Bearer");
    assert_eq!(token["remainingUses"], 10);
    assert_eq!(token["externalAppId"], app["id"]);
    assert_eq!(token["uniqueIdHash"].as_str().unwrap().len(), 64);
    // The token authenticates on the runtime route (which then finds no run).
    let (status, code) = sdk_probe(&s, token["token"].as_str().unwrap()).await;
    assert_eq!((status, code.as_str()), (404, "NOT_FOUND"));
    let usage = z.runtime_token_usage().get(json!({"externalAppId": app_id})).json().await.unwrap();
    assert_eq!(usage["totals"]["tokensIssued"], 1);
    assert_eq!(usage["totals"]["runtimeRequests"], 1);
    assert_eq!(usage["quotaWindows"][0]["quotaPolicyId"], policy["id"]);
}

async fn superseding_chain(s: TestServer) {
    let z = s.zaby();
    let d1 = deployed_agent(&z, "chain").await;
    let agent_id = d1.agent_id().to_string();
    z.agents().update(&agent_id, json!({"instructions": "v2"})).json().await.unwrap();
    let v2 = z.agents().publish(&agent_id).json().await.unwrap();
    assert_eq!(v2["version"], 2);
    let app = z.external_apps().create(json!({"name": "A", "slug": "a"})).json().await.unwrap();
    let app_id = app["id"].as_str().unwrap();
    z.external_apps().bind_deployment(app_id, json!({"deploymentId": d1.deployment_id()})).json().await.unwrap();
    let d2 = z
        .agents()
        .deploy(&agent_id, json!({"agentVersionId": v2["id"], "environment": "PRODUCTION"}))
        .json()
        .await
        .unwrap();
    wait_active(&z, d2["id"].as_str().unwrap()).await;
    // The earlier deployment is superseded; the app follows the chain.
    let (code_status, code) = err_of(z.deployments().get_provisioning(d1.deployment_id()).json().await.unwrap_err());
    assert_eq!((code_status, code.as_str()), (409, "DEPLOYMENT_NOT_ACTIVE"));
    let app = z.external_apps().get(app_id).json().await.unwrap();
    assert_eq!(app["activeDeploymentId"], d2["id"]);
    let agent = z.agents().get(&agent_id).json().await.unwrap();
    assert_eq!(agent["activeDeployments"].as_array().unwrap().len(), 1);
    // Tokens can still be minted for the superseded deployment.
    let policy = z
        .runtime_token_policies()
        .create(json!({"name": "p", "externalAppId": app_id, "deploymentId": d1.deployment_id()}))
        .json()
        .await
        .unwrap();
    z.runtime_tokens()
        .create(json!({"externalAppId": app_id, "deploymentId": d1.deployment_id(), "quotaPolicyId": policy["id"], "externalUserId": "u"})).json()
        .await
        .unwrap();
    // A different environment does not supersede.
    let d3 = z.agents().deploy(&agent_id, json!({"agentVersionId": v2["id"]})).json().await.unwrap();
    assert_eq!(d3["environment"], "TEST");
    wait_active(&z, d3["id"].as_str().unwrap()).await;
    z.deployments().get_provisioning(d2["id"].as_str().unwrap()).json().await.unwrap();
    // Redeploy (tenant route) uses the latest version and the newest environment.
    let tenant = s.default_tenant().await;
    let t = s.tenant_client(&s.tenant_token(&tenant, "ops").await);
    let d4 = t.tenant_agents().redeploy(&agent_id, None).json().await.unwrap();
    assert_eq!(d4["agentVersionId"], v2["id"]);
    assert_eq!(d4["environment"], "TEST");
    assert_eq!(d4["status"], "PENDING");
}

async fn provisioning_rules(s: TestServer) {
    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": "p", "name": "P"})).json().await.unwrap();
    let id = agent["id"].as_str().unwrap();
    // Deploying needs a version of this agent.
    expect_err(z.agents().deploy(id, json!({"agentVersionId": "nope"})), 422, "VALIDATION_ERROR").await;
    expect_err(z.agents().deploy(id, json!({})), 422, "VALIDATION_ERROR").await;
    let tenant = s.default_tenant().await;
    let t = s.tenant_client(&s.tenant_token(&tenant, "ops").await);
    expect_err(t.tenant_agents().redeploy(id, None), 409, "NO_PUBLISHED_VERSION").await;
    let v = z.agents().publish(id).json().await.unwrap();
    expect_err(z.agents().deploy(id, json!({"agentVersionId": v["id"], "environment": "QA"})), 422, "VALIDATION_ERROR")
        .await;
    // E15 needs an ACTIVE deployment.
    expect_err(z.agents().playground_runtime_tokens(id, None), 409, "NO_ACTIVE_DEPLOYMENT").await;
    let dep = z.agents().deploy(id, json!({"agentVersionId": v["id"]})).json().await.unwrap();
    // Delete while PENDING/ACTIVE needs force; force sets deployments INACTIVE.
    expect_err(z.agents().delete(id, None), 409, "AGENT_HAS_ACTIVE_DEPLOYMENTS").await;
    let gone = z.agents().delete(id, json!({"force": true})).json().await.unwrap();
    assert_eq!(gone, json!({"id": id, "deleted": true}));
    expect_err(z.agents().get(id), 404, "NOT_FOUND").await;
    let err =
        expect_err(z.deployments().get_provisioning(dep["id"].as_str().unwrap()), 409, "DEPLOYMENT_NOT_ACTIVE").await;
    if let zaby::ZabyError::Api(api) = &err {
        assert_eq!(api.details.as_ref().unwrap()["details"]["status"], "INACTIVE");
    }
    // The slug is free again.
    z.agents().create(json!({"slug": "p", "name": "P again"})).json().await.unwrap();
}

async fn restart_keeps_data_and_tokens(mut s: TestServer) {
    let z = s.zaby();
    let setup = setup(&z, "restart", json!({}), json!({})).await;
    let token = z.runtime_tokens().create(setup.mint(json!({"maxUses": 5}))).json().await.unwrap();
    let token = token["token"].as_str().unwrap().to_string();
    assert_eq!(sdk_probe(&s, &token).await.0, 404);
    // A deployment still pending at shutdown becomes ACTIVE after the restart.
    let pending = z
        .agents()
        .deploy(
            setup.deployed.agent_id(),
            json!({"agentVersionId": setup.deployed.version["id"], "environment": "STAGING"}),
        )
        .json()
        .await
        .unwrap();
    s.restart().await;
    let z = s.zaby();
    let agent = z.agents().get(setup.deployed.agent_id()).json().await.unwrap();
    assert_eq!(agent["slug"], "restart");
    wait_active(&z, pending["id"].as_str().unwrap()).await;
    // The old token still verifies, and its use count survived.
    assert_eq!(sdk_probe(&s, &token).await.0, 404);
    let grant = z
        .runtime_token_grants()
        .revoke(&zaby_server_grant_id(&s, &token).await, json!({"reason": "done"}))
        .json()
        .await
        .unwrap();
    assert_eq!(grant["usedCount"], 2);
    assert_eq!(grant["status"], "REVOKED");
    s.stop().await;
}

/// The grant id of a token is its `sub` claim.
async fn zaby_server_grant_id(_s: &TestServer, token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    claims["sub"].as_str().unwrap().to_string()
}
