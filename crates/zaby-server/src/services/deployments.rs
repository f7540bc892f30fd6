//! Deployments: create (PENDING), redeploy, provisioning details, and the
//! superseding chain.

use serde_json::{Value, json};

use super::{Caller, Ctx, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::storage::agents as agent_store;
use crate::storage::apps;
use crate::storage::deployments::{self as store, DeploymentRow};
use crate::storage::policies;
use crate::storage::sql::Conn;
use crate::util::clock::{iso, iso_opt, now_ms};
use crate::util::ids::new_id;
use crate::util::input::Fields;

pub const ENVIRONMENTS: &[&str] = &["TEST", "STAGING", "PRODUCTION"];

pub fn render(ctx: &Ctx, d: &DeploymentRow) -> Value {
    json!({
        "id": d.id,
        "agentId": d.agent_id,
        "agentVersionId": d.agent_version_id,
        "environment": d.environment,
        "status": d.status,
        "runtimeUrl": ctx.settings.runtime_url(),
        "metadata": d.metadata,
        "createdAt": iso(d.created_at),
        "updatedAt": iso(d.updated_at),
        "activatedAt": iso_opt(d.activated_at),
        "error": d.error.clone().unwrap_or(Value::Null),
    })
}

pub async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<DeploymentRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("deployment"))
}

/// "The agent's newest ACTIVE deployment" of `docs/api/README.md` (E13's default, E15): one
/// rule for both, and one error when there is none.
pub async fn newest_active(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> ApiResult<DeploymentRow> {
    store::newest_active(conn, tenant_id, agent_id)
        .await?
        .ok_or_else(|| ApiError::conflict("NO_ACTIVE_DEPLOYMENT", "the agent has no ACTIVE deployment"))
}

/// Follows `superseded_by` from a deployment to the one that now stands for it.
/// Returns the last deployment of the chain (ACTIVE when the chain is healthy).
pub async fn resolve_chain(conn: &mut Conn, d: DeploymentRow) -> ApiResult<DeploymentRow> {
    let mut current = d;
    for _ in 0..1000 {
        if current.status != "SUPERSEDED" {
            break;
        }
        let Some(next) = current.superseded_by.clone() else {
            break;
        };
        match store::get(conn, &current.tenant_id, &next).await? {
            Some(n) => current = n,
            None => break,
        }
    }
    Ok(current)
}

async fn insert_pending(
    ctx: &Ctx,
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    version_id: &str,
    environment: String,
    metadata: Value,
) -> ApiResult<DeploymentRow> {
    let now = now_ms();
    let d = DeploymentRow {
        id: new_id(),
        tenant_id: tenant_id.to_string(),
        agent_id: agent_id.to_string(),
        agent_version_id: version_id.to_string(),
        environment,
        status: "PENDING".into(),
        metadata,
        error: None,
        activate_after: now + ctx.settings.provisioning_delay_ms as i64,
        superseded_by: None,
        activated_at: None,
        created_at: now,
        updated_at: now,
    };
    store::insert(conn, &d).await?;
    Ok(d)
}

/// E8 / E104.
pub async fn create(ctx: &Ctx, caller: &Caller, agent_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let agent = super::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let mut f = Fields::new(body);
    let version_id = f.req_str("agentVersionId", 100);
    let environment = f.opt_enum("environment", ENVIRONMENTS);
    let metadata = f.opt_any("metadata");
    f.finish()?;
    let version_id = version_id.unwrap_or_default();
    let version = agent_store::get_version(tx.conn(), &caller.tenant_id, &version_id).await?;
    if version.is_none_or(|v| v.agent_id != agent.id) {
        return Err(ApiError::invalid("agentVersionId", "is not a version of this agent"));
    }
    let d = insert_pending(
        ctx,
        tx.conn(),
        &caller.tenant_id,
        &agent.id,
        &version_id,
        environment.unwrap_or_else(|| "TEST".into()),
        metadata.unwrap_or_else(|| json!({})),
    )
    .await?;
    tx.commit().await?;
    ctx.provisioning_wakeup.notify_one();
    Ok(Outcome::Created(render(ctx, &d)))
}

/// E105: a new deployment of the latest (or a given) version.
pub async fn redeploy(ctx: &Ctx, caller: &Caller, agent_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let agent = super::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let mut f = Fields::new(body);
    let version_id = f.opt_str("agentVersionId", 100);
    let environment = f.opt_enum("environment", ENVIRONMENTS);
    let metadata = f.opt_any("metadata");
    f.finish()?;
    let version_id = match version_id {
        Some(v) => {
            let found = agent_store::get_version(tx.conn(), &caller.tenant_id, &v).await?;
            if found.is_none_or(|x| x.agent_id != agent.id) {
                return Err(ApiError::invalid("agentVersionId", "is not a version of this agent"));
            }
            v
        }
        None => match agent_store::latest_version(tx.conn(), &caller.tenant_id, &agent.id).await? {
            Some(v) => v.id,
            None => {
                return Err(ApiError::conflict("NO_PUBLISHED_VERSION", "the agent has never been published"));
            }
        },
    };
    let environment = match environment {
        Some(e) => e,
        None => store::newest_of_agent(tx.conn(), &caller.tenant_id, &agent.id)
            .await?
            .map(|d| d.environment)
            .unwrap_or_else(|| "TEST".into()),
    };
    let d = insert_pending(
        ctx,
        tx.conn(),
        &caller.tenant_id,
        &agent.id,
        &version_id,
        environment,
        metadata.unwrap_or_else(|| json!({})),
    )
    .await?;
    tx.commit().await?;
    ctx.provisioning_wakeup.notify_one();
    Ok(Outcome::Created(render(ctx, &d)))
}

/// E19 / E113.
pub async fn provisioning(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let mut d = load(&mut conn, &caller.tenant_id, id).await?;
    if d.status == "PENDING" && d.activate_after <= now_ms() {
        // Due, but the background pass has not run yet (always the case with a delay of
        // 0): activate it now, so E19 right after the create answers 200 (`docs/operations.md`).
        drop(conn);
        super::provisioning::activate_one(ctx, &caller.tenant_id, &d.id).await?;
        conn = ctx.db.read().await?;
        d = load(&mut conn, &caller.tenant_id, id).await?;
    }
    match d.status.as_str() {
        "ACTIVE" => {}
        "PENDING" => {
            return Err(ApiError::new(
                http::StatusCode::NOT_FOUND,
                "DEPLOYMENT_PROVISIONING_NOT_READY",
                "the deployment is still being provisioned",
            ));
        }
        other => {
            return Err(ApiError::conflict("DEPLOYMENT_NOT_ACTIVE", format!("the deployment is {other}"))
                .with_details(json!({ "status": other, "error": d.error })));
        }
    }
    let mut external_apps = Vec::new();
    for b in apps::bindings_of_deployment(&mut conn, &d.id).await? {
        if let Some(app) = apps::get(&mut conn, &caller.tenant_id, &b.external_app_id).await? {
            external_apps.push(json!({
                "externalAppId": app.id, "name": app.name, "slug": app.slug, "status": app.status,
                "allowedOrigins": app.allowed_origins(), "bindingId": b.id,
                "allowBrowserRuntime": b.allow_browser_runtime, "allowServerRuntime": b.allow_server_runtime,
                "allowApprovals": b.allow_approvals, "rateLimitPerMinute": b.rate_limit_per_minute,
            }));
        }
    }
    let policies: Vec<Value> = policies::of_deployment(&mut conn, &d.id)
        .await?
        .into_iter()
        .filter(|p| p.tenant_id == caller.tenant_id)
        .map(|p| json!({ "id": p.id, "name": p.name, "externalAppId": p.external_app_id, "status": p.status }))
        .collect();
    Ok(Outcome::Ok(json!({
        "deploymentId": d.id,
        "agentId": d.agent_id,
        "agentVersionId": d.agent_version_id,
        "environment": d.environment,
        "runtimeUrl": ctx.settings.runtime_url(),
        "status": "ACTIVE",
        "externalApps": external_apps,
        "runtimeTokenPolicies": policies,
        "provisionedAt": iso_opt(d.activated_at),
    })))
}
