//! External apps, runtime tokens, families, grants, policies and token usage: E20–E36.

use std::sync::Arc;

use futures::StreamExt;
use zaby::ZabyRuntime;
use zaby::types::{
    BindDeploymentInput, E20Query, E29Query, E31Query, E36Query, ExternalAppInput, ExternalAppStatus,
    ExternalAppUpdateInput, GrantStatus, RevokeFamilyInput, RevokeGrantInput, RotateByUniqueIdInput,
    RotateRuntimeTokenInput, RuntimeTokenCreateInput, RuntimeTokenPolicyInput, RuntimeTokenPolicyUpdateInput,
    TokenFamilyStatus,
};

use crate::support::{Ctx, deployed_agent, expect_err};

/// A runtime request that authenticates and then finds no run: 404 proves the token
/// is accepted, a 401/403 names why it is not.
async fn probe(rt: &ZabyRuntime) -> (u16, String) {
    let e = rt.runs().events("no-such-run", None).await.expect_err("no run has this id");
    (e.status().unwrap_or(0), e.code().unwrap_or_default().to_string())
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;
    let dep = deployed_agent(&ctx, "apps").await?;
    let slug = ctx.slug("storefront");

    // E21: a new app is ACTIVE; its slug is taken. E22 reads it, E23 changes it.
    let input = ExternalAppInput {
        name: "Storefront".into(),
        slug: slug.clone(),
        allowed_origins: Some(vec!["https://shop.example.com".into()]),
        ..Default::default()
    };
    let app = z.external_apps().create(input).await?;
    assert_eq!(app.status, ExternalAppStatus::Active);
    let app_id = app.id.clone();
    let taken = ExternalAppInput { name: "x".into(), slug: slug.clone(), ..Default::default() };
    let dup = expect_err(z.external_apps().create(taken), 409, "SLUG_ALREADY_EXISTS").await;
    assert!(dup.is("ZabyConflictError"));
    let rename = ExternalAppUpdateInput {
        name: Some("Storefront EU".into()),
        token_ttl_seconds: Some(Some(900)),
        ..Default::default()
    };
    let renamed = z.external_apps().update(&app_id, rename).await?;
    assert_eq!((renamed.name.as_str(), renamed.token_ttl_seconds), ("Storefront EU", Some(900)));
    let read = z.external_apps().get(&app_id).await?;
    assert_eq!(
        (read.name.as_str(), read.allowed_origins.clone()),
        ("Storefront EU", vec!["https://shop.example.com".to_string()])
    );

    // E24: binding shows on the app and on the deployment's provisioning.
    let bind = BindDeploymentInput {
        deployment_id: dep.deployment_id.clone(),
        allow_approvals: Some(true),
        ..Default::default()
    };
    let binding = z.external_apps().bind_deployment(&app_id, bind).await?;
    assert_eq!((binding.allow_server_runtime, binding.allow_approvals), (true, true));
    let read = z.external_apps().get(&app_id).await?;
    assert_eq!(read.deployment_ids, Some(vec![dep.deployment_id.clone()]));
    assert_eq!(read.active_deployment_id, Some(dep.deployment_id.clone()));
    // E20: listed by the agent it serves.
    let by_agent = E20Query { agent_id: Some(dep.agent_id.clone()), ..Default::default() };
    let listed = z.external_apps().list(by_agent.clone()).await?;
    assert_eq!(listed.total, Some(1), "{listed:?}");
    assert_eq!(listed.items[0].id, app.id);
    let mut iter = z.external_apps().iter(by_agent);
    assert_eq!(iter.next().await.expect("the app")?.id, app.id);

    // E32 → E33 → E34 → E31: the quota policy.
    let input = RuntimeTokenPolicyInput {
        name: "storefront".into(),
        external_app_id: app_id.clone(),
        deployment_id: dep.deployment_id.clone(),
        max_uses_per_token: Some(10),
        token_ttl_seconds: Some(600),
        ..Default::default()
    };
    let policy = z.runtime_token_policies().create(input).await?;
    let policy_id = policy.id.clone();
    assert_eq!(z.runtime_token_policies().get(&policy_id).await?.max_uses_per_token, Some(10));
    let fewer = RuntimeTokenPolicyUpdateInput { max_uses_per_token: Some(Some(5)), ..Default::default() };
    let changed = z.runtime_token_policies().update(&policy_id, fewer).await?;
    assert_eq!((changed.max_uses_per_token, changed.token_ttl_seconds), (Some(5), Some(600)));
    let active_only = E31Query { external_app_id: Some(app_id.clone()), active_only: Some(true), ..Default::default() };
    let policies = z.runtime_token_policies().list(active_only).await?;
    assert_eq!(policies.total, Some(1));
    assert_eq!(policies.items[0].id, policy.id);
    let mut iter =
        z.runtime_token_policies().iter(E31Query { external_app_id: Some(app_id.clone()), ..Default::default() });
    assert_eq!(iter.next().await.expect("the policy")?.id, policy.id);
    let provisioning = z.deployments().get_provisioning(&dep.deployment_id).await?;
    assert_eq!(provisioning.runtime_token_policies.unwrap_or_default()[0].id, policy.id);

    // E25: a token for an end user, with the policy's limits; it authenticates.
    let mint = RuntimeTokenCreateInput {
        external_app_id: app_id.clone(),
        deployment_id: dep.deployment_id.clone(),
        quota_policy_id: policy_id.clone(),
        ..Default::default()
    };
    let t1 = z
        .runtime_tokens()
        .create(RuntimeTokenCreateInput { unique_id: Some("customer-7".into()), ..mint.clone() })
        .await?;
    assert_eq!((t1.remaining_uses, t1.quota_policy_id.as_deref()), (Some(5), Some(policy_id.as_str())));
    assert_eq!(t1.unique_id_hash.as_deref().map(str::len), Some(64));
    let too_many = RuntimeTokenCreateInput { unique_id: Some("x".into()), max_uses: Some(50), ..mint.clone() };
    let over = expect_err(z.runtime_tokens().create(too_many), 422, "VALIDATION_ERROR").await;
    assert!(over.is("ZabyValidationError"));
    assert_eq!(probe(&ctx.runtime(&t1.token)).await, (404, "NOT_FOUND".into()));

    // E26: rotating by unique id revokes the family's active grants and mints anew.
    let rotate = RotateByUniqueIdInput {
        external_app_id: app_id.clone(),
        deployment_id: dep.deployment_id.clone(),
        unique_id: "customer-7".into(),
        ..Default::default()
    };
    let t2 = z.runtime_tokens().rotate_by_unique_id(rotate).await?;
    assert_eq!(t2.token_family_id, t1.token_family_id);
    assert_ne!(t2.grant_id, t1.grant_id);
    assert_eq!(probe(&ctx.runtime(&t1.token)).await, (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED".into()));
    // E27: rotating a token keeps its family and session and revokes it.
    let previous = RotateRuntimeTokenInput { previous_token: t2.token.clone(), ..Default::default() };
    let t3 = z.runtime_tokens().rotate(previous).await?;
    assert_eq!((&t3.token_family_id, &t3.agent_session_id), (&t2.token_family_id, &t2.agent_session_id));
    let revoked = expect_err(
        ctx.runtime(&t2.token).runs().events("no-such-run", None),
        401,
        "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED",
    )
    .await;
    assert!(revoked.is("ZabyAuthError"), "{revoked:?}");
    assert_eq!(probe(&ctx.runtime(&t3.token)).await, (404, "NOT_FOUND".into()));

    // E35: revoking one grant stops that token only.
    let clerk_mint = RuntimeTokenCreateInput { external_user_id: Some("clerk-1".into()), ..mint.clone() };
    let other = z.runtime_tokens().create(clerk_mint).await?;
    let lost = RevokeGrantInput { reason: Some("lost device".into()), ..Default::default() };
    let grant = z.runtime_token_grants().revoke(&t3.grant_id, lost).await?;
    assert_eq!((grant.status, grant.revoke_reason.as_deref()), (GrantStatus::Revoked, Some("lost device")));
    assert_eq!(grant.used_count, 1, "one probe used it");
    assert_eq!(probe(&ctx.runtime(&t3.token)).await.0, 401);
    assert_eq!(probe(&ctx.runtime(&other.token)).await, (404, "NOT_FOUND".into()));

    // E29: the families of the app; E30 (both names) logs an end user out everywhere.
    let families = z
        .runtime_token_families()
        .list(E29Query { external_app_id: Some(app_id.clone()), ..Default::default() })
        .await?;
    assert_eq!(families.total, Some(2), "{families:?}");
    let clerk = families
        .items
        .iter()
        .find(|f| f.external_user_id.as_deref() == Some("clerk-1"))
        .expect("clerk's family")
        .clone();
    assert_eq!((clerk.status, clerk.active_grant_count), (TokenFamilyStatus::Active, Some(1)));
    let clerks = E29Query {
        external_app_id: Some(app_id.clone()),
        external_user_id: Some("clerk-1".into()),
        ..Default::default()
    };
    let mut iter = z.runtime_token_families().iter(clerks);
    assert_eq!(iter.next().await.expect("clerk's family")?.id, clerk.id);
    let everywhere = RevokeFamilyInput { reason: Some("log out everywhere".into()), ..Default::default() };
    let out = z.runtime_tokens().revoke_family(&clerk.id, everywhere).await?;
    assert_eq!((out.status.as_deref(), out.revoked_grant_count), (Some("REVOKED"), Some(1)));
    assert_eq!(probe(&ctx.runtime(&other.token)).await, (401, "MANAGED_AGENT_RUNTIME_TOKEN_REVOKED".into()));
    let again = z.runtime_token_families().revoke(&clerk.id, None).await?;
    assert_eq!(again.revoked_at, out.revoked_at, "revoking again keeps the first time");

    // E36: the usage report counts what happened: 4 tokens, the accepted requests.
    let usage =
        z.runtime_token_usage().get(E36Query { external_app_id: Some(app_id.clone()), ..Default::default() }).await?;
    let totals = usage.totals.as_ref().expect("usage totals");
    assert_eq!(totals.tokens_issued, 4, "{usage:?}");
    assert_eq!(totals.active_grants, 0, "{usage:?}");
    assert_eq!(totals.runtime_requests, 3, "{usage:?}");
    assert_eq!(usage.quota_windows[0].quota_policy_id, policy_id);

    // E23: an INACTIVE app stops its tokens at the door.
    let late = RuntimeTokenCreateInput { external_user_id: Some("late".into()), ..mint };
    let fresh = z.runtime_tokens().create(late).await?;
    let inactive = ExternalAppUpdateInput { status: Some(ExternalAppStatus::Inactive), ..Default::default() };
    z.external_apps().update(&app_id, inactive).await?;
    assert_eq!(probe(&ctx.runtime(&fresh.token)).await, (403, "EXTERNAL_APP_INACTIVE".into()));
    Ok(())
}
