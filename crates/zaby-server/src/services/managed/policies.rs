//! Runtime-token (quota) policies (E31–E34).

use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, bool_param, enum_param, list_body, page_request, str_param};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::policies::{self as store, PolicyFilter, PolicyRow};
use crate::storage::sql::Conn;
use crate::storage::{apps, deployments};
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;
use crate::util::input::{Fields, Patch};

pub const POLICY_STATUSES: &[&str] = &["ACTIVE", "INACTIVE"];

/// Nullable integer settings kept in the policy document: `(key, min, max)`.
const INT_FIELDS: &[(&str, i64, i64)] = &[
    ("maxConcurrentRuns", 1, 1_000_000),
    ("tokenTtlSeconds", 1, 86_400),
    ("maxUsesPerToken", 1, i64::MAX / 2),
    ("rotateBeforeExpirySeconds", 0, 86_400),
    ("windowDurationMs", 1, i64::MAX / 2),
    ("maxTokens", 1, i64::MAX / 2),
];

pub fn render(p: &PolicyRow) -> Value {
    let d = &p.doc;
    json!({
        "id": p.id,
        "name": p.name,
        "externalAppId": p.external_app_id,
        "deploymentId": p.deployment_id,
        "maxConcurrentRuns": d["maxConcurrentRuns"],
        "tokenTtlSeconds": d["tokenTtlSeconds"],
        "maxUsesPerToken": d["maxUsesPerToken"],
        "autoRotateEnabled": d["autoRotateEnabled"],
        "rotateBeforeExpirySeconds": d["rotateBeforeExpirySeconds"],
        "status": p.status,
        "metadata": d["metadata"],
        "windowDurationMs": d["windowDurationMs"],
        "maxTokens": d["maxTokens"],
        "createdAt": iso(p.created_at),
        "updatedAt": iso(p.updated_at),
    })
}

pub async fn load(conn: &mut Conn, tenant_id: &str, id: &str) -> ApiResult<PolicyRow> {
    store::get(conn, tenant_id, id).await?.ok_or_else(|| ApiError::not_found("runtime token policy"))
}

pub async fn create(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let name = f.req_str("name", 200);
    let app_id = f.req_str("externalAppId", 100);
    let deployment_id = f.req_str("deploymentId", 100);
    let mut doc = json!({});
    for (key, min, max) in INT_FIELDS {
        doc[*key] = json!(f.opt_int(key, *min, *max));
    }
    doc["autoRotateEnabled"] = json!(f.opt_bool("autoRotateEnabled").unwrap_or(false));
    doc["metadata"] = f.opt_object("metadata").unwrap_or_else(|| json!({}));
    let status = f.opt_enum("status", POLICY_STATUSES);
    f.finish()?;
    let (app_id, deployment_id) = (app_id.unwrap_or_default(), deployment_id.unwrap_or_default());
    let mut tx = ctx.db.write().await?;
    if apps::get(tx.conn(), &caller.tenant_id, &app_id).await?.is_none() {
        return Err(ApiError::invalid("externalAppId", "does not name an external app of this tenant"));
    }
    if deployments::get(tx.conn(), &caller.tenant_id, &deployment_id).await?.is_none() {
        return Err(ApiError::invalid("deploymentId", "does not name a deployment of this tenant"));
    }
    let now = now_ms();
    let p = PolicyRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        external_app_id: app_id,
        deployment_id,
        name: name.unwrap_or_default(),
        status: status.unwrap_or_else(|| "ACTIVE".into()),
        doc,
        created_at: now,
        updated_at: now,
    };
    store::insert(tx.conn(), &p).await?;
    tx.commit().await?;
    Ok(Outcome::Created(render(&p)))
}

pub async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    Ok(Outcome::Ok(render(&load(&mut conn, &caller.tenant_id, id).await?)))
}

pub async fn list(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let mut status = enum_param(q, "status", POLICY_STATUSES)?;
    if bool_param(q, "activeOnly")?.unwrap_or(false) {
        if status.as_deref() == Some("INACTIVE") {
            status = Some("__none__".into());
        } else {
            status = Some("ACTIVE".into());
        }
    }
    let filter = PolicyFilter {
        external_app_id: str_param(q, "externalAppId"),
        deployment_id: str_param(q, "deploymentId"),
        status,
        ..Default::default()
    };
    let mut conn = ctx.db.read().await?;
    let rows = store::list(&mut conn, &caller.tenant_id, &filter, &page).await?;
    Ok(Outcome::Ok(list_body(ctx.settings.max_page_bytes, rows.map(|r| render(&r)))))
}

pub async fn update(ctx: &Ctx, caller: &Caller, id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let mut p = load(tx.conn(), &caller.tenant_id, id).await?;
    let mut f = Fields::new(body);
    for (key, current) in [("externalAppId", p.external_app_id.clone()), ("deploymentId", p.deployment_id.clone())] {
        if let Some(v) = f.raw(key)
            && v.as_str() != Some(current.as_str())
        {
            f.error(key, "cannot be changed");
        }
    }
    let name = f.patch_str("name", 200, false);
    if name == Patch::Null {
        f.error("name", "must not be null");
    }
    let status = f.patch_enum("status", POLICY_STATUSES);
    if status == Patch::Null {
        f.error("status", "must not be null");
    }
    let mut ints = Vec::new();
    for (key, min, max) in INT_FIELDS {
        ints.push((*key, f.patch_int(key, *min, *max)));
    }
    let auto_rotate = f.opt_bool("autoRotateEnabled");
    let metadata = f.present_object("metadata");
    f.finish()?;
    if let Patch::Set(n) = name {
        p.name = n;
    }
    if let Patch::Set(s) = status {
        p.status = s;
    }
    for (key, patch) in ints {
        match patch {
            Patch::Absent => {}
            Patch::Null => p.doc[key] = Value::Null,
            Patch::Set(n) => p.doc[key] = json!(n),
        }
    }
    if let Some(b) = auto_rotate {
        p.doc["autoRotateEnabled"] = json!(b);
    }
    if let Some(m) = metadata {
        p.doc["metadata"] = m;
    }
    p.updated_at = now_ms();
    store::update(tx.conn(), &p).await?;
    tx.commit().await?;
    Ok(Outcome::Ok(render(&p)))
}
