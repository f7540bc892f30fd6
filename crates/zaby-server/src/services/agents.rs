//! Agents: create, read, list, partial update, delete, publish and attachments.

use serde_json::{Map, Value, json};

use super::paging::{Query, enum_param, list_body, page_request, str_param};
use super::{Caller, Ctx, Outcome};
use crate::error::{ApiError, ApiResult};
use crate::storage::agents::{self as store, AgentFilter, AgentRow, VersionRow};
use crate::storage::deployments;
use crate::storage::sql::{Conn, lock_row};
use crate::util::canonical::canonical_json;
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;
use crate::util::input::{Fields, Patch, is_slug};

pub const STATUSES: &[&str] = &["DRAFT", "ACTIVE", "PAUSED", "DISABLED"];
pub const CATEGORIES: &[&str] = &["SUPPORT", "SALES", "OPERATIONS", "AUTONOMOUS", "INTERNAL", "TUTOR"];
pub const VISIBILITIES: &[&str] = &["PUBLIC", "PREMIUM", "PRIVATE"];

const NAME_MAX: usize = 200;
const TEXT_MAX: usize = 10_000;
const INSTRUCTIONS_MAX: usize = 200_000;
const SHORT_MAX: usize = 200;

/// The `Agent` object of `docs/api/agents.md`.
pub async fn render(conn: &mut Conn, ctx: &Ctx, a: &AgentRow) -> ApiResult<Value> {
    let active = deployments::by_agent_status(conn, &a.tenant_id, &a.id, "ACTIVE").await?;
    let runtime_url = ctx.settings.runtime_url();
    let active: Vec<Value> = active
        .iter()
        .map(|d| {
            json!({
                "id": d.id, "status": "ACTIVE", "runtimeUrl": runtime_url,
                "environment": d.environment, "agentVersionId": d.agent_version_id,
            })
        })
        .collect();
    let doc = &a.doc;
    Ok(json!({
        "id": a.id,
        "slug": a.slug,
        "name": a.name,
        "description": doc["description"],
        "defaultModel": doc["defaultModel"],
        "instructions": doc["instructions"],
        "category": a.category,
        "visibility": a.visibility,
        "config": doc["config"],
        "metadata": doc["metadata"],
        "tags": doc["tags"],
        "provider": doc["provider"],
        "status": a.status,
        "latestVersionId": a.latest_version_id,
        "latestVersion": a.latest_version,
        "activeDeployments": active,
        "mcpTools": doc["mcpTools"],
        "knowledgeBases": doc["knowledgeBases"],
        "skills": doc["skills"],
        "createdAt": iso(a.created_at),
        "updatedAt": iso(a.updated_at),
    }))
}

/// Loads an agent of the caller's tenant or answers 404.
pub async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<AgentRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("agent"))
}

fn nullable_text(v: Option<String>) -> Value {
    v.map(Value::String).unwrap_or(Value::Null)
}

pub async fn create(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let slug = f.req_str("slug", 100);
    if let Some(s) = &slug
        && !is_slug(s)
    {
        f.error("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
    }
    let name = f.req_str("name", NAME_MAX);
    let description = f.opt_text("description", TEXT_MAX);
    let default_model = f.opt_str("defaultModel", SHORT_MAX);
    let instructions = f.opt_text("instructions", INSTRUCTIONS_MAX);
    let category = f.opt_enum("category", CATEGORIES);
    let visibility = f.opt_enum("visibility", VISIBILITIES);
    let config = f.opt_object("config");
    let metadata = f.opt_object("metadata");
    let tags = f.opt_str_list("tags", SHORT_MAX);
    let provider = f.opt_text("provider", SHORT_MAX);
    f.finish()?;
    let (slug, name) = (slug.unwrap_or_default(), name.unwrap_or_default());
    let now = now_ms();
    let row = AgentRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug,
        name,
        status: "DRAFT".into(),
        category,
        visibility: visibility.unwrap_or_else(|| "PRIVATE".into()),
        doc: json!({
            "description": nullable_text(description),
            "defaultModel": default_model.unwrap_or_else(|| "zaby".into()),
            "instructions": nullable_text(instructions),
            "config": config.unwrap_or_else(|| json!({})),
            "metadata": metadata.unwrap_or_else(|| json!({})),
            "tags": tags.unwrap_or_default(),
            "provider": nullable_text(provider),
            "mcpTools": [],
            "knowledgeBases": [],
            "skills": [],
        }),
        latest_version: None,
        latest_version_id: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = ctx.db.write().await?;
    if store::slug_taken(tx.conn(), &row.tenant_id, &row.slug, None).await? {
        return Err(slug_clash(&row.slug));
    }
    store::insert(tx.conn(), &row).await.map_err(|e| unique_to_clash(e, &row.slug))?;
    let out = render(tx.conn(), ctx, &row).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}

fn slug_clash(slug: &str) -> ApiError {
    ApiError::conflict("SLUG_ALREADY_EXISTS", format!("slug '{slug}' is already in use"))
        .with_details(json!({"errors": [{"field": "slug", "message": "is already in use"}]}))
}

/// A unique-index violation racing past the pre-check is still a slug clash.
fn unique_to_clash(err: sqlx::Error, slug: &str) -> ApiError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => slug_clash(slug),
        _ => err.into(),
    }
}

pub async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let a = load(&mut conn, &caller.tenant_id, id).await?;
    Ok(Outcome::Ok(render(&mut conn, ctx, &a).await?))
}

pub async fn list(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let filter = AgentFilter {
        status: enum_param(q, "status", STATUSES)?,
        category: enum_param(q, "category", CATEGORIES)?,
        visibility: enum_param(q, "visibility", VISIBILITIES)?,
        q: str_param(q, "q"),
    };
    let mut conn = ctx.db.read().await?;
    let rows = store::list(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for a in &rows.items {
        items.push(render(&mut conn, ctx, a).await?);
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        crate::storage::page::Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

/// Applies a patch to a non-nullable field.
fn required_patch<T>(f: &mut Fields, key: &str, p: Patch<T>) -> Option<T> {
    match p {
        Patch::Absent => None,
        Patch::Null => {
            f.error(key, "must not be null");
            None
        }
        Patch::Set(v) => Some(v),
    }
}

pub async fn update(ctx: &Ctx, caller: &Caller, id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let mut a = load(tx.conn(), &caller.tenant_id, id).await?;
    let mut f = Fields::new(body);
    let slug = f.patch_str("slug", 100, false);
    let slug = required_patch(&mut f, "slug", slug);
    if let Some(s) = &slug
        && !is_slug(s)
    {
        f.error("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
    }
    let name = f.patch_str("name", NAME_MAX, false);
    let name = required_patch(&mut f, "name", name);
    let description = f.patch_str("description", TEXT_MAX, true);
    let default_model = f.patch_str("defaultModel", SHORT_MAX, false);
    let default_model = required_patch(&mut f, "defaultModel", default_model);
    let instructions = f.patch_str("instructions", INSTRUCTIONS_MAX, true);
    let category = f.patch_enum("category", CATEGORIES);
    let visibility = f.patch_enum("visibility", VISIBILITIES);
    let visibility = required_patch(&mut f, "visibility", visibility);
    let status = f.patch_enum("status", STATUSES);
    let status = required_patch(&mut f, "status", status);
    let provider = f.patch_str("provider", SHORT_MAX, true);
    let config = f.present_object("config");
    let metadata = f.present_object("metadata");
    let tags = f.present_str_list("tags", SHORT_MAX);
    if status.as_deref() == Some("DRAFT") && a.latest_version.is_some() {
        f.error("status", "cannot return to DRAFT after the agent was published");
    }
    f.finish()?;
    if let Some(s) = slug {
        if s != a.slug && store::slug_taken(tx.conn(), &a.tenant_id, &s, Some(&a.id)).await? {
            return Err(slug_clash(&s));
        }
        a.slug = s;
    }
    if let Some(n) = name {
        a.name = n;
    }
    let doc = a.doc.as_object_mut().expect("agent doc is an object");
    set_nullable(doc, "description", description);
    set_nullable(doc, "instructions", instructions);
    set_nullable(doc, "provider", provider);
    if let Some(m) = default_model {
        doc.insert("defaultModel".into(), Value::String(m));
    }
    if let Some(c) = config {
        doc.insert("config".into(), c);
    }
    if let Some(m) = metadata {
        doc.insert("metadata".into(), m);
    }
    if let Some(t) = tags {
        doc.insert("tags".into(), json!(t));
    }
    a.category = category.apply(a.category.take());
    if let Some(v) = visibility {
        a.visibility = v;
    }
    if let Some(s) = status {
        a.status = s;
    }
    a.updated_at = now_ms();
    let slug_for_err = a.slug.clone();
    store::update(tx.conn(), &a).await.map_err(|e| unique_to_clash(e, &slug_for_err))?;
    let out = render(tx.conn(), ctx, &a).await?;
    tx.commit().await?;
    Ok(Outcome::Ok(out))
}

fn set_nullable(doc: &mut Map<String, Value>, key: &str, p: Patch<String>) {
    match p {
        Patch::Absent => {}
        Patch::Null => {
            doc.insert(key.into(), Value::Null);
        }
        Patch::Set(v) => {
            doc.insert(key.into(), Value::String(v));
        }
    }
}

pub async fn delete(ctx: &Ctx, caller: &Caller, id: &str, q: &Query) -> ApiResult<Outcome> {
    let force = super::paging::bool_param(q, "force")?.unwrap_or(false);
    let mut tx = ctx.db.write().await?;
    // Lock the agent before its deployments (same order as activation).
    lock_row(tx.conn(), "agents", id).await?;
    let a = load(tx.conn(), &caller.tenant_id, id).await?;
    let live = deployments::count_live(tx.conn(), &a.tenant_id, &a.id).await?;
    if live > 0 {
        if !force {
            return Err(ApiError::conflict(
                "AGENT_HAS_ACTIVE_DEPLOYMENTS",
                format!("agent has {live} pending or active deployment(s); pass force=true to delete it anyway"),
            ));
        }
        deployments::deactivate_agent(tx.conn(), &a.tenant_id, &a.id, now_ms()).await?;
    }
    store::delete(tx.conn(), &a.tenant_id, &a.id).await?;
    tx.commit().await?;
    Ok(Outcome::Ok(json!({ "id": a.id, "deleted": true })))
}

/// The frozen part of an agent.
pub fn snapshot(a: &AgentRow) -> Value {
    let d = &a.doc;
    json!({
        "slug": a.slug, "name": a.name, "description": d["description"],
        "defaultModel": d["defaultModel"], "instructions": d["instructions"],
        "category": a.category, "visibility": a.visibility, "config": d["config"],
        "metadata": d["metadata"], "tags": d["tags"], "provider": d["provider"],
        "mcpTools": d["mcpTools"], "knowledgeBases": d["knowledgeBases"], "skills": d["skills"],
    })
}

pub fn render_version(v: &VersionRow) -> Value {
    json!({
        "id": v.id, "agentVersionId": v.id, "agentId": v.agent_id, "version": v.version,
        "status": "PUBLISHED", "snapshot": v.snapshot, "createdAt": iso(v.created_at),
    })
}

pub async fn publish(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    lock_row(tx.conn(), "agents", id).await?;
    let mut a = load(tx.conn(), &caller.tenant_id, id).await?;
    let snap = snapshot(&a);
    if let Some(latest) = store::latest_version(tx.conn(), &a.tenant_id, &a.id).await?
        && canonical_json(&latest.snapshot) == canonical_json(&snap)
    {
        return Ok(Outcome::Ok(render_version(&latest)));
    }
    let now = now_ms();
    let v = VersionRow {
        id: new_id(),
        tenant_id: a.tenant_id.clone(),
        agent_id: a.id.clone(),
        version: a.latest_version.unwrap_or(0) + 1,
        snapshot: snap,
        created_at: now,
    };
    store::insert_version(tx.conn(), &v).await?;
    a.latest_version = Some(v.version);
    a.latest_version_id = Some(v.id.clone());
    if a.status == "DRAFT" {
        a.status = "ACTIVE".into();
    }
    a.updated_at = now;
    store::update(tx.conn(), &a).await?;
    tx.commit().await?;
    Ok(Outcome::Created(render_version(&v)))
}

/// Which attachment list of the agent document.
#[derive(Clone, Copy)]
enum Kind {
    McpTool,
    KnowledgeBase,
    Skill,
}

impl Kind {
    fn list_key(self) -> &'static str {
        match self {
            Kind::McpTool => "mcpTools",
            Kind::KnowledgeBase => "knowledgeBases",
            Kind::Skill => "skills",
        }
    }
}

/// Stores an attachment; the same `key` replaces (200), a new key adds (201).
async fn attach(ctx: &Ctx, caller: &Caller, agent_id: &str, body: &Value, kind: Kind) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    lock_row(tx.conn(), "agents", agent_id).await?;
    let mut a = load(tx.conn(), &caller.tenant_id, agent_id).await?;
    let mut attachment = match kind {
        Kind::Skill => skill_input(body)?,
        Kind::KnowledgeBase => super::attachment_refs::knowledge_base_input(tx.conn(), &a, body).await?,
        Kind::McpTool => super::attachment_refs::mcp_tool_input(tx.conn(), &a, body).await?,
    };
    let key = attachment["key"].as_str().unwrap_or_default().to_string();
    let now = now_ms();
    let list = a.doc[kind.list_key()].as_array_mut().expect("attachment list");
    let existing = list.iter().position(|x| x["key"] == key.as_str());
    let obj = attachment.as_object_mut().expect("attachment object");
    obj.insert("agentId".into(), json!(a.id));
    let replaced = match existing {
        Some(i) => {
            obj.insert("id".into(), list[i]["id"].clone());
            obj.insert("createdAt".into(), list[i]["createdAt"].clone());
            list[i] = attachment.clone();
            true
        }
        None => {
            obj.insert("id".into(), json!(new_id()));
            obj.insert("createdAt".into(), json!(iso(now)));
            list.push(attachment.clone());
            false
        }
    };
    a.updated_at = now;
    store::update(tx.conn(), &a).await?;
    tx.commit().await?;
    Ok(if replaced { Outcome::Ok(attachment) } else { Outcome::Created(attachment) })
}

fn skill_input(body: &Value) -> ApiResult<Value> {
    let mut f = Fields::new(body);
    let skill_id = f.req_str("skillId", SHORT_MAX);
    let key = f.opt_str("key", SHORT_MAX);
    let name = f.opt_str("name", NAME_MAX);
    let enabled = f.opt_bool("enabled");
    let config = f.opt_object("config");
    let metadata = f.opt_object("metadata");
    f.finish()?;
    let skill_id = skill_id.unwrap_or_default();
    Ok(json!({
        "skillId": skill_id,
        "key": key.unwrap_or_else(|| skill_id.clone()),
        "name": name.unwrap_or_else(|| skill_id.clone()),
        "enabled": enabled.unwrap_or(true),
        "config": config.unwrap_or_else(|| json!({})),
        "metadata": metadata.unwrap_or_else(|| json!({})),
    }))
}

pub async fn attach_mcp_tool(ctx: &Ctx, caller: &Caller, agent_id: &str, body: &Value) -> ApiResult<Outcome> {
    attach(ctx, caller, agent_id, body, Kind::McpTool).await
}

pub async fn attach_knowledge_base(ctx: &Ctx, caller: &Caller, agent_id: &str, body: &Value) -> ApiResult<Outcome> {
    attach(ctx, caller, agent_id, body, Kind::KnowledgeBase).await
}

pub async fn attach_skill(ctx: &Ctx, caller: &Caller, agent_id: &str, body: &Value) -> ApiResult<Outcome> {
    attach(ctx, caller, agent_id, body, Kind::Skill).await
}
