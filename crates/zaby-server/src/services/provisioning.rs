//! Background provisioning: moves due PENDING deployments to ACTIVE (or FAILED),
//! superseding the previous ACTIVE deployment of the same agent and environment.
//! Work is claimed from storage by a conditional update, so it survives restarts and
//! happens once across replicas.

use std::time::Duration;

use tokio::sync::watch;
use zaby::types::{AgentStatus, DeploymentStatus, ErrorInfo};

use super::{Ctx, SharedCtx};
use crate::error::ApiResult;
use crate::services::webhooks::deployment_events;
use crate::storage::agents as agent_store;
use crate::storage::deployments as store;
use crate::storage::sql::lock_row;
use crate::util::clock::now_ms;

const MAX_IDLE: Duration = Duration::from_millis(1000);
const MIN_WAIT: Duration = Duration::from_millis(5);

pub async fn run(ctx: SharedCtx, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Err(e) = tick(&ctx).await {
            tracing::warn!(code = e.code, message = %e.message, "provisioning pass failed");
        }
        let wait = match next_wait(&ctx).await {
            Ok(w) => w,
            Err(_) => MAX_IDLE,
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.provisioning_wakeup.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn next_wait(ctx: &SharedCtx) -> ApiResult<Duration> {
    let mut conn = ctx.db.read().await?;
    Ok(match store::next_due(&mut conn).await? {
        Some(t) => {
            let ms = (t - now_ms()).max(0) as u64;
            Duration::from_millis(ms).clamp(MIN_WAIT, MAX_IDLE)
        }
        None => MAX_IDLE,
    })
}

/// Activates every deployment that is due now.
pub async fn tick(ctx: &SharedCtx) -> ApiResult<()> {
    let due = {
        let mut conn = ctx.db.read().await?;
        store::due(&mut conn, now_ms(), 50).await?
    };
    for (tenant_id, id) in due {
        activate_one(ctx, &tenant_id, &id).await?;
    }
    Ok(())
}

pub(crate) async fn activate_one(ctx: &Ctx, tenant_id: &str, id: &str) -> ApiResult<()> {
    let mut tx = ctx.db.write().await?;
    let Some(d) = store::get(tx.conn(), tenant_id, id).await? else {
        return Ok(());
    };
    if d.status != DeploymentStatus::Pending.as_str() {
        return Ok(());
    }
    let now = now_ms();
    // Serialize activations of one agent (agent row first, as everywhere).
    let agent_exists = lock_row(tx.conn(), "agents", &d.agent_id).await?;
    let version = agent_store::get_version(tx.conn(), tenant_id, &d.agent_version_id).await?;
    let agent = agent_store::get(tx.conn(), tenant_id, &d.agent_id).await?;
    let failure = if !agent_exists || agent.is_none() {
        Some(("AGENT_NOT_FOUND", "the agent no longer exists"))
    } else if version.is_none() {
        Some(("VERSION_NOT_FOUND", "the agent version no longer exists"))
    } else if agent.as_ref().is_some_and(|a| a.status == AgentStatus::Disabled.as_str()) {
        Some(("AGENT_DISABLED", "the agent is DISABLED"))
    } else {
        None
    };
    match failure {
        Some((code, message)) => {
            let error = ErrorInfo { code: code.into(), message: message.into(), extra: Default::default() };
            store::fail(tx.conn(), id, &error, now).await?;
            deployment_events::record_deployment(ctx, tx.conn(), tenant_id, id, "deployment.failed").await?;
            tracing::info!(deployment = id, "deployment failed");
        }
        None => {
            if store::activate(tx.conn(), id, now).await? {
                let n = store::supersede_others(tx.conn(), &d, now).await?;
                deployment_events::record_deployment(ctx, tx.conn(), tenant_id, id, "deployment.active").await?;
                tracing::info!(deployment = id, superseded = n, "deployment active");
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
