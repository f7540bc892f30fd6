//! Sources (E53–E57), source groups (E50–E52), ingestion policies (E58–E60), the
//! governance policy (E61) and profiles (E62–E64) of a knowledge base.

use serde_json::{Value, json};
use zaby_knowledge::ProfileConfig;

use super::{ACTIVE_INACTIVE, from_field_error, load_kb, render_job};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, enum_param, list_body, page_request, str_param};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::knowledge::{self as store, GovernanceRow, ItemRow, Kind};
use crate::storage::sql::Conn;
use crate::util::clock::{iso, iso_opt, now_ms};
use crate::util::ids::new_id;
use crate::util::input::{Fields, Patch};

const SYNC_MODES: &[&str] = &["MANUAL", "SCHEDULED"];

fn base(r: &ItemRow) -> Value {
    json!({"id": r.id, "knowledgeBaseId": r.kb_id})
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

fn stamps(r: &ItemRow) -> Value {
    json!({"createdAt": iso(r.created_at), "updatedAt": iso(r.updated_at)})
}

fn new_item(caller: &Caller, kb_id: &str, status: String, doc: Value) -> ItemRow {
    let now = now_ms();
    ItemRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        kb_id: kb_id.to_string(),
        status,
        link: None,
        extra: None,
        checked_until: now,
        doc,
        created_at: now,
        updated_at: now,
    }
}

async fn load_item(conn: &mut Conn, kind: Kind, caller: &Caller, kb_id: &str, id: &str) -> ApiResult<ItemRow> {
    let what = match kind {
        Kind::SourceGroup => "source group",
        Kind::Source => "source",
        Kind::Policy => "ingestion policy",
        Kind::Profile => "profile",
    };
    store::get_item(conn, kind, &caller.tenant_id, kb_id, id).await?.ok_or_else(|| ApiError::not_found(what))
}

/// Applies an optional-object patch (`null` not allowed) to `doc[key]`.
fn patch_object(f: &mut Fields, doc: &mut Value, key: &str) {
    if let Some(v) = f.present_object(key) {
        doc[key] = v;
    }
}

fn required_name(f: &mut Fields, create: bool) -> Option<String> {
    if create {
        return f.req_str("name", 200);
    }
    match f.patch_str("name", 200, false) {
        Patch::Null => {
            f.error("name", "must not be null");
            None
        }
        Patch::Set(s) => Some(s),
        Patch::Absent => None,
    }
}

fn status_patch(f: &mut Fields, create: bool) -> Option<String> {
    if create {
        return f.opt_enum("status", ACTIVE_INACTIVE);
    }
    match f.patch_enum("status", ACTIVE_INACTIVE) {
        Patch::Null => {
            f.error("status", "must not be null");
            None
        }
        Patch::Set(s) => Some(s),
        Patch::Absent => None,
    }
}

// ---------------------------------------------------------------- source groups

async fn render_group(conn: &mut Conn, r: &ItemRow) -> ApiResult<Value> {
    let count = store::count_group_sources(conn, &r.id).await?;
    let d = &r.doc;
    Ok(merge(
        merge(base(r), stamps(r)),
        json!({
            "name": d["name"], "sourceType": d["sourceType"], "syncMode": d["syncMode"], "status": r.status,
            "description": d["description"], "metadata": d["metadata"], "sourceCount": count,
        }),
    ))
}

/// E51 / E52.
pub async fn save_group(ctx: &Ctx, caller: &Caller, kb_id: &str, id: Option<&str>, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let existing = match id {
        Some(id) => Some(load_item(tx.conn(), Kind::SourceGroup, caller, &kb.id, id).await?),
        None => None,
    };
    let create = existing.is_none();
    let mut f = Fields::new(body);
    let name = required_name(&mut f, create);
    let source_type = f.opt_str("sourceType", 200);
    let sync_mode = f.opt_enum("syncMode", SYNC_MODES);
    let status = status_patch(&mut f, create);
    let description = f.patch_str("description", 10_000, true);
    let mut r = existing.clone().unwrap_or_else(|| {
        new_item(
            caller,
            &kb.id,
            "ACTIVE".into(),
            json!({"sourceType": "MANUAL_UPLOAD", "syncMode": "MANUAL", "description": null, "metadata": {}}),
        )
    });
    patch_object(&mut f, &mut r.doc, "metadata");
    f.finish()?;
    if let Some(n) = name {
        r.doc["name"] = json!(n);
    }
    if let Some(s) = source_type {
        r.doc["sourceType"] = json!(s);
    }
    if let Some(s) = sync_mode {
        r.doc["syncMode"] = json!(s);
    }
    if let Some(s) = status {
        r.status = s;
    }
    match description {
        Patch::Absent => {}
        Patch::Null => r.doc["description"] = Value::Null,
        Patch::Set(s) => r.doc["description"] = json!(s),
    }
    r.updated_at = now_ms();
    if create {
        store::insert_item(tx.conn(), Kind::SourceGroup, &r).await?;
    } else {
        store::update_item(tx.conn(), Kind::SourceGroup, &r).await?;
    }
    let out = render_group(tx.conn(), &r).await?;
    tx.commit().await?;
    Ok(if create { Outcome::Created(out) } else { Outcome::Ok(out) })
}

/// E50.
pub async fn list_groups(ctx: &Ctx, caller: &Caller, kb_id: &str, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let mut eqs = Vec::new();
    if let Some(s) = enum_param(q, "status", ACTIVE_INACTIVE)? {
        eqs.push(("status", s));
    }
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let rows = store::list_items(&mut conn, Kind::SourceGroup, &caller.tenant_id, &kb.id, &eqs, &page).await?;
    let mut items = Vec::new();
    for r in &rows.items {
        items.push(render_group(&mut conn, r).await?);
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        crate::storage::page::Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

// ---------------------------------------------------------------- sources

pub async fn render_source(conn: &mut Conn, r: &ItemRow) -> ApiResult<Value> {
    let count = store::count_source_documents(conn, &r.id).await?;
    let d = &r.doc;
    Ok(merge(
        merge(base(r), stamps(r)),
        json!({
            "sourceGroupId": r.link, "name": d["name"], "type": r.extra, "config": d["config"], "status": r.status,
            "credentialId": d["credentialId"], "lastSyncedAt": iso_opt(d["lastSyncedAt"].as_i64()),
            "lastJobId": d["lastJobId"], "documentCount": count, "metadata": d["metadata"],
        }),
    ))
}

const SOURCE_STATUSES: &[&str] = &["ACTIVE", "INACTIVE", "ERROR"];

/// E54 / E55.
pub async fn save_source(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    body: &Value,
) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let existing = match id {
        Some(id) => Some(load_item(tx.conn(), Kind::Source, caller, &kb.id, id).await?),
        None => None,
    };
    let create = existing.is_none();
    let mut f = Fields::new(body);
    let name = required_name(&mut f, create);
    let kind = if create {
        f.req_str("type", 200)
    } else {
        match f.patch_str("type", 200, false) {
            Patch::Null => {
                f.error("type", "must not be null");
                None
            }
            Patch::Set(s) => Some(s),
            Patch::Absent => None,
        }
    };
    let status = if create {
        f.opt_enum("status", ACTIVE_INACTIVE)
    } else {
        match f.patch_enum("status", SOURCE_STATUSES) {
            Patch::Null => {
                f.error("status", "must not be null");
                None
            }
            Patch::Set(s) => Some(s),
            Patch::Absent => None,
        }
    };
    let group = f.patch_str("sourceGroupId", 100, false);
    let mut r = existing.clone().unwrap_or_else(|| {
        new_item(
            caller,
            &kb.id,
            "ACTIVE".into(),
            json!({"config": {}, "credentialId": null, "lastSyncedAt": null, "lastJobId": null, "metadata": {}}),
        )
    });
    patch_object(&mut f, &mut r.doc, "config");
    patch_object(&mut f, &mut r.doc, "metadata");
    f.finish()?;
    match group {
        Patch::Absent => {}
        Patch::Null => r.link = None,
        Patch::Set(g) => {
            if store::get_item(tx.conn(), Kind::SourceGroup, &caller.tenant_id, &kb.id, &g).await?.is_none() {
                return Err(ApiError::invalid("sourceGroupId", "does not name a source group of this knowledge base"));
            }
            r.link = Some(g);
        }
    }
    if let Some(n) = name {
        r.doc["name"] = json!(n);
    }
    if let Some(k) = kind {
        r.extra = Some(k);
    }
    if let Some(s) = status {
        r.status = s;
    }
    r.updated_at = now_ms();
    if create {
        store::insert_item(tx.conn(), Kind::Source, &r).await?;
    } else {
        store::update_item(tx.conn(), Kind::Source, &r).await?;
    }
    let out = render_source(tx.conn(), &r).await?;
    tx.commit().await?;
    Ok(if create { Outcome::Created(out) } else { Outcome::Ok(out) })
}

/// E53.
pub async fn list_sources(ctx: &Ctx, caller: &Caller, kb_id: &str, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let mut eqs = Vec::new();
    if let Some(s) = enum_param(q, "status", SOURCE_STATUSES)? {
        eqs.push(("status", s));
    }
    if let Some(t) = str_param(q, "type") {
        eqs.push(("type", t));
    }
    if let Some(g) = str_param(q, "sourceGroupId") {
        eqs.push(("source_group_id", g));
    }
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let rows = store::list_items(&mut conn, Kind::Source, &caller.tenant_id, &kb.id, &eqs, &page).await?;
    let mut items = Vec::new();
    for r in &rows.items {
        items.push(render_source(&mut conn, r).await?);
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        crate::storage::page::Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

/// E56: queues a SOURCE_SYNC job.
pub async fn reprocess_source(ctx: &Ctx, caller: &Caller, kb_id: &str, id: &str) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut s = load_item(tx.conn(), Kind::Source, caller, &kb.id, id).await?;
    if s.status == "INACTIVE" {
        return Err(ApiError::conflict("CONFLICT", "the source is INACTIVE"));
    }
    let job = super::jobs::queue_sync(ctx, tx.conn(), &kb, &mut s, now_ms()).await?;
    tx.commit().await?;
    super::jobs::wake();
    Ok(Outcome::Created(render_job(&job)))
}

/// E57: sets the source's credential.
pub async fn link_credential(ctx: &Ctx, caller: &Caller, kb_id: &str, id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let mut s = load_item(tx.conn(), Kind::Source, caller, &kb.id, id).await?;
    let mut f = Fields::new(body);
    let credential = f.req_str("credentialId", 200);
    let metadata = f.opt_object("metadata");
    f.finish()?;
    s.doc["credentialId"] = json!(credential);
    if let Some(m) = metadata {
        s.doc["metadata"] = m;
    }
    s.updated_at = now_ms();
    store::update_item(tx.conn(), Kind::Source, &s).await?;
    let out = render_source(tx.conn(), &s).await?;
    tx.commit().await?;
    Ok(Outcome::Ok(out))
}

// ---------------------------------------------------------------- ingestion policies

fn render_policy(r: &ItemRow) -> Value {
    let d = &r.doc;
    merge(
        merge(base(r), stamps(r)),
        json!({
            "name": d["name"], "sourceId": r.link, "sourceGroupId": d["sourceGroupId"], "schedule": r.extra,
            "status": r.status, "config": d["config"], "metadata": d["metadata"],
        }),
    )
}

/// E59 / E60.
pub async fn save_policy(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    body: &Value,
) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let existing = match id {
        Some(id) => Some(load_item(tx.conn(), Kind::Policy, caller, &kb.id, id).await?),
        None => None,
    };
    let create = existing.is_none();
    let mut f = Fields::new(body);
    let name = required_name(&mut f, create);
    let source = f.patch_str("sourceId", 100, false);
    let group = f.patch_str("sourceGroupId", 100, false);
    let schedule = f.patch_str("schedule", 200, false);
    let status = status_patch(&mut f, create);
    let mut r = existing.clone().unwrap_or_else(|| {
        new_item(caller, &kb.id, "ACTIVE".into(), json!({"sourceGroupId": null, "config": {}, "metadata": {}}))
    });
    patch_object(&mut f, &mut r.doc, "config");
    patch_object(&mut f, &mut r.doc, "metadata");
    if let Patch::Set(expr) = &schedule
        && let Err(e) = zaby_knowledge::Schedule::parse(expr)
    {
        let msg = e.message.clone();
        f.error("schedule", msg);
    }
    f.finish()?;
    match source {
        Patch::Absent => {}
        Patch::Null => r.link = None,
        Patch::Set(s) => {
            if store::get_item(tx.conn(), Kind::Source, &caller.tenant_id, &kb.id, &s).await?.is_none() {
                return Err(ApiError::invalid("sourceId", "does not name a source of this knowledge base"));
            }
            r.link = Some(s);
        }
    }
    match group {
        Patch::Absent => {}
        Patch::Null => r.doc["sourceGroupId"] = Value::Null,
        Patch::Set(g) => {
            if store::get_item(tx.conn(), Kind::SourceGroup, &caller.tenant_id, &kb.id, &g).await?.is_none() {
                return Err(ApiError::invalid("sourceGroupId", "does not name a source group of this knowledge base"));
            }
            r.doc["sourceGroupId"] = json!(g);
        }
    }
    let now = now_ms();
    match schedule {
        Patch::Absent => {}
        Patch::Null => r.extra = None,
        Patch::Set(s) => {
            let parsed = zaby_knowledge::Schedule::parse(&s).map_err(from_field_error)?;
            r.extra = Some(parsed.as_str().to_string());
            // A new schedule counts from now.
            r.checked_until = now;
        }
    }
    if let Some(n) = name {
        r.doc["name"] = json!(n);
    }
    if let Some(s) = status {
        if s == "ACTIVE" && r.status != "ACTIVE" {
            r.checked_until = now;
        }
        r.status = s;
    }
    r.updated_at = now;
    if create {
        store::insert_item(tx.conn(), Kind::Policy, &r).await?;
    } else {
        store::update_item(tx.conn(), Kind::Policy, &r).await?;
    }
    tx.commit().await?;
    let out = render_policy(&r);
    Ok(if create { Outcome::Created(out) } else { Outcome::Ok(out) })
}

/// E58.
pub async fn list_policies(ctx: &Ctx, caller: &Caller, kb_id: &str, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let mut eqs = Vec::new();
    if let Some(s) = enum_param(q, "status", ACTIVE_INACTIVE)? {
        eqs.push(("status", s));
    }
    if let Some(s) = str_param(q, "sourceId") {
        eqs.push(("source_id", s));
    }
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let rows = store::list_items(&mut conn, Kind::Policy, &caller.tenant_id, &kb.id, &eqs, &page).await?;
    Ok(Outcome::Ok(list_body(ctx.settings.max_page_bytes, rows.map(|r| render_policy(&r)))))
}

// ---------------------------------------------------------------- governance

/// E61: one policy per knowledge base, versioned.
pub async fn upsert_governance(ctx: &Ctx, caller: &Caller, kb_id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let rules = match f.raw("rules") {
        Some(Value::Array(items)) => {
            for (i, r) in items.iter().enumerate() {
                if !r.is_object() {
                    f.error(&format!("rules.{i}"), "must be an object");
                }
            }
            Some(Value::Array(items.clone()))
        }
        None | Some(Value::Null) => {
            f.error("rules", "is required");
            None
        }
        Some(_) => {
            f.error("rules", "must be an array of objects");
            None
        }
    };
    let settings = f.opt_object("settings");
    let metadata = f.opt_object("metadata");
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    f.finish()?;
    let now = now_ms();
    let doc = json!({
        "rules": rules,
        "settings": settings.unwrap_or_else(|| json!({})),
        "metadata": metadata.unwrap_or_else(|| json!({})),
    });
    let (g, created) = match store::get_governance(tx.conn(), &kb.id).await? {
        Some(mut g) => {
            g.version += 1;
            g.doc = doc;
            g.updated_at = now;
            store::save_governance(tx.conn(), &caller.tenant_id, &g, false).await?;
            (g, false)
        }
        None => {
            let g =
                GovernanceRow { id: new_id(), kb_id: kb.id.clone(), version: 1, doc, created_at: now, updated_at: now };
            store::save_governance(tx.conn(), &caller.tenant_id, &g, true).await?;
            (g, true)
        }
    };
    tx.commit().await?;
    let out = json!({
        "id": g.id, "knowledgeBaseId": g.kb_id, "rules": g.doc["rules"], "settings": g.doc["settings"],
        "metadata": g.doc["metadata"], "version": g.version, "createdAt": iso(g.created_at), "updatedAt": iso(g.updated_at),
    });
    Ok(if created { Outcome::Created(out) } else { Outcome::Ok(out) })
}

// ---------------------------------------------------------------- profiles

pub fn render_profile(r: &ItemRow) -> Value {
    let d = &r.doc;
    merge(
        merge(base(r), stamps(r)),
        json!({
            "name": d["name"], "description": d["description"], "config": d["config"],
            "isDefault": r.status == "1", "metadata": d["metadata"],
        }),
    )
}

/// E63 / E64.
pub async fn save_profile(
    ctx: &Ctx,
    caller: &Caller,
    kb_id: &str,
    id: Option<&str>,
    body: &Value,
) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let kb = load_kb(tx.conn(), &caller.tenant_id, kb_id).await?;
    let existing = match id {
        Some(id) => Some(load_item(tx.conn(), Kind::Profile, caller, &kb.id, id).await?),
        None => None,
    };
    let create = existing.is_none();
    let mut f = Fields::new(body);
    let name = required_name(&mut f, create);
    let description = f.patch_str("description", 10_000, true);
    let is_default = f.opt_bool("isDefault");
    let mut r = existing.clone().unwrap_or_else(|| {
        new_item(caller, &kb.id, "0".into(), json!({"description": null, "config": {}, "metadata": {}}))
    });
    patch_object(&mut f, &mut r.doc, "config");
    patch_object(&mut f, &mut r.doc, "metadata");
    if let Err(e) = ProfileConfig::from_json(&r.doc["config"]) {
        f.error(&e.field, e.message);
    }
    f.finish()?;
    if let Some(n) = name {
        r.doc["name"] = json!(n);
    }
    match description {
        Patch::Absent => {}
        Patch::Null => r.doc["description"] = Value::Null,
        Patch::Set(s) => r.doc["description"] = json!(s),
    }
    let now = now_ms();
    if let Some(d) = is_default {
        r.status = if d { "1".into() } else { "0".into() };
        if d {
            store::clear_default_profiles(tx.conn(), &kb.id, &r.id, now).await?;
        }
    }
    r.updated_at = now;
    if create {
        store::insert_item(tx.conn(), Kind::Profile, &r).await?;
    } else {
        store::update_item(tx.conn(), Kind::Profile, &r).await?;
    }
    tx.commit().await?;
    let out = render_profile(&r);
    Ok(if create { Outcome::Created(out) } else { Outcome::Ok(out) })
}

/// E62.
pub async fn list_profiles(ctx: &Ctx, caller: &Caller, kb_id: &str, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let mut conn = ctx.db.read().await?;
    let kb = load_kb(&mut conn, &caller.tenant_id, kb_id).await?;
    let rows = store::list_items(&mut conn, Kind::Profile, &caller.tenant_id, &kb.id, &[], &page).await?;
    Ok(Outcome::Ok(list_body(ctx.settings.max_page_bytes, rows.map(|r| render_profile(&r)))))
}
