//! `WebhookEndpoint` (E128–E131, E133) and `WebhookDelivery` (E134, E135).

use serde_json::{Value, json};
use zaby::types::{WebhookDelivery, WebhookEndpoint};

use super::stored;
use crate::error::{ApiError, ApiResult};
use crate::services::runs::RunView;
use crate::services::webhooks::Endpoint;
use crate::storage::runs::RunRow;
use crate::storage::sql::Conn;
use crate::storage::webhooks::deliveries::DeliveryRow;
use crate::util::clock::iso;

/// The `data` of a `run.*` event: `{ "run": Run }`, the run as `row` and the open
/// approval read in the caller's transaction show it. Here rather than in the outbox,
/// so that the runs domain, which records these events, is not imported back by it.
pub(crate) async fn run_event_data(conn: &mut Conn, row: &RunRow) -> ApiResult<Value> {
    let run = super::run(RunView::load(conn, row.clone()).await?)?;
    let run = serde_json::to_value(run).map_err(|e| ApiError::internal(format!("a webhook payload: {e}")))?;
    Ok(json!({ "run": run }))
}

pub(crate) fn webhook_endpoint(e: Endpoint) -> WebhookEndpoint {
    let Endpoint { row, secret } = e;
    WebhookEndpoint {
        id: row.id,
        url: row.url,
        events: row.events,
        agent_ids: row.agent_ids,
        description: row.description,
        enabled: row.enabled,
        disabled_reason: row.disabled_reason,
        secret,
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
        extra: Default::default(),
    }
}

pub(crate) fn webhook_delivery(d: DeliveryRow) -> ApiResult<WebhookDelivery> {
    Ok(WebhookDelivery {
        event_type: stored("webhook delivery event type", &d.event_type)?,
        status: stored("webhook delivery status", &d.status)?,
        id: d.id,
        webhook_id: d.webhook_id,
        event_id: d.event_id,
        attempts: d.attempts,
        last_attempt_at: d.last_attempt_at.map(iso),
        next_attempt_at: d.next_attempt_at.map(iso),
        response_status: d.response_status,
        response_body_excerpt: d.response_body_excerpt,
        note: d.note,
        created_at: iso(d.created_at),
        extra: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::storage::webhooks::EndpointRow;

    fn endpoint(secret: Option<&str>) -> Endpoint {
        Endpoint {
            row: EndpointRow {
                id: "wh-1".into(),
                tenant_id: "t".into(),
                url: "https://hooks.example/zaby".into(),
                events: vec!["run.completed".into()],
                agent_ids: vec![],
                description: "".into(),
                enabled: true,
                disabled_reason: None,
                secret_sealed: "v1:sealed".into(),
                previous_secret_sealed: None,
                previous_expires_at: None,
                created_at: 0,
                updated_at: 1,
            },
            secret: secret.map(str::to_string),
        }
    }

    fn delivery(status: &str) -> DeliveryRow {
        DeliveryRow {
            id: "d-1".into(),
            webhook_id: "wh-1".into(),
            event_id: "evt_1".into(),
            event_type: "run.completed".into(),
            run_id: Some("r-1".into()),
            seq: 1,
            status: status.into(),
            attempts: 1,
            last_attempt_at: Some(2),
            next_attempt_at: None,
            response_status: Some(200),
            response_body_excerpt: Some("ok".into()),
            note: None,
            created_at: 0,
        }
    }

    #[test]
    fn an_endpoint_keeps_the_catalogue_wire_format_and_shows_no_sealed_secret() {
        let wire = serde_json::to_value(webhook_endpoint(endpoint(None))).unwrap();
        // The check wants every member; `secret` is the one left out outside E128/E133.
        assert_eq!(response_problems("WebhookEndpoint", &wire), [("secret".to_string(), "is required".to_string())]);
        assert_eq!(
            wire,
            json!({
                "id": "wh-1", "url": "https://hooks.example/zaby", "events": ["run.completed"], "agentIds": [],
                "description": "", "enabled": true, "disabledReason": null,
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.001Z",
            })
        );
        let shown = serde_json::to_value(webhook_endpoint(endpoint(Some("whsec_x")))).unwrap();
        assert_eq!(response_problems("WebhookEndpoint", &shown), []);
        assert_eq!(shown["secret"], "whsec_x");
    }

    #[test]
    fn a_delivery_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(webhook_delivery(delivery("SUCCEEDED")).unwrap()).unwrap();
        assert_eq!(response_problems("WebhookDelivery", &wire), []);
        assert_eq!(wire["lastAttemptAt"], "1970-01-01T00:00:00.002Z");
        assert_eq!(wire["nextAttemptAt"], json!(null));
        let mut drifted = wire.clone();
        drifted.as_object_mut().unwrap().remove("attempts");
        assert!(response_problems("WebhookDelivery", &drifted).iter().any(|(f, _)| f == "attempts"));
    }

    #[test]
    fn a_stored_status_the_catalogue_does_not_know_is_an_internal_error() {
        assert_eq!(webhook_delivery(delivery("LOST")).unwrap_err().code, "INTERNAL_ERROR");
    }
}
