//! External apps (E20–E24, E117) and deployment bindings.

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, enum_param, list_body, page_request, str_param};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::apps::{self as store, AppFilter, AppRow, BindingRow};
use crate::storage::deployments;
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;
use crate::util::input::{Fields, Patch, is_slug};

pub const APP_STATUSES: &[&str] = &["ACTIVE", "INACTIVE"];

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

fn check_origins(f: &mut Fields, origins: &Option<Vec<String>>) {
    if let Some(list) = origins {
        for (i, o) in list.iter().enumerate() {
            if !is_origin(o) {
                f.error(&format!("allowedOrigins.{i}"), "must be an origin (scheme://host[:port])");
            }
        }
    }
}

pub async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<AppRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("external app"))
}

pub async fn render(conn: &mut Conn, a: &AppRow) -> ApiResult<Value> {
    let bindings = store::bindings_of_app(conn, &a.id).await?;
    let deployment_ids: Vec<&str> = bindings.iter().map(|b| b.deployment_id.as_str()).collect();
    // The most recently bound ACTIVE or SUPERSEDED deployment, followed to its successor.
    let mut active_deployment_id = Value::Null;
    for b in bindings.iter().rev() {
        let Some(d) = deployments::get(conn, &a.tenant_id, &b.deployment_id).await? else {
            continue;
        };
        if d.status == "ACTIVE" || d.status == "SUPERSEDED" {
            let end = crate::services::deployments::resolve_chain(conn, d).await?;
            if end.status == "ACTIVE" {
                active_deployment_id = json!(end.id);
            }
            break;
        }
    }
    Ok(json!({
        "id": a.id,
        "name": a.name,
        "slug": a.slug,
        "agentId": a.agent_id,
        "allowedOrigins": a.doc["allowedOrigins"],
        "tokenTtlSeconds": a.doc["tokenTtlSeconds"],
        "status": a.status,
        "metadata": a.doc["metadata"],
        "deploymentIds": deployment_ids,
        "activeDeploymentId": active_deployment_id,
        "createdAt": iso(a.created_at),
        "updatedAt": iso(a.updated_at),
    }))
}

fn slug_clash(slug: &str) -> ApiError {
    ApiError::conflict("SLUG_ALREADY_EXISTS", format!("slug '{slug}' is already in use"))
        .with_details(json!({"errors": [{"field": "slug", "message": "is already in use"}]}))
}

async fn check_agent(conn: &mut Conn, tenant_id: &str, agent_id: &Option<String>) -> ApiResult<()> {
    if let Some(id) = agent_id
        && crate::storage::agents::get(conn, tenant_id, id).await?.is_none()
    {
        return Err(ApiError::invalid("agentId", "does not name an agent of this tenant"));
    }
    Ok(())
}

pub async fn create(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let name = f.req_str("name", 200);
    let slug = f.req_str("slug", 100);
    if let Some(s) = &slug
        && !is_slug(s)
    {
        f.error("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
    }
    let agent_id = f.opt_str("agentId", 100);
    let origins = f.opt_str_list("allowedOrigins", 300);
    check_origins(&mut f, &origins);
    let ttl = f.opt_int("tokenTtlSeconds", 1, 86_400);
    let metadata = f.opt_object("metadata");
    f.finish()?;
    let mut tx = ctx.db.write().await?;
    check_agent(tx.conn(), &caller.tenant_id, &agent_id).await?;
    let slug = slug.unwrap_or_default();
    if store::slug_taken(tx.conn(), &caller.tenant_id, &slug, "").await? {
        return Err(slug_clash(&slug));
    }
    let now = now_ms();
    let app = AppRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug,
        name: name.unwrap_or_default(),
        agent_id,
        status: "ACTIVE".into(),
        doc: json!({
            "allowedOrigins": origins.unwrap_or_default(),
            "tokenTtlSeconds": ttl,
            "metadata": metadata.unwrap_or_else(|| json!({})),
        }),
        created_at: now,
        updated_at: now,
    };
    store::insert(tx.conn(), &app).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => slug_clash(&app.slug),
        _ => e.into(),
    })?;
    let out = render(tx.conn(), &app).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}

pub async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let a = load(&mut conn, &caller.tenant_id, id).await?;
    Ok(Outcome::Ok(render(&mut conn, &a).await?))
}

pub async fn list(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let filter = AppFilter {
        status: enum_param(q, "status", APP_STATUSES)?,
        agent_id: str_param(q, "agentId"),
        q: str_param(q, "q"),
    };
    let mut conn = ctx.db.read().await?;
    let rows = store::list(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for a in &rows.items {
        items.push(render(&mut conn, a).await?);
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

pub async fn update(ctx: &Ctx, caller: &Caller, id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let mut app = load(tx.conn(), &caller.tenant_id, id).await?;
    let mut f = Fields::new(body);
    let name = f.patch_str("name", 200, false);
    let slug = f.patch_str("slug", 100, false);
    let agent_id = f.patch_str("agentId", 100, false);
    let origins = f.present_str_list("allowedOrigins", 300);
    check_origins(&mut f, &origins);
    let ttl = f.patch_int("tokenTtlSeconds", 1, 86_400);
    let metadata = f.present_object("metadata");
    let status = f.patch_enum("status", APP_STATUSES);
    for (key, null) in [("name", name == Patch::Null), ("slug", slug == Patch::Null), ("status", status == Patch::Null)]
    {
        if null {
            f.error(key, "must not be null");
        }
    }
    if let Patch::Set(s) = &slug
        && !is_slug(s)
    {
        f.error("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
    }
    f.finish()?;
    if let Patch::Set(a) = &agent_id {
        check_agent(tx.conn(), &caller.tenant_id, &Some(a.clone())).await?;
    }
    if let Patch::Set(s) = slug {
        if s != app.slug && store::slug_taken(tx.conn(), &caller.tenant_id, &s, &app.id).await? {
            return Err(slug_clash(&s));
        }
        app.slug = s;
    }
    if let Patch::Set(n) = name {
        app.name = n;
    }
    if let Patch::Set(s) = status {
        app.status = s;
    }
    app.agent_id = agent_id.apply(app.agent_id.take());
    if let Some(o) = origins {
        app.doc["allowedOrigins"] = json!(o);
    }
    if !ttl.is_absent() {
        app.doc["tokenTtlSeconds"] = json!(ttl.apply(app.token_ttl_seconds()));
    }
    if let Some(m) = metadata {
        app.doc["metadata"] = m;
    }
    app.updated_at = now_ms();
    store::update(tx.conn(), &app).await?;
    let out = render(tx.conn(), &app).await?;
    tx.commit().await?;
    Ok(Outcome::Ok(out))
}

pub fn render_binding(b: &BindingRow) -> Value {
    json!({
        "id": b.id,
        "externalAppId": b.external_app_id,
        "deploymentId": b.deployment_id,
        "allowBrowserRuntime": b.allow_browser_runtime,
        "allowServerRuntime": b.allow_server_runtime,
        "allowApprovals": b.allow_approvals,
        "rateLimitPerMinute": b.rate_limit_per_minute,
        "metadata": b.metadata,
        "createdAt": iso(b.created_at),
        "updatedAt": iso(b.updated_at),
    })
}

/// E24: binds (201) or updates an existing binding (200).
pub async fn bind(ctx: &Ctx, caller: &Caller, app_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let app = load(tx.conn(), &caller.tenant_id, app_id).await?;
    let mut f = Fields::new(body);
    let deployment_id = f.req_str("deploymentId", 100);
    let browser = f.opt_bool("allowBrowserRuntime");
    let server = f.opt_bool("allowServerRuntime");
    let approvals = f.opt_bool("allowApprovals");
    let rate = f.patch_int("rateLimitPerMinute", 1, 1_000_000);
    let metadata = f.opt_object("metadata");
    f.finish()?;
    let deployment_id = deployment_id.unwrap_or_default();
    if deployments::get(tx.conn(), &caller.tenant_id, &deployment_id).await?.is_none() {
        return Err(ApiError::invalid("deploymentId", "does not name a deployment of this tenant"));
    }
    let now = now_ms();
    let existing = store::get_binding(tx.conn(), &app.id, &deployment_id).await?;
    let (binding, created) = match existing {
        Some(mut b) => {
            if let Some(v) = browser {
                b.allow_browser_runtime = v;
            }
            if let Some(v) = server {
                b.allow_server_runtime = v;
            }
            if let Some(v) = approvals {
                b.allow_approvals = v;
            }
            b.rate_limit_per_minute = rate.apply(b.rate_limit_per_minute);
            if let Some(m) = metadata {
                b.metadata = m;
            }
            b.updated_at = now;
            store::update_binding(tx.conn(), &b).await?;
            (b, false)
        }
        None => {
            let b = BindingRow {
                id: new_id(),
                tenant_id: caller.tenant_id.clone(),
                external_app_id: app.id.clone(),
                deployment_id,
                allow_browser_runtime: browser.unwrap_or(false),
                allow_server_runtime: server.unwrap_or(true),
                allow_approvals: approvals.unwrap_or(false),
                rate_limit_per_minute: rate.apply(None),
                metadata: metadata.unwrap_or_else(|| json!({})),
                created_at: now,
                updated_at: now,
            };
            store::insert_binding(tx.conn(), &b).await?;
            (b, true)
        }
    };
    tx.commit().await?;
    let out = render_binding(&binding);
    Ok(if created { Outcome::Created(out) } else { Outcome::Ok(out) })
}
