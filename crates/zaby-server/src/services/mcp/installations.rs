//! Installations (E73–E77), tool policies (E78), credential bindings (E81, E82),
//! auth policies (E83) and access grants (E84).

use serde_json::Value;
use zaby::types::{
    AccessGrantInput, AccessPermission, AuthPolicyInput, CredentialBindingInput, E74Query, ListQuery, McpAuthMode,
    McpInstallInput, McpInstallationStatus, McpInstallationUpdateInput, McpServerStatus, ToolPolicyInput,
};

use super::{
    InstallationTool, InstallationView, installation_tool, installation_view, load_installation, revoked_error, servers,
};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::mcp::{
    self as store, AuthPolicyRow, BindingRow, GrantRow, InstallationFilter, InstallationRow, PolicyRow,
};
use crate::storage::page::Page;
use crate::util::clock::{now_ms, parse_bound};
use crate::util::ids::new_id;
use crate::util::input::Problems;

/// Whether a server's tools can be discovered without credentials: `NONE` servers,
/// and the built-in one.
fn needs_no_credentials(s: &store::ServerRow) -> bool {
    s.is_builtin || s.auth_mode == McpAuthMode::None.as_str()
}

/// `docs/api/mcp.md` McpInstallInput accepts `serverId` for `serverDefinitionId`;
/// the canonical member wins when both are given. Applied to the body before the
/// typed checks, so `serverDefinitionId` is then required as usual.
pub(crate) fn server_id_alias(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        let alias = map.remove("serverId");
        if !map.contains_key("serverDefinitionId")
            && let Some(v) = alias
        {
            map.insert("serverDefinitionId".into(), v);
        }
    }
    body
}

const RATE_MAX: i64 = 1_000_000;

/// E73. A server never discovered is discovered first (servers that need
/// credentials are discovered once a binding exists: E72).
pub(crate) async fn install(ctx: &Ctx, caller: &Caller, input: McpInstallInput) -> ApiResult<InstallationView> {
    let mut p = Problems::default();
    p.text("serverDefinitionId", &input.server_definition_id, 100, false);
    if let Some(n) = &input.name {
        p.text("name", n, 200, false);
    }
    if let Some(r) = input.rate_limit_per_minute {
        p.range("rateLimitPerMinute", r, 1, RATE_MAX);
    }
    p.finish()?;
    let server = {
        let mut conn = ctx.db.read().await?;
        store::get_server(&mut conn, &caller.tenant_id, &input.server_definition_id)
            .await?
            .ok_or_else(|| ApiError::invalid("serverDefinitionId", "does not name an MCP server of this tenant"))?
    };
    if server.status != McpServerStatus::Active.as_str() {
        return Err(ApiError::conflict("CONFLICT", format!("MCP server {} is not ACTIVE", server.slug)));
    }
    if server.last_discovered_at.is_none() && needs_no_credentials(&server) {
        servers::discover(ctx, &server).await?;
    }
    let now = now_ms();
    let i = InstallationRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        name: input.name.unwrap_or_else(|| server.display_name()),
        server_id: server.id,
        status: McpInstallationStatus::Active.as_str().into(),
        config: Value::Object(input.config.unwrap_or_default()),
        rate_limit_per_minute: input.rate_limit_per_minute,
        require_tool_approval: input.require_tool_approval.unwrap_or(false),
        metadata: Value::Object(input.metadata.unwrap_or_default()),
        created_at: now,
        updated_at: now,
        revoked_at: None,
    };
    let mut tx = ctx.db.write().await?;
    store::insert_installation(tx.conn(), &i).await?;
    let out = installation_view(tx.conn(), i).await?;
    tx.commit().await?;
    Ok(out)
}

/// E74.
pub(crate) async fn list(ctx: &Ctx, caller: &Caller, q: E74Query) -> ApiResult<Page<InstallationView>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    // `status` is one of the catalogue's values: `http::extract::Query` checked it.
    let filter =
        InstallationFilter { status: q.status.map(|s| s.as_str().to_string()), server_id: q.server_definition_id };
    let mut conn = ctx.db.read().await?;
    let rows = store::installations_page(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for i in rows.items {
        items.push(installation_view(&mut conn, i).await?);
    }
    Ok(Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total })
}

/// E75. An unknown installation is a 404 before any 422 about the body (`input`).
pub(crate) async fn update(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<McpInstallationUpdateInput>,
) -> ApiResult<InstallationView> {
    let mut tx = ctx.db.write().await?;
    let mut i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    if let Some(n) = &input.name {
        p.text("name", n, 200, false);
    }
    if let Some(Some(r)) = input.rate_limit_per_minute {
        p.range("rateLimitPerMinute", r, 1, RATE_MAX);
    }
    p.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    if let Some(n) = input.name {
        i.name = n;
    }
    if let Some(c) = input.config {
        i.config = Value::Object(c);
    }
    if let Some(r) = input.rate_limit_per_minute {
        i.rate_limit_per_minute = r;
    }
    if let Some(a) = input.require_tool_approval {
        i.require_tool_approval = a;
    }
    if let Some(m) = input.metadata {
        i.metadata = Value::Object(m);
    }
    i.updated_at = now_ms();
    store::update_installation(tx.conn(), &i).await?;
    let out = installation_view(tx.conn(), i).await?;
    tx.commit().await?;
    Ok(out)
}

/// E76: idempotent. Revocation disables every tool of the installation at once
/// (the effective policy of a revoked installation's tools is `enabled: false`;
/// the stored policies are kept for the record).
pub(crate) async fn revoke(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<InstallationView> {
    let mut tx = ctx.db.write().await?;
    let mut i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    if !i.revoked() {
        let now = now_ms();
        i.status = McpInstallationStatus::Revoked.as_str().into();
        i.revoked_at = Some(now);
        i.updated_at = now;
        store::update_installation(tx.conn(), &i).await?;
    }
    let installation_id = i.id.clone();
    let out = installation_view(tx.conn(), i).await?;
    tx.commit().await?;
    ctx.mcp.client.invalidate_scope(&installation_id);
    Ok(out)
}

/// E77.
pub(crate) async fn tools(ctx: &Ctx, caller: &Caller, id: &str, q: &ListQuery) -> ApiResult<Page<InstallationTool>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let mut conn = ctx.db.read().await?;
    let i = load_installation(&mut conn, &caller.tenant_id, id).await?;
    let rows = store::tools_page(&mut conn, &i.server_id, &page).await?;
    let policies = store::policies_of(&mut conn, &i.id).await?;
    Ok(rows.map(|t| {
        let policy = policies.iter().find(|p| p.tool_id == t.id);
        installation_tool(&i, t, policy)
    }))
}

/// E78: `toolId` is a tool id or the tool's name. `allowed`, the alias of `enabled`,
/// is left in `extra` by the typed extractor. An unknown installation or tool is a
/// 404 before any 422 about the body (`input`).
pub(crate) async fn update_policy(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    tool: &str,
    input: ApiResult<ToolPolicyInput>,
) -> ApiResult<InstallationTool> {
    let mut tx = ctx.db.write().await?;
    let t = super::calls::load_target(tx.conn(), &caller.tenant_id, id, tool).await?;
    let input = input?;
    let mut p = Problems::default();
    let enabled = match (input.enabled, input.extra.get("allowed")) {
        (Some(e), _) => Some(e),
        (None, None | Some(Value::Null)) => None,
        (None, Some(Value::Bool(b))) => Some(*b),
        (None, Some(_)) => {
            p.add("allowed", "must be a boolean");
            None
        }
    };
    if let Some(Some(role)) = &input.required_role {
        p.text("requiredRole", role, 200, false);
    }
    p.finish()?;
    let i = t.installation;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    let mut policy = store::get_policy(tx.conn(), &i.id, &t.tool.id)
        .await?
        .unwrap_or_else(|| PolicyRow::default_for(&i.id, &t.tool.id));
    if let Some(risk) = input.risk_override {
        policy.risk_override = risk.map(|r| r.as_str().to_string());
    }
    let role_set = matches!(input.required_role, Some(Some(_)));
    if let Some(role) = input.required_role {
        policy.required_role = role;
    }
    if let Some(r) = input.requires_approval {
        policy.requires_approval = Some(r);
    } else if role_set {
        policy.requires_approval = Some(true);
    }
    if let Some(e) = enabled {
        policy.enabled = e;
    }
    if let Some(m) = input.metadata {
        policy.metadata = Value::Object(m);
    }
    policy.updated_at = now_ms();
    store::upsert_policy(tx.conn(), &policy).await?;
    tx.commit().await?;
    Ok(installation_tool(&i, t.tool, Some(&policy)))
}

/// E81: `credentialId`, or inline `credentials` stored as a new credential sealed
/// with the secrets key. Secrets are never returned. An unknown installation is a
/// 404 before any 422 about the body (`input`).
pub(crate) async fn create_binding(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<CredentialBindingInput>,
) -> ApiResult<BindingRow> {
    let mut tx = ctx.db.write().await?;
    let i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let server = super::load_server(tx.conn(), &caller.tenant_id, &i.server_id).await?;
    let input = input?;
    let mut p = Problems::default();
    if let Some(cid) = &input.credential_id {
        p.text("credentialId", cid, 100, false);
    }
    match (&input.credential_id, &input.credentials) {
        (None, None) => p.add("credentialId", "is required (or credentials)"),
        (Some(_), Some(_)) => p.add("credentials", "cannot be combined with credentialId"),
        _ => {}
    }
    if let Some(c) = &input.credentials
        && let Err(e) = zaby_mcp::check_credentials(&server.auth_mode, &Value::Object(c.clone()))
    {
        p.add("credentials", e.to_string());
    }
    p.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    let now = now_ms();
    let credential_id = match (input.credential_id, input.credentials) {
        (Some(cid), _) => {
            if !store::credential_exists(tx.conn(), &caller.tenant_id, &cid).await? {
                return Err(ApiError::invalid("credentialId", "does not name a credential of this tenant"));
            }
            cid
        }
        (None, Some(c)) => {
            let cid = new_id();
            let sealed = ctx.mcp.seal(Value::Object(c).to_string().as_bytes());
            store::insert_credential(tx.conn(), &cid, &caller.tenant_id, &server.auth_mode, &sealed, now).await?;
            cid
        }
        (None, None) => return Err(ApiError::invalid("credentialId", "is required (or credentials)")),
    };
    let b = BindingRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        installation_id: i.id.clone(),
        credential_id,
        // `CredentialBinding.status` has one value; the newest binding is the one used.
        status: "ACTIVE".into(),
        metadata: Value::Object(input.metadata.unwrap_or_default()),
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
/// it replaced the earlier one (200). An unknown installation is a 404 before any
/// 422 about the body (`input`).
pub(crate) async fn upsert_auth_policy(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<AuthPolicyInput>,
) -> ApiResult<(AuthPolicyRow, bool)> {
    let mut tx = ctx.db.write().await?;
    let i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    p.text("type", input.r#type.as_str(), 100, false);
    p.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    let now = now_ms();
    let existing = store::get_auth_policy(tx.conn(), &i.id).await?;
    let created = existing.is_none();
    let policy = AuthPolicyRow {
        id: existing.as_ref().map(|p| p.id.clone()).unwrap_or_else(new_id),
        tenant_id: caller.tenant_id.clone(),
        installation_id: i.id.clone(),
        kind: input.r#type.as_str().into(),
        config: Value::Object(input.config.unwrap_or_default()),
        metadata: Value::Object(input.metadata.unwrap_or_default()),
        created_at: existing.as_ref().map(|p| p.created_at).unwrap_or(now),
        updated_at: now,
    };
    if created {
        store::insert_auth_policy(tx.conn(), &policy).await?;
    } else {
        store::update_auth_policy(tx.conn(), &policy).await?;
    }
    tx.commit().await?;
    ctx.mcp.client.invalidate_scope(&i.id);
    Ok((policy, created))
}

/// E84: `true` for a new grant (201), `false` when the agent already had one, now
/// updated (200). An unknown installation is a 404 before any 422 about the body
/// (`input`).
pub(crate) async fn grant_access(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<AccessGrantInput>,
) -> ApiResult<(GrantRow, bool)> {
    let mut tx = ctx.db.write().await?;
    let i = load_installation(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    p.text("agentId", &input.agent_id, 100, false);
    let expires_at = input.expires_at.as_deref().and_then(|s| {
        let ms = parse_bound(s, false);
        if ms.is_none() {
            p.add("expiresAt", "must be an ISO-8601 timestamp");
        }
        ms
    });
    p.finish()?;
    if i.revoked() {
        return Err(revoked_error(&i));
    }
    if crate::storage::agents::get(tx.conn(), &caller.tenant_id, &input.agent_id).await?.is_none() {
        return Err(ApiError::invalid("agentId", "does not name an agent of this tenant"));
    }
    let now = now_ms();
    let existing = store::get_grant(tx.conn(), &i.id, &input.agent_id).await?;
    let mut permissions: Vec<String> = input
        .permissions
        .unwrap_or_else(|| vec![AccessPermission::Invoke])
        .iter()
        .map(|p| p.as_str().to_string())
        .collect();
    permissions.dedup();
    let g = GrantRow {
        id: existing.as_ref().map(|g| g.id.clone()).unwrap_or_else(new_id),
        tenant_id: caller.tenant_id.clone(),
        installation_id: i.id.clone(),
        agent_id: input.agent_id,
        permissions,
        expires_at,
        metadata: Value::Object(input.metadata.unwrap_or_default()),
        created_at: existing.as_ref().map(|g| g.created_at).unwrap_or(now),
        updated_at: now,
    };
    store::upsert_grant(tx.conn(), &g).await?;
    tx.commit().await?;
    Ok((g, existing.is_none()))
}
