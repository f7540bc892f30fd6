//! Minting preconditions, idempotency, rotation, families, grants, policies,
//! playground tokens.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

on_both!(
    mint_preconditions,
    idempotent_mints,
    rotation_and_revocation,
    policies_and_families,
    playground_tokens,
    newest_active_deployment,
    rebinding_changes_only_the_members_sent,
    idempotency_records_are_sealed_and_swept
);

async fn mint_preconditions(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "mint", json!({"tokenTtlSeconds": 300}), json!({})).await;
    let rt = z.runtime_tokens();
    // Happy path with defaults: server channel, all scopes, TTL from the app.
    let t = rt.create(st.mint(json!({}))).json().await.unwrap();
    assert_eq!(t["scopes"].as_array().unwrap().len(), 4);
    assert_eq!(t["remainingUses"], Value::Null);
    assert_eq!(t["rotateAfterSeconds"], Value::Null);
    expect_err(rt.create(st.mint(json!({"quotaPolicyId": null}))), 422, "QUOTA_POLICY_REQUIRED").await;
    let body = st.mint(json!({"quotaPolicyId": null, "ttlSecond": 5}));
    let e = expect_err(rt.create(body), 422, "VALIDATION_ERROR").await;
    assert!(format!("{e:?}").contains("did you mean `ttlSeconds`"), "{e:?}");
    // The app is looked up before the body is checked.
    expect_err(rt.create(json!({"externalAppId": "nope", "deploymentId": 5})), 404, "NOT_FOUND").await;
    expect_err(rt.create(st.mint(json!({"quotaPolicyId": "nope"}))), 422, "QUOTA_POLICY_MISMATCH").await;
    expect_err(rt.create(st.mint(json!({"externalUserId": null}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"channel": "fax"}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"scopes": ["managed-agents:runtime:fly"]}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"ttlSeconds": 0}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"ttlSeconds": 86401}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"maxUses": 0}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"deploymentId": "nope"}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"tokenFamilyId": "nope"}))), 422, "VALIDATION_ERROR").await;
    let mut unknown_app = st.mint(json!({}));
    unknown_app["externalAppId"] = json!("00000000-0000-4000-8000-000000000000");
    expect_err(rt.create(unknown_app), 404, "NOT_FOUND").await;
    // Browser channels need allowBrowserRuntime.
    expect_err(rt.create(st.mint(json!({"channel": "web"}))), 403, "RUNTIME_CHANNEL_NOT_ALLOWED").await;
    // Deployment not bound to the app.
    let other = deployed_agent(&z, "other").await;
    let p2 = z
        .runtime_token_policies()
        .create(json!({"name": "p2", "externalAppId": st.app_id(), "deploymentId": other.deployment_id()}))
        .json()
        .await
        .unwrap();
    expect_err(
        rt.create(st.mint(json!({"deploymentId": other.deployment_id(), "quotaPolicyId": p2["id"]}))),
        422,
        "DEPLOYMENT_NOT_BOUND",
    )
    .await;
    // A policy of another deployment does not match.
    z.external_apps()
        .bind_deployment(st.app_id(), json!({"deploymentId": other.deployment_id()}))
        .json()
        .await
        .unwrap();
    expect_err(rt.create(st.mint(json!({"quotaPolicyId": p2["id"]}))), 422, "QUOTA_POLICY_MISMATCH").await;
    // Policy limits: TTL and uses above the policy maximum are 422; defaults follow it.
    z.runtime_token_policies()
        .update(st.policy_id(), json!({"tokenTtlSeconds": 120, "maxUsesPerToken": 3, "autoRotateEnabled": true}))
        .json()
        .await
        .unwrap();
    expect_err(rt.create(st.mint(json!({"ttlSeconds": 121}))), 422, "VALIDATION_ERROR").await;
    expect_err(rt.create(st.mint(json!({"maxUses": 4}))), 422, "VALIDATION_ERROR").await;
    let t = rt.create(st.mint(json!({}))).json().await.unwrap();
    assert_eq!(t["remainingUses"], 3);
    assert_eq!(t["rotateAfterSeconds"], 60);
    // INACTIVE policy.
    z.runtime_token_policies().update(st.policy_id(), json!({"status": "INACTIVE"})).json().await.unwrap();
    expect_err(rt.create(st.mint(json!({}))), 422, "QUOTA_POLICY_MISMATCH").await;
    z.runtime_token_policies().update(st.policy_id(), json!({"status": "ACTIVE"})).json().await.unwrap();
    // Inactive app.
    z.external_apps().update(st.app_id(), json!({"status": "INACTIVE"})).json().await.unwrap();
    expect_err(rt.create(st.mint(json!({}))), 403, "EXTERNAL_APP_INACTIVE").await;
    z.external_apps().update(st.app_id(), json!({"status": "ACTIVE"})).json().await.unwrap();
    // FAILED/INACTIVE deployments cannot mint: force-delete the agent.
    z.agents().delete(st.deployed.agent_id(), json!({"force": true})).json().await.unwrap();
    expect_err(rt.create(st.mint(json!({}))), 409, "DEPLOYMENT_NOT_ACTIVE").await;
}

async fn idempotent_mints(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "idem", json!({}), json!({})).await;
    let body = st.mint(json!({"requestId": "req-1"}));
    // 100 concurrent mints with one requestId → one token.
    let mut handles = Vec::new();
    for _ in 0..100 {
        let client = s.http();
        let url = s.url(&format!("/api/v1/provisioning/managed-agents/external-apps/{}/runtime-tokens", st.app_id()));
        let key = s.api_key.clone();
        let mut b = body.clone();
        b.as_object_mut().unwrap().remove("externalAppId");
        handles.push(tokio::spawn(async move {
            let resp = client.post(url).header("x-zaby-api-key", key).json(&b).send().await.unwrap();
            let status = resp.status().as_u16();
            let replayed = resp.headers().get("idempotent-replayed").is_some();
            let v: Value = resp.json().await.unwrap();
            (status, replayed, v["token"].as_str().unwrap_or("").to_string())
        }));
    }
    let mut tokens = HashSet::new();
    let (mut created, mut replayed) = (0, 0);
    for h in handles {
        let (status, rep, token) = h.await.unwrap();
        match status {
            201 => created += 1,
            200 => {
                assert!(rep, "a 200 replay carries idempotent-replayed");
                replayed += 1
            }
            other => panic!("unexpected status {other}"),
        }
        tokens.insert(token);
    }
    assert_eq!((created, replayed), (1, 99));
    assert_eq!(tokens.len(), 1);
    let families = z.runtime_token_families().list(None).json().await.unwrap();
    assert_eq!(families["items"][0]["grantCount"], 1);
    // Same key, different body → 409.
    expect_err(
        z.runtime_tokens().create(st.mint(json!({"requestId": "req-1", "externalUserId": "someone-else"}))),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    )
    .await;
    // A failed first request records nothing: the key stays usable.
    expect_err(
        z.runtime_tokens().create(st.mint(json!({"requestId": "req-2", "maxUses": 0}))),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    expect_err(
        z.runtime_tokens().create(st.mint(json!({"requestId": "req-2", "channel": "web"}))),
        403,
        "RUNTIME_CHANNEL_NOT_ALLOWED",
    )
    .await;
    let ok = z.runtime_tokens().create(st.mint(json!({"requestId": "req-2"}))).json().await.unwrap();
    let again = z.runtime_tokens().create(st.mint(json!({"requestId": "req-2"}))).json().await.unwrap();
    assert_eq!(ok["token"], again["token"]);
    // Without requestId every mint is new.
    let a = z.runtime_tokens().create(st.mint(json!({}))).json().await.unwrap();
    let b = z.runtime_tokens().create(st.mint(json!({}))).json().await.unwrap();
    assert_ne!(a["token"], b["token"]);
    assert_eq!(a["tokenFamilyId"], b["tokenFamilyId"], "same end user, same family");
}

async fn rotation_and_revocation(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "rot", json!({}), json!({})).await;
    let rt = z.runtime_tokens();
    let first = rt
        .create(st.mint(json!({"uniqueId": "cust-7", "externalSessionId": "s1", "maxUses": 9})))
        .json()
        .await
        .unwrap();
    let second = rt.rotate(json!({"previousToken": first["token"]})).json().await.unwrap();
    assert_eq!(second["tokenFamilyId"], first["tokenFamilyId"]);
    assert_eq!(second["agentSessionId"], first["agentSessionId"]);
    assert_eq!(second["remainingUses"], 9);
    assert_ne!(second["grantId"], first["grantId"]);
    // The previous token is revoked at once.
    let (st1, code) = runtime_probe(&s, first["token"].as_str().unwrap(), None).await;
    assert_eq!((st1, code.as_str()), (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED"));
    expect_err(rt.rotate(json!({"previousToken": first["token"]})), 401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED").await;
    expect_err(rt.rotate(json!({"previousToken": "not.a.token"})), 401, "UNAUTHORIZED").await;
    expect_err(rt.rotate(json!({})), 422, "VALIDATION_ERROR").await;
    // Rotate by unique id revokes every active grant of the family.
    let third = rt
        .rotate_by_unique_id(
            json!({"externalAppId": st.app_id(), "deploymentId": st.deployment_id(), "uniqueId": "cust-7"}),
        )
        .json()
        .await
        .unwrap();
    assert_eq!(third["tokenFamilyId"], first["tokenFamilyId"]);
    assert_eq!(third["quotaPolicyId"], st.policy["id"]);
    assert_eq!(runtime_probe(&s, second["token"].as_str().unwrap(), None).await.0, 401);
    assert_eq!(runtime_probe(&s, third["token"].as_str().unwrap(), None).await.0, 404);
    // Unknown end user without a policy to copy → 422; with one it mints.
    expect_err(
        rt.rotate_by_unique_id(
            json!({"externalAppId": st.app_id(), "deploymentId": st.deployment_id(), "uniqueId": "new"}),
        ),
        422,
        "QUOTA_POLICY_REQUIRED",
    )
    .await;
    rt.rotate_by_unique_id(json!({"externalAppId": st.app_id(), "deploymentId": st.deployment_id(), "uniqueId": "new", "quotaPolicyId": st.policy_id()})).json()
        .await
        .unwrap();
    // Revoking the family revokes its tokens; revoking again keeps revokedAt.
    let fam = first["tokenFamilyId"].as_str().unwrap();
    let r1 = z.runtime_token_families().revoke(fam, json!({"reason": "logout"})).json().await.unwrap();
    assert_eq!(r1["status"], "REVOKED");
    assert_eq!(r1["revokedGrantCount"], 1);
    let r2 = z.runtime_tokens().revoke_family(fam, json!({"reason": "again"})).json().await.unwrap();
    assert_eq!(r2["revokedAt"], r1["revokedAt"]);
    assert_eq!(r2["reason"], "logout");
    let (code_s, code) = runtime_probe(&s, third["token"].as_str().unwrap(), None).await;
    assert_eq!((code_s, code.as_str()), (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED"));
    // A new mint for the same user starts a new family.
    let fresh = rt.create(st.mint(json!({"uniqueId": "cust-7"}))).json().await.unwrap();
    assert_ne!(fresh["tokenFamilyId"], first["tokenFamilyId"]);
    // Grant revoke is idempotent and reports status.
    let g = z.runtime_token_grants().revoke(fresh["grantId"].as_str().unwrap(), None).json().await.unwrap();
    assert_eq!(g["status"], "REVOKED");
    let g2 = z
        .runtime_token_grants()
        .revoke(fresh["grantId"].as_str().unwrap(), json!({"reason": "x"}))
        .json()
        .await
        .unwrap();
    assert_eq!(g2["revokedAt"], g["revokedAt"]);
    expect_err(z.runtime_token_grants().revoke("nope", None), 404, "NOT_FOUND").await;
}

async fn policies_and_families(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "pol", json!({}), json!({})).await;
    let p = z.runtime_token_policies();
    let inactive = p
        .create(json!({"name": "off", "externalAppId": st.app_id(), "deploymentId": st.deployment_id(), "status": "INACTIVE"})).json()
        .await
        .unwrap();
    assert_eq!(p.list(None).json().await.unwrap()["total"], 2);
    let active = p.list(json!({"activeOnly": true})).json().await.unwrap();
    assert_eq!(active["total"], 1);
    assert_eq!(active["items"][0]["id"], st.policy["id"]);
    expect_err(p.update(inactive["id"].as_str().unwrap(), json!({"externalAppId": "other"})), 422, "VALIDATION_ERROR")
        .await;
    expect_err(
        p.create(json!({"name": "x", "externalAppId": "nope", "deploymentId": st.deployment_id()})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    expect_err(p.create(json!({"name": "x", "externalAppId": st.app_id(), "deploymentId": st.deployment_id(), "tokenTtlSeconds": 0})), 422, "VALIDATION_ERROR").await;
    expect_err(p.get("nope"), 404, "NOT_FOUND").await;
    let updated = p.update(st.policy_id(), json!({"maxConcurrentRuns": 2, "metadata": {"a": 1}})).json().await.unwrap();
    assert_eq!(updated["maxConcurrentRuns"], 2);
    assert_eq!(updated["name"], "default");
    let cleared = p.update(st.policy_id(), json!({"maxConcurrentRuns": null})).json().await.unwrap();
    assert_eq!(cleared["maxConcurrentRuns"], Value::Null);
    // Families per end user, filterable.
    z.runtime_tokens().create(st.mint(json!({"externalUserId": "a"}))).json().await.unwrap();
    z.runtime_tokens().create(st.mint(json!({"externalUserId": "b"}))).json().await.unwrap();
    z.runtime_tokens().create(st.mint(json!({"externalUserId": "a"}))).json().await.unwrap();
    let fams = z.runtime_token_families().list(json!({"externalUserId": "a"})).json().await.unwrap();
    assert_eq!(fams["total"], 1);
    assert_eq!(fams["items"][0]["grantCount"], 2);
    assert_eq!(fams["items"][0]["activeGrantCount"], 2);
    assert_eq!(fams["items"][0]["name"], "a");
    assert_eq!(z.runtime_token_families().list(json!({"status": "REVOKED"})).json().await.unwrap()["total"], 0);
    expect_err(z.runtime_token_families().list(json!({"status": "GONE"})), 422, "VALIDATION_ERROR").await;
    // Usage report filters by policy.
    let usage = z.runtime_token_usage().get(json!({"quotaPolicyId": st.policy_id()})).json().await.unwrap();
    assert_eq!(usage["totals"]["tokensIssued"], 3);
    assert_eq!(usage["quotaWindows"].as_array().unwrap().len(), 1);
    expect_err(z.runtime_token_usage().get(json!({"from": "yesterday"})), 422, "VALIDATION_ERROR").await;
}

async fn playground_tokens(s: TestServer) {
    let z = s.zaby();
    let d = deployed_agent(&z, "play").await;
    let t = z.agents().playground_runtime_tokens(d.agent_id(), None).json().await.unwrap();
    assert_eq!(t["externalAppId"], Value::Null);
    assert_eq!(t["quotaPolicyId"], Value::Null);
    assert_eq!(t["deploymentId"], d.deployment["id"]);
    assert_eq!(runtime_probe(&s, t["token"].as_str().unwrap(), Some("https://anywhere.example")).await.0, 404);
    let body = json!({"deploymentId": d.deployment_id(), "externalUserId": "dev", "maxUses": 2, "requestId": "pg-1"});
    let a = z.agents().playground_runtime_tokens(d.agent_id(), body.clone()).json().await.unwrap();
    assert_eq!(a["remainingUses"], 2);
    // E118 shares E14's idempotency scope.
    let tenant = s.default_tenant().await;
    let tc = s.tenant_client(&s.tenant_token(&tenant, "dev").await);
    let b = tc.tenant_agents().mint_playground_runtime_token(d.agent_id(), body).json().await.unwrap();
    assert_eq!(a["token"], b["token"]);
    expect_err(
        z.agents().playground_runtime_tokens(d.agent_id(), json!({"deploymentId": d.deployment_id()})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    let other = deployed_agent(&z, "play-2").await;
    expect_err(
        z.agents().playground_runtime_tokens(
            d.agent_id(),
            json!({"deploymentId": other.deployment_id(), "externalUserId": "u"}),
        ),
        422,
        "VALIDATION_ERROR",
    )
    .await;
}

/// E13 (run without `deploymentId`) and E15 (default playground token) pick the
/// same "newest ACTIVE deployment": the last created, even when an older one
/// was activated after it.
async fn newest_active_deployment(first: TestServer) {
    // Provisioning never comes due by itself: the test releases each deployment.
    let s = TestServer::start_with(first.backend, |st| st.provisioning_delay_ms = 3_600_000).await.unwrap();
    let z = s.zaby();
    let agent = z.agents().create(json!({"slug": "newest", "name": "newest"})).json().await.unwrap();
    let agent_id = agent["id"].as_str().unwrap();
    let version = z.agents().publish(agent_id).json().await.unwrap();
    let older =
        z.agents().deploy(agent_id, json!({"agentVersionId": version["id"], "environment": "STAGING"})).json().await;
    let older = older.unwrap()["id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let newer =
        z.agents().deploy(agent_id, json!({"agentVersionId": version["id"], "environment": "PRODUCTION"})).json().await;
    let newer = newer.unwrap()["id"].as_str().unwrap().to_string();
    expect_err(z.agents().playground_runtime_tokens(agent_id, None), 409, "NO_ACTIVE_DEPLOYMENT").await;
    expect_err(z.agents().start_run(agent_id, json!({"input": "x"})), 409, "NO_ACTIVE_DEPLOYMENT").await;

    let release = |id: String| {
        let s = &s;
        async move {
            let mut tx = s.ctx().db.write().await.unwrap();
            zaby_server::testing::sql::exec(
                tx.conn(),
                "UPDATE deployments SET activate_after = 0 WHERE id = $1",
                vec![zaby_server::testing::sql::Arg::from(&id)],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            s.ctx().provisioning_wakeup.notify_one();
            wait_active(&s.zaby(), &id).await;
        }
    };
    release(newer.clone()).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    release(older.clone()).await;
    let tenant = s.default_tenant().await;
    let mut conn = s.ctx().db.read().await.unwrap();
    use zaby_server::testing::get_deployment as get;
    let o = get(&mut conn, &tenant, &older).await.unwrap().unwrap();
    let n = get(&mut conn, &tenant, &newer).await.unwrap().unwrap();
    drop(conn);
    assert_eq!((o.status.as_str(), n.status.as_str()), ("ACTIVE", "ACTIVE"));
    assert!(o.activated_at > n.activated_at, "the older deployment activated last");
    assert!(o.created_at < n.created_at, "the newer deployment was created last");

    let token = z.agents().playground_runtime_tokens(agent_id, None).json().await.unwrap();
    assert_eq!(token["deploymentId"], newer.as_str());
    let run = z.agents().start_run(agent_id, json!({"input": "x"})).json().await.unwrap();
    assert_eq!(run["deploymentId"], newer.as_str());
}

/// Binding a bound deployment again (E24) changes only the members sent; `null`
/// removes the rate limit, which an absent member leaves as it is.
async fn rebinding_changes_only_the_members_sent(s: TestServer) {
    let z = s.zaby();
    let st = setup(&z, "rebind", json!({}), json!({"rateLimitPerMinute": 5, "allowApprovals": true})).await;
    let apps = z.external_apps();
    let bind = |extra: Value| {
        let mut body = json!({"deploymentId": st.deployment_id()});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        apps.bind_deployment(st.app_id(), body)
    };
    let kept = bind(json!({"allowBrowserRuntime": true})).json().await.unwrap();
    assert_eq!(kept["rateLimitPerMinute"], 5);
    assert_eq!(kept["allowApprovals"], true);
    assert_eq!(kept["allowBrowserRuntime"], true);
    let cleared = bind(json!({"rateLimitPerMinute": null})).json().await.unwrap();
    assert_eq!(cleared["rateLimitPerMinute"], Value::Null);
    assert_eq!((&cleared["allowBrowserRuntime"], &cleared["allowApprovals"]), (&json!(true), &json!(true)));
    assert_eq!(cleared["id"], kept["id"]);
    expect_err(bind(json!({"rateLimitPerMinute": 0})), 422, "VALIDATION_ERROR").await;
    expect_err(bind(json!({"rateLimitPerMinute": "5"})), 422, "VALIDATION_ERROR").await;
    expect_err(bind(json!({"allowBrowserRuntime": null})), 422, "VALIDATION_ERROR").await;
}

/// A mint's idempotency record holds the token sealed, never the bearer JWT itself,
/// and the sweep deletes records once they expire while fresh ones stay.
async fn idempotency_records_are_sealed_and_swept(s: TestServer) {
    use zaby_server::testing::sql::{Arg, exec, scalar_i64};
    let z = s.zaby();
    let st = setup(&z, "sweep", json!({}), json!({})).await;
    let rt = z.runtime_tokens();
    let kept = rt.create(st.mint(json!({"requestId": "keep"}))).json().await.unwrap();
    rt.create(st.mint(json!({"requestId": "drop"}))).json().await.unwrap();
    let count = |sql: &'static str, args: Vec<Arg>| {
        let s = &s;
        async move {
            let mut conn = s.ctx().db.read().await.unwrap();
            scalar_i64(&mut conn, sql, args).await.unwrap()
        }
    };
    let token = kept["token"].as_str().unwrap().to_string();
    let clear = "SELECT COUNT(*) FROM idempotency_records WHERE request_key = 'keep' AND response LIKE $1";
    assert_eq!(count(clear, vec![Arg::from(&format!("%{token}%"))]).await, 0, "the token is stored in the clear");
    let sealed =
        "SELECT COUNT(*) FROM idempotency_records WHERE request_key = 'keep' AND response LIKE '%tokenSealed%'";
    assert_eq!(count(sealed, vec![]).await, 1);

    let mut tx = s.ctx().db.write().await.unwrap();
    exec(tx.conn(), "UPDATE idempotency_records SET expires_at = 0 WHERE request_key = 'drop'", vec![]).await.unwrap();
    tx.commit().await.unwrap();
    assert!(zaby_server::testing::purge_expired_idempotency_records(s.ctx()).await.unwrap() >= 1);
    let left = "SELECT COUNT(*) FROM idempotency_records WHERE request_key IN ('keep', 'drop')";
    assert_eq!(count(left, vec![]).await, 1, "only the expired record goes");
    // The kept key still replays the same token.
    let again = rt.create(st.mint(json!({"requestId": "keep"}))).json().await.unwrap();
    assert_eq!(again["token"], kept["token"]);
}
