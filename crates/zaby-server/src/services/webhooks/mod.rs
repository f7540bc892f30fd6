//! Webhook endpoints (E128–E135, docs/webhooks.md): their CRUD and secrets here, the
//! outbox in `outbox`, `deployment_events` and `knowledge_events` (over `events`), delivery in `worker`,
//! where a URL may lead in `target`, the signed request in `signed_post`.

pub mod deployment_events;
mod events;
pub mod knowledge_events;
pub mod outbox;
pub(crate) mod signed_post;
pub mod target;
pub mod worker;

use zaby::types::{
    E134Query, ListQuery, WebhookDeliveryStatus, WebhookEndpointInput, WebhookEndpointUpdateInput, WebhookEventType,
};

use self::signed_post::{ROTATION_OVERLAP_MS, new_secret};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::storage::webhooks::deliveries::{self, DeliveryRow};
use crate::storage::webhooks::{self as store, EndpointRow};
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

const URL_MAX: usize = 2000;
const DESCRIPTION_MAX: usize = 500;
const ID_MAX: usize = 100;
const AGENTS_MAX: usize = 100;

/// An endpoint as the API shows it; `secret` only in the answers of E128 and E133.
pub struct Endpoint {
    pub row: EndpointRow,
    pub secret: Option<String>,
}

fn check_url(p: &mut Problems, url: &str) {
    p.text("url", url, URL_MAX, false);
    if !p.has("url")
        && let Err(why) = target::check_url(url)
    {
        p.add("url", why);
    }
}

fn check_events(p: &mut Problems, events: &[String]) {
    if events.is_empty() {
        p.add("events", "must name at least one event type, or \"*\" for all");
    }
    for (i, e) in events.iter().enumerate() {
        if e != "*" && !WebhookEventType::VALUES.contains(&e.as_str()) {
            p.add(&format!("events.{i}"), format!("must be \"*\" or one of {}", WebhookEventType::VALUES.join(", ")));
        }
    }
}

fn check_agent_ids(p: &mut Problems, ids: &[String]) {
    if ids.len() > AGENTS_MAX {
        p.add("agentIds", format!("must list at most {AGENTS_MAX} agents"));
    }
    for (i, id) in ids.iter().enumerate() {
        p.text(&format!("agentIds.{i}"), id, ID_MAX, false);
    }
}

/// Every listed agent must be one of the tenant's.
async fn check_agents_exist(conn: &mut Conn, tenant_id: &str, ids: &[String]) -> ApiResult<()> {
    for (i, id) in ids.iter().enumerate() {
        if crate::storage::agents::get(conn, tenant_id, id).await?.is_none() {
            return Err(ApiError::invalid(&format!("agentIds.{i}"), "does not name an agent of this tenant"));
        }
    }
    Ok(())
}

async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<EndpointRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

/// E128: the secret is in this answer and never again.
pub async fn create(ctx: &Ctx, caller: &Caller, input: WebhookEndpointInput) -> ApiResult<Endpoint> {
    let mut p = Problems::default();
    check_url(&mut p, &input.url);
    check_events(&mut p, &input.events);
    let agent_ids = input.agent_ids.unwrap_or_default();
    check_agent_ids(&mut p, &agent_ids);
    let description = input.description.unwrap_or_default();
    p.text("description", &description, DESCRIPTION_MAX, true);
    p.finish()?;
    let mut tx = ctx.db.write().await?;
    check_agents_exist(tx.conn(), &caller.tenant_id, &agent_ids).await?;
    let secret = new_secret();
    let now = now_ms();
    let row = EndpointRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        url: input.url,
        events: input.events,
        agent_ids,
        description,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: None,
        secret_sealed: ctx.runs.secrets.seal(secret.as_bytes()),
        previous_secret_sealed: None,
        previous_expires_at: None,
        created_at: now,
        updated_at: now,
    };
    store::save(tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(Endpoint { row, secret: Some(secret) })
}

/// E130.
pub async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Endpoint> {
    let mut conn = ctx.db.read().await?;
    Ok(Endpoint { row: load(&mut conn, &caller.tenant_id, id).await?, secret: None })
}

/// E129.
pub async fn list(ctx: &Ctx, caller: &Caller, q: &ListQuery) -> ApiResult<Page<Endpoint>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let mut conn = ctx.db.read().await?;
    let rows = store::list(&mut conn, &caller.tenant_id, &page).await?;
    Ok(rows.map(|row| Endpoint { row, secret: None }))
}

/// E131: only the members present change. Enabling an endpoint again clears why the
/// server had disabled it. The body is checked after the endpoint is found, so an
/// unknown endpoint is 404 whatever the body holds.
pub async fn update(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<WebhookEndpointUpdateInput>,
) -> ApiResult<Endpoint> {
    let mut tx = ctx.db.write().await?;
    let mut row = load(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    if let Some(url) = &input.url {
        check_url(&mut p, url);
    }
    if let Some(events) = &input.events {
        check_events(&mut p, events);
    }
    if let Some(ids) = &input.agent_ids {
        check_agent_ids(&mut p, ids);
    }
    if let Some(d) = &input.description {
        p.text("description", d, DESCRIPTION_MAX, true);
    }
    p.finish()?;
    if let Some(ids) = &input.agent_ids {
        check_agents_exist(tx.conn(), &caller.tenant_id, ids).await?;
    }
    if let Some(url) = input.url {
        row.url = url;
    }
    if let Some(events) = input.events {
        row.events = events;
    }
    if let Some(ids) = input.agent_ids {
        row.agent_ids = ids;
    }
    if let Some(d) = input.description {
        row.description = d;
    }
    if let Some(enabled) = input.enabled {
        if enabled {
            row.disabled_reason = None;
        }
        row.enabled = enabled;
    }
    row.updated_at = now_ms();
    store::save(tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(Endpoint { row, secret: None })
}

/// E132: the endpoint and its deliveries.
pub async fn delete(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<String> {
    let mut tx = ctx.db.write().await?;
    if !store::delete(tx.conn(), &caller.tenant_id, id).await? {
        return Err(ApiError::not_found("webhook endpoint"));
    }
    tx.commit().await?;
    Ok(id.to_string())
}

/// E133: a new secret, shown in this answer only; the old one keeps signing for 24 h.
pub async fn rotate_secret(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Endpoint> {
    let mut tx = ctx.db.write().await?;
    let mut row = load(tx.conn(), &caller.tenant_id, id).await?;
    let secret = new_secret();
    let now = now_ms();
    row.previous_secret_sealed =
        Some(std::mem::replace(&mut row.secret_sealed, ctx.runs.secrets.seal(secret.as_bytes())));
    row.previous_expires_at = Some(now + ROTATION_OVERLAP_MS);
    row.updated_at = now;
    store::save(tx.conn(), &row).await?;
    tx.commit().await?;
    Ok(Endpoint { row, secret: Some(secret) })
}

/// E134, newest last like every list; `status` filters.
pub async fn list_deliveries(ctx: &Ctx, caller: &Caller, id: &str, q: &E134Query) -> ApiResult<Page<DeliveryRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.as_ref().map(WebhookDeliveryStatus::as_str);
    let mut conn = ctx.db.read().await?;
    load(&mut conn, &caller.tenant_id, id).await?;
    Ok(deliveries::list(&mut conn, id, status, &page).await?)
}

/// E135: a new attempt now, whatever the delivery's status (a `SUCCEEDED` one too).
pub async fn redeliver(ctx: &Ctx, caller: &Caller, id: &str, delivery_id: &str) -> ApiResult<DeliveryRow> {
    let mut tx = ctx.db.write().await?;
    load(tx.conn(), &caller.tenant_id, id).await?;
    let Some(mut d) = deliveries::get(tx.conn(), id, delivery_id).await? else {
        return Err(ApiError::not_found("webhook delivery"));
    };
    let now = now_ms();
    deliveries::requeue(tx.conn(), &d.id, now).await?;
    tx.commit().await?;
    d.status = WebhookDeliveryStatus::Pending.as_str().to_string();
    d.next_attempt_at = Some(now);
    Ok(d)
}
