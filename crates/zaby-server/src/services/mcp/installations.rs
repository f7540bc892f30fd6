//! Installations (E73–E77), tool policies (E78), credential bindings (E81, E82),
//! auth policies (E83) and access grants (E84).

use serde_json::{Value, json};

use super::{
    INSTALLATION_STATUSES, PERMISSIONS, RISK_LEVELS, load_installation, render_installation, render_installation_tool,
    revoked_error, servers,
};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, enum_param, list_body, page_request, str_param};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::mcp::{
    self as store, AuthPolicyRow, BindingRow, GrantRow, InstallationFilter, InstallationRow, PolicyRow,
};
use crate::storage::page::Page;
use crate::util::clock::{now_ms, parse_bound};
use crate::util::ids::new_id;
use crate::util::input::{Fields, Patch};

/// Whether a server's tools can be discovered without credentials: `NONE` servers,
/// and the built-in one.
fn needs_no_credentials(s: &store::ServerRow) -> bool {
    s.is_builtin || s.auth_mode == "NONE"
}

/// E73. A server never discovered is discovered first (servers that need
/// credentials are discovered once a binding exists: E72).
pub async fn install(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let mut f = Fields::new(body);
    let key = if f.has("serverDefinitionId") || !f.has("serverId") { "serverDefinitionId" } else { "serverId" };
    let server_id = f.req_str(key, 100);
    let name = f.opt_str("name", 200);
    let config = f.opt_object("config");
    let rate = f.opt_int("rateLimitPerMinute", 1, 1_000_000);
    let approval = f.opt_bool("requireToolApproval");
    let metadata = f.opt_object("metadata");
    f.finish()?;
    let server = {
        let mut conn = ctx.db.read().await?;
        store::get_server(&mut conn, &caller.tenant_id, &server_id.unwrap_or_default())
            .await?
            .ok_or_else(|| ApiError::invalid(key, "does not name an MCP server of this tenant"))?
    };
    if server.status != "ACTIVE" {
        return Err(ApiError::conflict("CONFLICT", format!("MCP server {} is not ACTIVE", server.slug)));
    }
    if server.last_discovered_at.is_none() && needs_no_credentials(&server) {
        servers::discover(ctx, &server).await?;
    }
    let now = now_ms();
    let i = InstallationRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        server_id: server.id.clone(),
        name: name.unwrap_or_else(|| server.display_name()),
        status: "ACTIVE".into(),
        config: config.unwrap_or_else(|| json!({})),
        rate_limit_per_minute: rate,
        require_tool_approval: approval.unwrap_or(false),
        metadata: metadata.unwrap_or_else(|| json!({})),
        created_at: now,
        updated_at: now,
        revoked_at: None,
    };
    let mut tx = ctx.db.write().await?;
    store::insert_installation(tx.conn(), &i).await?;
    let out = render_installation(tx.conn(), &i).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}

/// E74.
pub async fn list(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let filter = InstallationFilter {
        status: enum_param(q, "status", INSTALLATION_STATUSES)?,
        server_id: str_param(q, "serverDefinitionId"),
    };
    let mut conn = ctx.db.read().await?;
    let rows = store::installations_page(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for i in &rows.items {
        items.push(render_installation(&mut conn, i).await?);
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

/// E75.
pub async fn update(ctx: &Ctx, caller: &Caller, id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let mut i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let mut f = Fields::new(body);
    let name = f.patch_str("name", 200, false);
    if name == Patch::Null {
        f.error("name", "must not be null");
    }
    let config = f.present_object("config");
    let rate = f.patch_int("rateLimitPerMinute", 1, 1_000_000);
    let approval = f.opt_bool("requireToolApproval");
    let metadata = f.present_object("metadata");
    f.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    if let Patch::Set(n) = name {
        i.name = n;
    }
    if let Some(c) = config {
        i.config = c;
    }
    i.rate_limit_per_minute = rate.apply(i.rate_limit_per_minute);
    if let Some(a) = approval {
        i.require_tool_approval = a;
    }
    if let Some(m) = metadata {
        i.metadata = m;
    }
    i.updated_at = now_ms();
    store::update_installation(tx.conn(), &i).await?;
    let out = render_installation(tx.conn(), &i).await?;
    tx.commit().await?;
    Ok(Outcome::Ok(out))
}

/// E76: idempotent. Revocation disables every tool of the installation at once
/// (the effective policy of a revoked installation's tools is `enabled: false`;
/// the stored policies are kept for the record).
pub async fn revoke(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let mut i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    if !i.revoked() {
        let now = now_ms();
        i.status = "REVOKED".into();
        i.revoked_at = Some(now);
        i.updated_at = now;
        store::update_installation(tx.conn(), &i).await?;
    }
    let out = render_installation(tx.conn(), &i).await?;
    tx.commit().await?;
    ctx.mcp.client.invalidate_scope(&i.id);
    Ok(Outcome::Ok(out))
}

/// E77.
pub async fn tools(ctx: &Ctx, caller: &Caller, id: &str, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let mut conn = ctx.db.read().await?;
    let i = load_installation(&mut conn, &caller.tenant_id, id).await?;
    let rows = store::tools_page(&mut conn, &i.server_id, &page).await?;
    let policies = store::policies_of(&mut conn, &i.id).await?;
    let items = rows
        .items
        .iter()
        .map(|t| render_installation_tool(&i, t, policies.iter().find(|p| p.tool_id == t.id)))
        .collect();
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}

/// E78: `toolId` is a tool id or the tool's name.
pub async fn update_policy(ctx: &Ctx, caller: &Caller, id: &str, tool: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let t = super::calls::load_target(tx.conn(), &caller.tenant_id, id, tool).await?;
    let mut f = Fields::new(body);
    let risk = f.patch_enum("riskOverride", RISK_LEVELS);
    let requires = f.opt_bool("requiresApproval");
    let enabled_key = if f.has("enabled") || !f.has("allowed") { "enabled" } else { "allowed" };
    let enabled = f.opt_bool(enabled_key);
    let role = f.patch_str("requiredRole", 200, false);
    let metadata = f.present_object("metadata");
    f.finish()?;
    let i = t.installation;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    let mut p = store::get_policy(tx.conn(), &i.id, &t.tool.id)
        .await?
        .unwrap_or_else(|| PolicyRow::default_for(&i.id, &t.tool.id));
    p.risk_override = risk.apply(p.risk_override);
    let role_set = matches!(role, Patch::Set(_));
    p.required_role = role.apply(p.required_role);
    if let Some(r) = requires {
        p.requires_approval = Some(r);
    } else if role_set {
        p.requires_approval = Some(true);
    }
    if let Some(e) = enabled {
        p.enabled = e;
    }
    if let Some(m) = metadata {
        p.metadata = m;
    }
    p.updated_at = now_ms();
    store::upsert_policy(tx.conn(), &p).await?;
    tx.commit().await?;
    Ok(Outcome::Ok(render_installation_tool(&i, &t.tool, Some(&p))))
}

/// E81: `credentialId`, or inline `credentials` stored as a new credential sealed
/// with the secrets key. Secrets are never returned.
pub(crate) async fn create_binding(ctx: &Ctx, caller: &Caller, id: &str, body: &Value) -> ApiResult<BindingRow> {
    let mut tx = ctx.db.write().await?;
    let i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let server = super::load_server(tx.conn(), &caller.tenant_id, &i.server_id).await?;
    let mut f = Fields::new(body);
    let credential_id = f.opt_str("credentialId", 100);
    let credentials = f.opt_object("credentials");
    let metadata = f.opt_object("metadata");
    match (&credential_id, &credentials) {
        (None, None) if !f.has_errors() => f.error("credentialId", "is required (or credentials)"),
        (Some(_), Some(_)) => f.error("credentials", "cannot be combined with credentialId"),
        _ => {}
    }
    if let Some(c) = &credentials
        && let Err(e) = zaby_mcp::check_credentials(&server.auth_mode, c)
    {
        f.error("credentials", e.to_string());
    }
    f.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    let now = now_ms();
    let credential_id = match (credential_id, credentials) {
        (Some(cid), _) => {
            if !store::credential_exists(tx.conn(), &caller.tenant_id, &cid).await? {
                return Err(ApiError::invalid("credentialId", "does not name a credential of this tenant"));
            }
            cid
        }
        (None, Some(c)) => {
            let cid = new_id();
            let sealed = ctx.mcp.seal(c.to_string().as_bytes());
            store::insert_credential(tx.conn(), &cid, &caller.tenant_id, &server.auth_mode, &sealed, now).await?;
            cid
        }
        (None, None) => unreachable!("checked above"),
    };
    let b = BindingRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        installation_id: i.id.clone(),
        credential_id,
        status: "ACTIVE".into(),
        metadata: metadata.unwrap_or_else(|| json!({})),
        created_at: now,
    };
    store::insert_binding(tx.conn(), &b).await?;
    tx.commit().await?;
    ctx.mcp.client.invalidate_scope(&i.id);
    Ok(b)
}

/// E82: the id of the deleted binding.
pub(crate) async fn delete_binding(ctx: &Ctx, caller: &Caller, binding_id: &str) -> ApiResult<String> {
    let mut tx = ctx.db.write().await?;
    let b = store::get_binding(tx.conn(), &caller.tenant_id, binding_id)
        .await?
        .ok_or_else(|| ApiError::not_found("credential binding"))?;
    store::delete_binding(tx.conn(), &b.id).await?;
    tx.commit().await?;
    ctx.mcp.client.invalidate_scope(&b.installation_id);
    Ok(b.id)
}

/// E83: one policy per installation; `true` when it was created (201), `false` when
/// it replaced the earlier one (200).
pub(crate) async fn upsert_auth_policy(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    body: &Value,
) -> ApiResult<(AuthPolicyRow, bool)> {
    let mut tx = ctx.db.write().await?;
    let i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let mut f = Fields::new(body);
    let kind = f.req_str("type", 100);
    let config = f.opt_object("config");
    let metadata = f.opt_object("metadata");
    f.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    let now = now_ms();
    let existing = store::get_auth_policy(tx.conn(), &i.id).await?;
    let created = existing.is_none();
    let p = AuthPolicyRow {
        id: existing.as_ref().map(|p| p.id.clone()).unwrap_or_else(new_id),
        tenant_id: caller.tenant_id.clone(),
        installation_id: i.id.clone(),
        kind: kind.unwrap_or_default(),
        config: config.unwrap_or_else(|| json!({})),
        metadata: metadata.unwrap_or_else(|| json!({})),
        created_at: existing.as_ref().map(|p| p.created_at).unwrap_or(now),
        updated_at: now,
    };
    if created {
        store::insert_auth_policy(tx.conn(), &p).await?;
    } else {
        store::update_auth_policy(tx.conn(), &p).await?;
    }
    tx.commit().await?;
    ctx.mcp.client.invalidate_scope(&i.id);
    Ok((p, created))
}

/// E84: `true` for a new grant (201), `false` when the agent already had one,
/// now updated (200).
pub(crate) async fn grant_access(ctx: &Ctx, caller: &Caller, id: &str, body: &Value) -> ApiResult<(GrantRow, bool)> {
    let mut tx = ctx.db.write().await?;
    let i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let mut f = Fields::new(body);
    let agent_id = f.req_str("agentId", 100);
    let permissions = f.opt_str_list("permissions", 50);
    if let Some(list) = &permissions {
        for (n, p) in list.iter().enumerate() {
            if !PERMISSIONS.contains(&p.as_str()) {
                f.error(&format!("permissions.{n}"), format!("must be one of {}", PERMISSIONS.join(", ")));
            }
        }
    }
    let expires_at = match f.raw("expiresAt") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match parse_bound(s, false) {
            Some(ms) => Some(ms),
            None => {
                f.error("expiresAt", "must be an ISO-8601 timestamp");
                None
            }
        },
        Some(_) => {
            f.error("expiresAt", "must be an ISO-8601 timestamp or null");
            None
        }
    };
    let metadata = f.opt_object("metadata");
    f.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    let agent_id = agent_id.unwrap_or_default();
    if crate::storage::agents::get(tx.conn(), &caller.tenant_id, &agent_id).await?.is_none() {
        return Err(ApiError::invalid("agentId", "does not name an agent of this tenant"));
    }
    let now = now_ms();
    let existing = store::get_grant(tx.conn(), &i.id, &agent_id).await?;
    let mut permissions = permissions.unwrap_or_else(|| vec!["invoke".into()]);
    permissions.dedup();
    let g = GrantRow {
        id: existing.as_ref().map(|g| g.id.clone()).unwrap_or_else(new_id),
        tenant_id: caller.tenant_id.clone(),
        installation_id: i.id.clone(),
        agent_id,
        permissions,
        expires_at,
        metadata: metadata.unwrap_or_else(|| json!({})),
        created_at: existing.as_ref().map(|g| g.created_at).unwrap_or(now),
        updated_at: now,
    };
    store::upsert_grant(tx.conn(), &g).await?;
    tx.commit().await?;
    Ok((g, existing.is_none()))
}
