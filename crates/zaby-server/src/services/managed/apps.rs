//! External apps (E20–E24, E117) and deployment bindings.

use serde_json::Value;
use zaby::types::{
    BindDeploymentInput, DeploymentStatus, E20Query, ExternalAppInput, ExternalAppStatus, ExternalAppUpdateInput,
};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::apps::{self as store, AppDoc, AppFilter, AppRow, BindingRow};
use crate::storage::deployments;
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::{Problems, is_slug};

const NAME_MAX: usize = 200;
const SLUG_MAX: usize = 100;
const ORIGIN_MAX: usize = 300;
const TTL_MAX: i64 = 86_400;
const RATE_MAX: i64 = 1_000_000;

/// An origin is `scheme://host[:port]`: no path, query, fragment or trailing slash.
fn is_origin(s: &str) -> bool {
    let Ok(url) = url::Url::parse(s) else {
        return false;
    };
    url.host_str().is_some_and(|h| !h.is_empty())
        && url.username().is_empty()
        && url.query().is_none()
        && url.fragment().is_none()
        && (url.path() == "/" || url.path().is_empty())
        && !s.ends_with('/')
}

fn check_origins(p: &mut Problems, origins: Option<&[String]>) {
    for (i, o) in origins.unwrap_or_default().iter().enumerate() {
        let field = format!("allowedOrigins.{i}");
        p.text(&field, o, ORIGIN_MAX, true);
        if !p.has(&field) && !is_origin(o) {
            p.add(&field, "must be an origin (scheme://host[:port])");
        }
    }
}

fn check_slug(p: &mut Problems, slug: &str) {
    p.text("slug", slug, SLUG_MAX, false);
    if !p.has("slug") && !is_slug(slug) {
        p.add("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
    }
}

pub async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<AppRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("external app"))
}

/// An external app as the API shows it: its row, the deployments bound to it and
/// where the newest binding leads now.
pub struct App {
    pub row: AppRow,
    /// Bound deployment ids, in binding order.
    pub deployment_ids: Vec<String>,
    /// The `ACTIVE` deployment the most recently bound deployment resolves to.
    pub active_deployment_id: Option<String>,
}

impl App {
    pub fn status(&self) -> ApiResult<ExternalAppStatus> {
        self.row.status.parse().map_err(|e| ApiError::internal(format!("stored external app: {e}")))
    }
}

async fn view(conn: &mut Conn, row: AppRow) -> ApiResult<App> {
    let bindings = store::bindings_of_app(conn, &row.id).await?;
    let deployment_ids: Vec<String> = bindings.iter().map(|b| b.deployment_id.clone()).collect();
    // The most recently bound ACTIVE or SUPERSEDED deployment, followed to its successor.
    let mut active_deployment_id = None;
    for b in bindings.iter().rev() {
        let Some(d) = deployments::get(conn, &row.tenant_id, &b.deployment_id).await? else {
            continue;
        };
        let active = DeploymentStatus::Active.as_str();
        if d.status == active || d.status == DeploymentStatus::Superseded.as_str() {
            let end = crate::services::deployments::resolve_chain(conn, d).await?;
            if end.status == active {
                active_deployment_id = Some(end.id);
            }
            break;
        }
    }
    Ok(App { row, deployment_ids, active_deployment_id })
}

async fn check_agent(conn: &mut Conn, tenant_id: &str, agent_id: Option<&str>) -> ApiResult<()> {
    if let Some(id) = agent_id
        && crate::storage::agents::get(conn, tenant_id, id).await?.is_none()
    {
        return Err(ApiError::invalid("agentId", "does not name an agent of this tenant"));
    }
    Ok(())
}

/// E21.
pub async fn create(ctx: &Ctx, caller: &Caller, input: ExternalAppInput) -> ApiResult<App> {
    let mut p = Problems::default();
    p.text("name", &input.name, NAME_MAX, false);
    check_slug(&mut p, &input.slug);
    if let Some(agent_id) = &input.agent_id {
        p.text("agentId", agent_id, SLUG_MAX, false);
    }
    check_origins(&mut p, input.allowed_origins.as_deref());
    if let Some(ttl) = input.token_ttl_seconds {
        p.range("tokenTtlSeconds", ttl, 1, TTL_MAX);
    }
    p.finish()?;
    let mut tx = ctx.db.write().await?;
    check_agent(tx.conn(), &caller.tenant_id, input.agent_id.as_deref()).await?;
    if store::slug_taken(tx.conn(), &caller.tenant_id, &input.slug, "").await? {
        return Err(ApiError::slug_taken(&input.slug));
    }
    let now = now_ms();
    let app = AppRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug: input.slug,
        name: input.name,
        agent_id: input.agent_id,
        status: ExternalAppStatus::Active.as_str().to_string(),
        doc: AppDoc {
            allowed_origins: input.allowed_origins.unwrap_or_default(),
            token_ttl_seconds: input.token_ttl_seconds,
            metadata: input.metadata.unwrap_or_default(),
        },
        created_at: now,
        updated_at: now,
    };
    store::insert(tx.conn(), &app).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => ApiError::slug_taken(&app.slug),
        _ => e.into(),
    })?;
    let out = view(tx.conn(), app).await?;
    tx.commit().await?;
    Ok(out)
}

/// E22.
pub async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<App> {
    let mut conn = ctx.db.read().await?;
    let a = load(&mut conn, &caller.tenant_id, id).await?;
    view(&mut conn, a).await
}

/// E20 and E117 (filtered by `agentId`).
pub async fn list(ctx: &Ctx, caller: &Caller, q: E20Query) -> ApiResult<Page<App>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let filter = AppFilter { status: q.status.map(|s| s.as_str().to_string()), agent_id: q.agent_id, q: q.q };
    let mut conn = ctx.db.read().await?;
    let rows = store::list(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for a in rows.items {
        items.push(view(&mut conn, a).await?);
    }
    Ok(Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total })
}

/// E23: only the members present change. The body is checked after the app is
/// found, so an unknown app is 404 whatever the body holds.
pub async fn update(ctx: &Ctx, caller: &Caller, id: &str, input: ApiResult<ExternalAppUpdateInput>) -> ApiResult<App> {
    let mut tx = ctx.db.write().await?;
    let mut app = load(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    if let Some(name) = &input.name {
        p.text("name", name, NAME_MAX, false);
    }
    if let Some(slug) = &input.slug {
        check_slug(&mut p, slug);
    }
    if let Some(Some(agent_id)) = &input.agent_id {
        p.text("agentId", agent_id, SLUG_MAX, false);
    }
    check_origins(&mut p, input.allowed_origins.as_deref());
    if let Some(Some(ttl)) = input.token_ttl_seconds {
        p.range("tokenTtlSeconds", ttl, 1, TTL_MAX);
    }
    p.finish()?;
    if let Some(Some(agent_id)) = &input.agent_id {
        check_agent(tx.conn(), &caller.tenant_id, Some(agent_id)).await?;
    }
    if let Some(slug) = input.slug {
        if slug != app.slug && store::slug_taken(tx.conn(), &caller.tenant_id, &slug, &app.id).await? {
            return Err(ApiError::slug_taken(&slug));
        }
        app.slug = slug;
    }
    if let Some(name) = input.name {
        app.name = name;
    }
    if let Some(status) = input.status {
        app.status = status.as_str().to_string();
    }
    if let Some(agent_id) = input.agent_id {
        app.agent_id = agent_id;
    }
    if let Some(origins) = input.allowed_origins {
        app.doc.allowed_origins = origins;
    }
    if let Some(ttl) = input.token_ttl_seconds {
        app.doc.token_ttl_seconds = ttl;
    }
    if let Some(metadata) = input.metadata {
        app.doc.metadata = metadata;
    }
    app.updated_at = now_ms();
    store::update(tx.conn(), &app).await?;
    let out = view(tx.conn(), app).await?;
    tx.commit().await?;
    Ok(out)
}

/// E24: binds (`created`) or updates an existing binding, where only the members
/// sent change. The body is checked once the app is found.
pub(crate) async fn bind(
    ctx: &Ctx,
    caller: &Caller,
    app_id: &str,
    input: ApiResult<BindDeploymentInput>,
) -> ApiResult<(BindingRow, bool)> {
    let mut tx = ctx.db.write().await?;
    let app = load(tx.conn(), &caller.tenant_id, app_id).await?;
    let input = input?;
    let mut p = Problems::default();
    p.text("deploymentId", &input.deployment_id, SLUG_MAX, false);
    if let Some(Some(rate)) = input.rate_limit_per_minute {
        p.range("rateLimitPerMinute", rate, 1, RATE_MAX);
    }
    p.finish()?;
    if deployments::get(tx.conn(), &caller.tenant_id, &input.deployment_id).await?.is_none() {
        return Err(ApiError::invalid("deploymentId", "does not name a deployment of this tenant"));
    }
    let now = now_ms();
    let existing = store::get_binding(tx.conn(), &app.id, &input.deployment_id).await?;
    let created = existing.is_none();
    let binding = match existing {
        Some(mut b) => {
            if let Some(v) = input.allow_browser_runtime {
                b.allow_browser_runtime = v;
            }
            if let Some(v) = input.allow_server_runtime {
                b.allow_server_runtime = v;
            }
            if let Some(v) = input.allow_approvals {
                b.allow_approvals = v;
            }
            if let Some(rate) = input.rate_limit_per_minute {
                b.rate_limit_per_minute = rate;
            }
            if let Some(m) = input.metadata {
                b.metadata = Value::Object(m);
            }
            b.updated_at = now;
            store::update_binding(tx.conn(), &b).await?;
            b
        }
        None => {
            let b = BindingRow {
                id: new_id(),
                tenant_id: caller.tenant_id.clone(),
                external_app_id: app.id.clone(),
                deployment_id: input.deployment_id,
                allow_browser_runtime: input.allow_browser_runtime.unwrap_or(false),
                allow_server_runtime: input.allow_server_runtime.unwrap_or(true),
                allow_approvals: input.allow_approvals.unwrap_or(false),
                rate_limit_per_minute: input.rate_limit_per_minute.flatten(),
                metadata: Value::Object(input.metadata.unwrap_or_default()),
                created_at: now,
                updated_at: now,
            };
            store::insert_binding(tx.conn(), &b).await?;
            b
        }
    };
    tx.commit().await?;
    Ok((binding, created))
}
