//! `deployment.active` and `deployment.failed`, recorded by provisioning in the
//! transaction that moves the deployment.

use serde_json::json;

use super::events::{payload, store_event, subscribers};
use crate::error::ApiResult;
use crate::services::Ctx;
use crate::storage::deployments;
use crate::storage::sql::Conn;

/// A `deployment.active` or `deployment.failed` event about deployment `id` as this
/// transaction leaves it: the payload is `{ "deployment": Deployment }`.
pub async fn record_deployment(
    ctx: &Ctx,
    conn: &mut Conn,
    tenant_id: &str,
    id: &str,
    event_type: &str,
) -> ApiResult<()> {
    let Some(d) = deployments::get(conn, tenant_id, id).await? else { return Ok(()) };
    let webhook_ids = subscribers(conn, tenant_id, event_type, Some(&d.agent_id)).await?;
    if webhook_ids.is_empty() {
        return Ok(());
    }
    let deployment = crate::http::handlers::wire::deployment(d, &ctx.settings.runtime_url())?;
    let deployment = payload(deployment)?;
    store_event(conn, tenant_id, event_type, None, json!({ "deployment": deployment }), &webhook_ids).await?;
    Ok(())
}
