//! The outbox: an event is stored, with one delivery per endpoint that wants it, in
//! the transaction of the change it reports, so an event is sent if and only if its
//! change was committed, and its payload shows the state that change left.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::services::runs::RunView;
use crate::storage::runs::RunRow;
use crate::storage::sql::{Conn, DbResult};
use crate::storage::webhooks::{self as store, deliveries};
use crate::util::clock::{iso, now_ms};

/// The tenant's enabled endpoints that want a `event_type` event about `agent_id`.
async fn subscribers(
    conn: &mut Conn,
    tenant_id: &str,
    event_type: &str,
    agent_id: Option<&str>,
) -> DbResult<Vec<String>> {
    let endpoints = store::enabled_of_tenant(conn, tenant_id).await?;
    Ok(endpoints.into_iter().filter(|w| w.wants(event_type, agent_id)).map(|w| w.id).collect())
}

async fn store_event(
    conn: &mut Conn,
    tenant_id: &str,
    event_type: &str,
    run_id: Option<&str>,
    data: Value,
    webhook_ids: &[String],
) -> DbResult<()> {
    let now = now_ms();
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let body = json!({"id": id, "type": event_type, "createdAt": iso(now), "tenantId": tenant_id, "data": data});
    let event = deliveries::NewEvent { id: &id, tenant_id, event_type, run_id, body: &body, now };
    deliveries::insert_event(conn, &event, webhook_ids).await?;
    metrics::counter!("zaby_webhook_events_total", "type" => event_type.to_string()).increment(1);
    Ok(())
}

/// A `run.*` event (`run.completed`, …) about `row`, the run as this transaction
/// leaves it: the payload is `{ "run": Run }`. Nothing is read or written when no
/// endpoint of the tenant wants it.
pub async fn record_run(conn: &mut Conn, row: &RunRow, event_type: &str) -> ApiResult<()> {
    let webhook_ids = subscribers(conn, &row.tenant_id, event_type, Some(&row.agent_id)).await?;
    if webhook_ids.is_empty() {
        return Ok(());
    }
    let view = RunView::load(conn, row.clone()).await?;
    let run = crate::http::handlers::wire::run(view)?;
    let run = serde_json::to_value(run).map_err(|e| ApiError::internal(format!("a webhook payload: {e}")))?;
    store_event(conn, &row.tenant_id, event_type, Some(&row.id), json!({ "run": run }), &webhook_ids).await?;
    Ok(())
}
