//! What every event of the outbox shares: which endpoints want it, and the stored event
//! with one delivery per endpoint. `outbox` (runs) and `deployment_events` build the
//! payloads; they are apart so that recording a deployment's event does not depend on
//! the runs domain.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::storage::sql::{Conn, DbResult};
use crate::storage::webhooks::{self as store, deliveries};
use crate::util::clock::{iso, now_ms};

/// The tenant's enabled endpoints that want a `event_type` event about `agent_id`.
pub(super) async fn subscribers(
    conn: &mut Conn,
    tenant_id: &str,
    event_type: &str,
    agent_id: Option<&str>,
) -> DbResult<Vec<String>> {
    let endpoints = store::enabled_of_tenant(conn, tenant_id).await?;
    Ok(endpoints.into_iter().filter(|w| w.wants(event_type, agent_id)).map(|w| w.id).collect())
}

pub(super) async fn store_event(
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

/// A wire type as the `data` of an event's body.
pub(super) fn payload(value: impl serde::Serialize) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| ApiError::internal(format!("a webhook payload: {e}")))
}
