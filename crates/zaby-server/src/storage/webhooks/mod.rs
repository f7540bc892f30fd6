//! Webhook endpoints (E128–E133). The outbox and the deliveries are in `deliveries`.

pub mod deliveries;

use sqlx::FromRow;

use super::columns::{Flag, StringList};
use super::page::{Page, PageRequest, fetch_page};
use super::sql::{Conn, DbResult, Filter, all_as, exec, one_as};
use crate::args;

/// A webhook endpoint; its secrets are sealed with the secrets key.
#[derive(Debug, Clone, FromRow)]
pub struct EndpointRow {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    #[sqlx(try_from = "StringList")]
    pub events: Vec<String>,
    #[sqlx(try_from = "StringList")]
    pub agent_ids: Vec<String>,
    pub description: String,
    #[sqlx(try_from = "Flag")]
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub secret_sealed: String,
    pub previous_secret_sealed: Option<String>,
    pub previous_expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EndpointRow {
    /// Whether an event of this type, about this agent (if any), goes to this endpoint.
    pub fn wants(&self, event_type: &str, agent_id: Option<&str>) -> bool {
        let type_ok = self.events.iter().any(|e| e == "*" || e == event_type);
        let agent_ok = self.agent_ids.is_empty() || agent_id.is_some_and(|a| self.agent_ids.iter().any(|x| x == a));
        self.enabled && type_ok && agent_ok
    }
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Stores an endpoint, new or changed: one statement for both, so the column list is
/// written once. An update never crosses tenants (the `WHERE` on the conflict).
pub async fn save(conn: &mut Conn, w: &EndpointRow) -> DbResult<()> {
    exec(
        conn,
        "INSERT INTO webhook_endpoints (id, tenant_id, url, events, agent_ids, description, enabled, disabled_reason, \
         secret_sealed, previous_secret_sealed, previous_expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, agent_ids = excluded.agent_ids, \
         description = excluded.description, enabled = excluded.enabled, disabled_reason = excluded.disabled_reason, \
         secret_sealed = excluded.secret_sealed, previous_secret_sealed = excluded.previous_secret_sealed, \
         previous_expires_at = excluded.previous_expires_at, updated_at = excluded.updated_at \
         WHERE webhook_endpoints.tenant_id = excluded.tenant_id",
        args![
            &w.id,
            &w.tenant_id,
            &w.url,
            json_list(&w.events),
            json_list(&w.agent_ids),
            &w.description,
            w.enabled,
            &w.disabled_reason,
            &w.secret_sealed,
            &w.previous_secret_sealed,
            w.previous_expires_at,
            w.created_at,
            w.updated_at
        ],
    )
    .await?;
    Ok(())
}

pub async fn get(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<Option<EndpointRow>> {
    one_as(conn, "SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await
}

/// The endpoint of a delivery, whatever its tenant (the delivery worker).
pub async fn by_id(conn: &mut Conn, id: &str) -> DbResult<Option<EndpointRow>> {
    one_as(conn, "SELECT * FROM webhook_endpoints WHERE id = $1", args![id]).await
}

/// Deletes the endpoint and its deliveries.
pub async fn delete(conn: &mut Conn, tenant_id: &str, id: &str) -> DbResult<bool> {
    exec(conn, "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2", args![tenant_id, id]).await?;
    Ok(exec(conn, "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2", args![tenant_id, id]).await? > 0)
}

pub async fn list(conn: &mut Conn, tenant_id: &str, page: &PageRequest) -> DbResult<Page<EndpointRow>> {
    let mut f = Filter::new();
    f.eq("tenant_id", tenant_id);
    fetch_page(conn, "webhook_endpoints", &f, page).await
}

/// The tenant's enabled endpoints, which an event may go to.
pub async fn enabled_of_tenant(conn: &mut Conn, tenant_id: &str) -> DbResult<Vec<EndpointRow>> {
    all_as(conn, "SELECT * FROM webhook_endpoints WHERE tenant_id = $1 AND enabled = 1", args![tenant_id]).await
}

/// Disables an endpoint that answered 410, saying why.
pub async fn disable(conn: &mut Conn, id: &str, reason: &str, now: i64) -> DbResult<()> {
    exec(
        conn,
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $2, updated_at = $3 WHERE id = $1",
        args![id, reason, now],
    )
    .await?;
    Ok(())
}
