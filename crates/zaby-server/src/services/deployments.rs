//! Deployments: create (PENDING), redeploy, provisioning details, and the
//! superseding chain.

use serde_json::{Value, json};
use zaby::types::{DeployInput, DeploymentEnvironment, DeploymentStatus, RedeployInput};

use super::{Caller, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::storage::agents as agent_store;
use crate::storage::apps::{self, AppRow, BindingRow};
use crate::storage::deployments::{self as store, DeploymentRow};
use crate::storage::policies::{self, PolicyRow};
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;

const ID_MAX: usize = 100;

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
        if current.status != DeploymentStatus::Superseded.as_str() {
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
    environment: DeploymentEnvironment,
    metadata: Value,
) -> ApiResult<DeploymentRow> {
    let now = now_ms();
    let d = DeploymentRow {
        id: new_id(),
        tenant_id: tenant_id.to_string(),
        agent_id: agent_id.to_string(),
        agent_version_id: version_id.to_string(),
        environment: environment.as_str().to_string(),
        status: DeploymentStatus::Pending.as_str().to_string(),
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

/// A version id given in a body: within the length limit and a version of `agent_id`.
async fn check_version(conn: &mut Conn, tenant_id: &str, agent_id: &str, version_id: &str) -> ApiResult<()> {
    if version_id.trim().is_empty() {
        return Err(ApiError::invalid("agentVersionId", "must not be empty"));
    }
    if version_id.chars().count() > ID_MAX {
        return Err(ApiError::invalid("agentVersionId", &format!("must be at most {ID_MAX} characters")));
    }
    let version = agent_store::get_version(conn, tenant_id, version_id).await?;
    if version.is_none_or(|v| v.agent_id != agent_id) {
        return Err(ApiError::invalid("agentVersionId", "is not a version of this agent"));
    }
    Ok(())
}

/// E8 / E104: a `PENDING` deployment. The body is checked after the agent is found,
/// so an unknown agent is 404 whatever the body holds.
pub(crate) async fn create(
    ctx: &Ctx,
    caller: &Caller,
    agent_id: &str,
    input: ApiResult<DeployInput>,
) -> ApiResult<DeploymentRow> {
    let mut tx = ctx.db.write().await?;
    let agent = super::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let input = input?;
    check_version(tx.conn(), &caller.tenant_id, &agent.id, &input.agent_version_id).await?;
    let d = insert_pending(
        ctx,
        tx.conn(),
        &caller.tenant_id,
        &agent.id,
        &input.agent_version_id,
        input.environment.unwrap_or(DeploymentEnvironment::Test),
        input.metadata.unwrap_or_else(|| json!({})),
    )
    .await?;
    tx.commit().await?;
    ctx.provisioning_wakeup.notify_one();
    Ok(d)
}

/// E105: a new deployment of the latest (or a given) version.
pub(crate) async fn redeploy(
    ctx: &Ctx,
    caller: &Caller,
    agent_id: &str,
    input: ApiResult<RedeployInput>,
) -> ApiResult<DeploymentRow> {
    let mut tx = ctx.db.write().await?;
    let agent = super::agents::load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let input = input?;
    let version_id = match input.agent_version_id {
        Some(v) => {
            check_version(tx.conn(), &caller.tenant_id, &agent.id, &v).await?;
            v
        }
        None => match agent_store::latest_version(tx.conn(), &caller.tenant_id, &agent.id).await? {
            Some(v) => v.id,
            None => {
                return Err(ApiError::conflict("NO_PUBLISHED_VERSION", "the agent has never been published"));
            }
        },
    };
    let environment = match input.environment {
        Some(e) => e,
        None => match store::newest_of_agent(tx.conn(), &caller.tenant_id, &agent.id).await? {
            Some(d) => {
                d.environment.parse().map_err(|e| ApiError::internal(format!("stored deployment environment: {e}")))?
            }
            None => DeploymentEnvironment::Test,
        },
    };
    let d = insert_pending(
        ctx,
        tx.conn(),
        &caller.tenant_id,
        &agent.id,
        &version_id,
        environment,
        input.metadata.unwrap_or_else(|| json!({})),
    )
    .await?;
    tx.commit().await?;
    ctx.provisioning_wakeup.notify_one();
    Ok(d)
}

/// What E19 / E113 show of an `ACTIVE` deployment: the apps bound to it (with their
/// binding) and the token policies that name it.
pub(crate) struct Provisioned {
    pub(crate) deployment: DeploymentRow,
    pub(crate) bound_apps: Vec<(AppRow, BindingRow)>,
    pub(crate) policies: Vec<PolicyRow>,
}

/// E19 / E113.
pub(crate) async fn provisioning(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Provisioned> {
    let mut conn = ctx.db.read().await?;
    let mut d = load(&mut conn, &caller.tenant_id, id).await?;
    let pending = DeploymentStatus::Pending.as_str();
    if d.status == pending && d.activate_after <= now_ms() {
        // Due, but the background pass has not run yet (always the case with a delay of
        // 0): activate it now, so E19 right after the create answers 200 (`docs/operations.md`).
        drop(conn);
        super::provisioning::activate_one(ctx, &caller.tenant_id, &d.id).await?;
        conn = ctx.db.read().await?;
        d = load(&mut conn, &caller.tenant_id, id).await?;
    }
    match d.status.as_str() {
        s if s == DeploymentStatus::Active.as_str() => {}
        s if s == pending => {
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
    let mut bound_apps = Vec::new();
    for b in apps::bindings_of_deployment(&mut conn, &d.id).await? {
        if let Some(app) = apps::get(&mut conn, &caller.tenant_id, &b.external_app_id).await? {
            bound_apps.push((app, b));
        }
    }
    let policies = policies::of_deployment(&mut conn, &d.id)
        .await?
        .into_iter()
        .filter(|p| p.tenant_id == caller.tenant_id)
        .collect();
    Ok(Provisioned { deployment: d, bound_apps, policies })
}
