//! External apps, runtime tokens, families, grants, policies and token usage: E20–E36.

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};
use zaby::ZabyRuntime;

use crate::support::{Ctx, deployed_agent, expect_err, items, s};

/// A runtime request that authenticates and then finds no run: 404 proves the token
/// is accepted, a 401/403 names why it is not.
async fn probe(rt: &ZabyRuntime) -> (u16, String) {
    let e = rt.runs().events("no-such-run", None).json().await.expect_err("no run has this id");
    (e.status().unwrap_or(0), e.code().unwrap_or_default().to_string())
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let dep = deployed_agent(&ctx, "apps", json!({})).await?;
    let slug = ctx.slug("storefront");

    // E21: a new app is ACTIVE; its slug is taken. E22 reads it, E23 changes it.
    let app = z
        .external_apps()
        .create(json!({ "name": "Storefront", "slug": slug, "allowedOrigins": ["https://shop.example.com"] }))
        .json()
        .await?;
    assert_eq!(app["status"], "ACTIVE");
    let app_id = s(&app, "id").to_string();
    let dup =
        expect_err(z.external_apps().create(json!({ "name": "x", "slug": slug })), 409, "SLUG_ALREADY_EXISTS").await;
    assert!(dup.is("ZabyConflictError"));
    let renamed =
        z.external_apps().update(&app_id, json!({ "name": "Storefront EU", "tokenTtlSeconds": 900 })).json().await?;
    assert_eq!((renamed["name"].as_str(), renamed["tokenTtlSeconds"].as_i64()), (Some("Storefront EU"), Some(900)));
    let read = z.external_apps().get(&app_id).json().await?;
    assert_eq!(
        (read["name"].clone(), read["allowedOrigins"].clone()),
        (json!("Storefront EU"), json!(["https://shop.example.com"]))
    );

    // E24: binding shows on the app and on the deployment's provisioning.
    let binding = z
        .external_apps()
        .bind_deployment(&app_id, json!({ "deploymentId": dep.deployment_id, "allowApprovals": true }))
        .json()
        .await?;
    assert_eq!(
        (binding["allowServerRuntime"].as_bool(), binding["allowApprovals"].as_bool()),
        (Some(true), Some(true))
    );
    let read = z.external_apps().get(&app_id).json().await?;
    assert_eq!(read["deploymentIds"], json!([dep.deployment_id]));
    assert_eq!(read["activeDeploymentId"], json!(dep.deployment_id));
    // E20: listed by the agent it serves.
    let listed = z.external_apps().list(json!({ "agentId": dep.agent_id })).json().await?;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(items(&listed)[0]["id"], app["id"]);
    let mut iter = z.external_apps().iter(json!({ "agentId": dep.agent_id })).json();
    assert_eq!(iter.next().await.expect("the app")?["id"], app["id"]);

    // E32 → E33 → E34 → E31: the quota policy.
    let policy = z
        .runtime_token_policies()
        .create(json!({
            "name": "storefront", "externalAppId": app_id, "deploymentId": dep.deployment_id,
            "maxUsesPerToken": 10, "tokenTtlSeconds": 600,
        }))
        .json()
        .await?;
    let policy_id = s(&policy, "id").to_string();
    assert_eq!(z.runtime_token_policies().get(&policy_id).json().await?["maxUsesPerToken"], 10);
    let changed = z.runtime_token_policies().update(&policy_id, json!({ "maxUsesPerToken": 5 })).json().await?;
    assert_eq!((changed["maxUsesPerToken"].as_i64(), changed["tokenTtlSeconds"].as_i64()), (Some(5), Some(600)));
    let policies =
        z.runtime_token_policies().list(json!({ "externalAppId": app_id, "activeOnly": true })).json().await?;
    assert_eq!(policies["total"], 1);
    assert_eq!(items(&policies)[0]["id"], policy["id"]);
    let mut iter = z.runtime_token_policies().iter(json!({ "externalAppId": app_id })).json();
    assert_eq!(iter.next().await.expect("the policy")?["id"], policy["id"]);
    assert_eq!(
        z.deployments().get_provisioning(&dep.deployment_id).json().await?["runtimeTokenPolicies"][0]["id"],
        policy["id"]
    );

    // E25: a token for an end user, with the policy's limits; it authenticates.
    let mint = |extra: Value| {
        let mut body =
            json!({ "externalAppId": app_id, "deploymentId": dep.deployment_id, "quotaPolicyId": policy_id });
        body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap());
        body
    };
    let t1 = z.runtime_tokens().create(mint(json!({ "uniqueId": "customer-7" }))).json().await?;
    assert_eq!((t1["remainingUses"].as_i64(), t1["quotaPolicyId"].as_str()), (Some(5), Some(policy_id.as_str())));
    assert_eq!(s(&t1, "uniqueIdHash").len(), 64);
    let over =
        expect_err(z.runtime_tokens().create(mint(json!({ "uniqueId": "x", "maxUses": 50 }))), 422, "VALIDATION_ERROR")
            .await;
    assert!(over.is("ZabyValidationError"));
    assert_eq!(probe(&ctx.runtime(&t1)).await, (404, "NOT_FOUND".into()));

    // E26: rotating by unique id revokes the family's active grants and mints anew.
    let t2 = z
        .runtime_tokens()
        .rotate_by_unique_id(
            json!({ "externalAppId": app_id, "deploymentId": dep.deployment_id, "uniqueId": "customer-7" }),
        )
        .json()
        .await?;
    assert_eq!(t2["tokenFamilyId"], t1["tokenFamilyId"]);
    assert_ne!(t2["grantId"], t1["grantId"]);
    assert_eq!(probe(&ctx.runtime(&t1)).await, (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED".into()));
    // E27: rotating a token keeps its family and session and revokes it.
    let t3 = z.runtime_tokens().rotate(json!({ "previousToken": t2["token"] })).json().await?;
    assert_eq!(
        (t3["tokenFamilyId"].clone(), t3["agentSessionId"].clone()),
        (t2["tokenFamilyId"].clone(), t2["agentSessionId"].clone())
    );
    let revoked =
        expect_err(ctx.runtime(&t2).runs().events("no-such-run", None), 401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED")
            .await;
    assert!(revoked.is("ZabyAuthError"), "{revoked:?}");
    assert_eq!(probe(&ctx.runtime(&t3)).await, (404, "NOT_FOUND".into()));

    // E35: revoking one grant stops that token only.
    let other = z.runtime_tokens().create(mint(json!({ "externalUserId": "clerk-1" }))).json().await?;
    let grant = z.runtime_token_grants().revoke(s(&t3, "grantId"), json!({ "reason": "lost device" })).json().await?;
    assert_eq!((grant["status"].as_str(), grant["revokeReason"].as_str()), (Some("REVOKED"), Some("lost device")));
    assert_eq!(grant["usedCount"], 1, "one probe used it");
    assert_eq!(probe(&ctx.runtime(&t3)).await.0, 401);
    assert_eq!(probe(&ctx.runtime(&other)).await, (404, "NOT_FOUND".into()));

    // E29: the families of the app; E30 (both names) logs an end user out everywhere.
    let families = z.runtime_token_families().list(json!({ "externalAppId": app_id })).json().await?;
    assert_eq!(families["total"], 2, "{families}");
    let clerk = items(&families).iter().find(|f| f["externalUserId"] == "clerk-1").expect("clerk's family").clone();
    assert_eq!((clerk["status"].as_str(), clerk["activeGrantCount"].as_i64()), (Some("ACTIVE"), Some(1)));
    let mut iter =
        z.runtime_token_families().iter(json!({ "externalAppId": app_id, "externalUserId": "clerk-1" })).json();
    assert_eq!(iter.next().await.expect("clerk's family")?["id"], clerk["id"]);
    let out =
        z.runtime_tokens().revoke_family(s(&clerk, "id"), json!({ "reason": "log out everywhere" })).json().await?;
    assert_eq!((out["status"].as_str(), out["revokedGrantCount"].as_i64()), (Some("REVOKED"), Some(1)));
    assert_eq!(probe(&ctx.runtime(&other)).await, (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED".into()));
    let again = z.runtime_token_families().revoke(s(&clerk, "id"), None).json().await?;
    assert_eq!(again["revokedAt"], out["revokedAt"], "revoking again keeps the first time");

    // E36: the usage report counts what happened: 4 tokens, the accepted requests.
    let usage = z.runtime_token_usage().get(json!({ "externalAppId": app_id })).json().await?;
    assert_eq!(usage["totals"]["tokensIssued"], 4, "{usage}");
    assert_eq!(usage["totals"]["activeGrants"], 0, "{usage}");
    assert_eq!(usage["totals"]["runtimeRequests"], 3, "{usage}");
    assert_eq!(usage["quotaWindows"][0]["quotaPolicyId"], json!(policy_id));

    // E23: an INACTIVE app stops its tokens at the door.
    let fresh = z.runtime_tokens().create(mint(json!({ "externalUserId": "late" }))).json().await?;
    z.external_apps().update(&app_id, json!({ "status": "INACTIVE" })).json().await?;
    assert_eq!(probe(&ctx.runtime(&fresh)).await, (403, "EXTERNAL_APP_INACTIVE".into()));
    Ok(())
}
