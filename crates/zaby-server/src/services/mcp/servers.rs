//! Server definitions (E69–E72) and the catalog (E68).

use serde_json::{Value, json};
use zaby_mcp::ToolInfo;

use super::{AUTH_MODES, SERVER_KINDS, SERVER_STATUSES, TRANSPORTS, calls, load_server, render_server, render_tool};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::{Query, list_body, page_request, str_param};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::mcp::{self as store, CatalogFilter, ServerRow, ToolRow};
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::util::clock::{iso, now_ms};
use crate::util::ids::new_id;
use crate::util::input::{Fields, Patch};

fn slug_clash(slug: &str) -> ApiError {
    ApiError::conflict("SLUG_ALREADY_EXISTS", format!("slug '{slug}' is already in use"))
        .with_details(json!({"errors": [{"field": "slug", "message": "is already in use"}]}))
}

/// `transport` (alias `HTTP`) or, when absent, a transport value in `type`.
fn transport_value(v: &str) -> Option<&'static str> {
    match v {
        "STREAMABLE_HTTP" | "HTTP" => Some("STREAMABLE_HTTP"),
        "SSE" => Some("SSE"),
        "STDIO" => Some("STDIO"),
        _ => None,
    }
}

/// The fields of `McpServerInput` that were sent (create: all defaults applied later).
struct ServerFields {
    name: Option<String>,
    display_name: Patch<String>,
    slug: Option<String>,
    description: Patch<String>,
    transport: Option<String>,
    kind: Option<String>,
    endpoint_url: Patch<String>,
    command: Patch<Vec<String>>,
    auth_mode: Option<String>,
    status: Option<String>,
    discover: bool,
    metadata: Option<Value>,
}

fn read_fields(body: &Value, create: bool) -> ApiResult<ServerFields> {
    let mut f = Fields::new(body);
    let mut out = ServerFields {
        name: if create { f.req_str("name", 200) } else { f.opt_str("name", 200) },
        display_name: Patch::Absent,
        slug: None,
        description: Patch::Absent,
        transport: None,
        kind: None,
        endpoint_url: Patch::Absent,
        command: Patch::Absent,
        auth_mode: None,
        status: None,
        discover: false,
        metadata: None,
    };
    if !create && f.raw("name").is_some_and(Value::is_null) {
        f.error("name", "must not be null");
    }
    out.display_name = f.patch_str("displayName", 200, false);
    out.slug = f.opt_str("slug", 100);
    if let Some(s) = &out.slug
        && !zaby_knowledge::slug::is_valid_slug(s)
    {
        f.error("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
    }
    out.description = f.patch_str("description", 10_000, true);
    match f.raw("transport") {
        None | Some(Value::Null) => {}
        Some(v) => match v.as_str().and_then(transport_value) {
            Some(t) => out.transport = Some(t.into()),
            None => f.error("transport", format!("must be one of {}", TRANSPORTS.join(", "))),
        },
    }
    match f.raw("type") {
        None | Some(Value::Null) => {}
        Some(v) => match v.as_str() {
            Some(k) if SERVER_KINDS.contains(&k) => out.kind = Some(k.into()),
            Some(t) if transport_value(t).is_some() => {
                let t = transport_value(t).unwrap_or_default();
                match &out.transport {
                    None => out.transport = Some(t.into()),
                    Some(given) if given == t => {}
                    Some(_) => f.error("type", "names a different transport than transport"),
                }
            }
            _ => f.error(
                "type",
                format!("must be one of {} (or a transport: {})", SERVER_KINDS.join(", "), TRANSPORTS.join(", ")),
            ),
        },
    }
    let endpoint_key = if f.has("endpointUrl") { "endpointUrl" } else { "endpoint" };
    out.endpoint_url = f.patch_str(endpoint_key, 2000, false);
    if let Patch::Set(u) = &out.endpoint_url
        && zaby_mcp::check_http_url(u).is_err()
    {
        f.error(endpoint_key, "must be an http:// or https:// URL");
    }
    out.command = match f.raw("command") {
        None => Patch::Absent,
        Some(Value::Null) => Patch::Null,
        Some(_) => match f.opt_str_list("command", 4000) {
            Some(c) if c.first().is_some_and(|p| !p.trim().is_empty()) => Patch::Set(c),
            Some(_) => {
                f.error("command", "must be a non-empty argv (program first)");
                Patch::Absent
            }
            None => Patch::Absent,
        },
    };
    out.auth_mode = f.opt_enum("authMode", AUTH_MODES);
    out.status = f.opt_enum("status", SERVER_STATUSES);
    out.discover = f.opt_bool("discoverTools").unwrap_or(false);
    out.metadata = f.opt_object("metadata");
    f.finish()?;
    Ok(out)
}

/// Checks the transport's requirements on the resulting definition.
fn check_definition(ctx: &Ctx, s: &ServerRow) -> ApiResult<()> {
    match s.transport.as_str() {
        "STDIO" => {
            if !ctx.settings.allow_stdio_mcp {
                return Err(ApiError::invalid(
                    "transport",
                    "STDIO servers are disabled on this server (ZABY_ALLOW_STDIO_MCP=1 allows them)",
                ));
            }
            if s.command().is_none_or(|c| c.is_empty()) {
                return Err(ApiError::invalid("command", "is required for transport STDIO"));
            }
        }
        _ => {
            if s.endpoint_url().is_none() {
                return Err(ApiError::invalid("endpointUrl", "is required unless transport is STDIO"));
            }
        }
    }
    Ok(())
}

/// Stores a discovery result: tools keep their ids by name; vanished tools go, with
/// their installation policies. Returns the `ToolDiscovery`.
pub async fn store_discovery(
    conn: &mut Conn,
    server: &mut ServerRow,
    found: &[ToolInfo],
    now: i64,
) -> ApiResult<Value> {
    let existing = store::tools_of_server(conn, &server.id).await?;
    let mut added = 0;
    let mut removed = 0;
    for (n, info) in found.iter().enumerate() {
        match existing.iter().find(|t| t.name == info.name) {
            Some(t) => {
                if t.description != info.description || t.input_schema != info.input_schema {
                    let mut t = t.clone();
                    t.description = info.description.clone();
                    t.input_schema = info.input_schema.clone();
                    t.updated_at = now;
                    store::update_tool(conn, &t).await?;
                }
            }
            None if found[..n].iter().any(|i| i.name == info.name) => {}
            None => {
                store::insert_tool(
                    conn,
                    &ToolRow {
                        id: new_id(),
                        tenant_id: server.tenant_id.clone(),
                        server_id: server.id.clone(),
                        name: info.name.clone(),
                        description: info.description.clone(),
                        input_schema: info.input_schema.clone(),
                        risk_level: "LOW".into(),
                        // Keeps discovery order within one discovery.
                        created_at: now + n as i64,
                        updated_at: now,
                    },
                )
                .await?;
                added += 1;
            }
        }
    }
    for t in &existing {
        if !found.iter().any(|i| i.name == t.name) {
            store::delete_tool(conn, &t.id).await?;
            removed += 1;
        }
    }
    server.last_discovered_at = Some(now);
    server.updated_at = now;
    store::update_server(conn, server).await?;
    let items: Vec<Value> = store::tools_of_server(conn, &server.id).await?.iter().map(render_tool).collect();
    Ok(json!({
        "serverDefinitionId": server.id,
        "items": items,
        "discoveredAt": iso(now),
        "added": added,
        "removed": removed,
    }))
}

/// Discovers over MCP and stores the result.
pub async fn discover(ctx: &Ctx, server: &ServerRow) -> ApiResult<Value> {
    let found = calls::list_tools(ctx, server).await?;
    let mut tx = ctx.db.write().await?;
    let mut current = load_server(tx.conn(), &server.tenant_id, &server.id).await?;
    let out = store_discovery(tx.conn(), &mut current, &found, now_ms()).await?;
    tx.commit().await?;
    for i in installations_of(ctx, server).await? {
        ctx.mcp.client.invalidate_scope(&i);
    }
    Ok(out)
}

async fn installations_of(ctx: &Ctx, server: &ServerRow) -> ApiResult<Vec<String>> {
    let mut conn = ctx.db.read().await?;
    Ok(crate::storage::sql::all(
        &mut conn,
        "SELECT id FROM mcp_installations WHERE server_id = $1",
        crate::args![&server.id],
    )
    .await?
    .iter()
    .map(|r| crate::storage::sql::RowExt::text(r, "id"))
    .collect::<Result<_, _>>()?)
}

/// E69.
pub async fn create(ctx: &Ctx, caller: &Caller, body: &Value) -> ApiResult<Outcome> {
    let f = read_fields(body, true)?;
    let name = f.name.clone().unwrap_or_default();
    let now = now_ms();
    let mut server = ServerRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug: f.slug.clone().unwrap_or_default(),
        name: name.clone(),
        status: f.status.clone().unwrap_or_else(|| "ACTIVE".into()),
        transport: f.transport.clone().unwrap_or_else(|| "STREAMABLE_HTTP".into()),
        auth_mode: f.auth_mode.clone().unwrap_or_else(|| "NONE".into()),
        kind: f.kind.clone().unwrap_or_else(|| "EXTERNAL".into()),
        is_builtin: false,
        doc: json!({
            "displayName": f.display_name.clone().apply(None).unwrap_or_else(|| name.clone()),
            "description": f.description.clone().apply(None),
            "endpointUrl": f.endpoint_url.clone().apply(None),
            "command": f.command.clone().apply(None),
            "metadata": f.metadata.clone().unwrap_or_else(|| json!({})),
        }),
        last_discovered_at: None,
        created_at: now,
        updated_at: now,
    };
    check_definition(ctx, &server)?;
    if let Some(slug) = &f.slug {
        let mut conn = ctx.db.read().await?;
        if store::server_slug_taken(&mut conn, &caller.tenant_id, slug, "").await? {
            return Err(slug_clash(slug));
        }
    }
    // Discovery first, outside any write transaction: a failure creates nothing.
    let found = if f.discover { Some(calls::list_tools(ctx, &server).await?) } else { None };
    let mut tx = ctx.db.write().await?;
    match &f.slug {
        Some(slug) => {
            if store::server_slug_taken(tx.conn(), &caller.tenant_id, slug, "").await? {
                return Err(slug_clash(slug));
            }
        }
        None => {
            for candidate in zaby_knowledge::slug::slug_candidates(&name) {
                if !store::server_slug_taken(tx.conn(), &caller.tenant_id, &candidate, "").await? {
                    server.slug = candidate;
                    break;
                }
            }
        }
    }
    store::insert_server(tx.conn(), &server).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => slug_clash(&server.slug),
        _ => e.into(),
    })?;
    if let Some(found) = &found {
        store_discovery(tx.conn(), &mut server, found, now).await?;
    }
    let out = render_server(tx.conn(), &server, &ctx.settings).await?;
    tx.commit().await?;
    Ok(Outcome::Created(out))
}

/// E70.
pub async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let s = load_server(&mut conn, &caller.tenant_id, id).await?;
    Ok(Outcome::Ok(render_server(&mut conn, &s, &ctx.settings).await?))
}

/// E71. The built-in definition cannot be changed (409).
pub async fn update(ctx: &Ctx, caller: &Caller, id: &str, body: &Value) -> ApiResult<Outcome> {
    let mut tx = ctx.db.write().await?;
    let mut s = load_server(tx.conn(), &caller.tenant_id, id).await?;
    let f = read_fields(body, false)?;
    if s.is_builtin {
        return Err(ApiError::conflict(
            "CONFLICT",
            "the built-in MCP server definition zaby-builtin cannot be changed",
        ));
    }
    if let Some(slug) = &f.slug
        && *slug != s.slug
    {
        if store::server_slug_taken(tx.conn(), &caller.tenant_id, slug, &s.id).await? {
            return Err(slug_clash(slug));
        }
        s.slug = slug.clone();
    }
    if let Some(n) = f.name {
        s.name = n;
    }
    if let Some(v) = f.transport {
        s.transport = v;
    }
    if let Some(v) = f.kind {
        s.kind = v;
    }
    if let Some(v) = f.auth_mode {
        s.auth_mode = v;
    }
    if let Some(v) = f.status {
        s.status = v;
    }
    match f.display_name {
        Patch::Absent => {}
        Patch::Null => s.doc["displayName"] = json!(s.name),
        Patch::Set(v) => s.doc["displayName"] = json!(v),
    }
    if !f.description.is_absent() {
        s.doc["description"] = json!(f.description.apply(None));
    }
    if !f.endpoint_url.is_absent() {
        s.doc["endpointUrl"] = json!(f.endpoint_url.apply(None));
    }
    if !f.command.is_absent() {
        s.doc["command"] = json!(f.command.apply(None));
    }
    if let Some(m) = f.metadata {
        s.doc["metadata"] = m;
    }
    check_definition(ctx, &s)?;
    s.updated_at = now_ms();
    store::update_server(tx.conn(), &s).await?;
    tx.commit().await?;
    // The connection may have changed: no session of the old definition is reused.
    for i in installations_of(ctx, &s).await? {
        ctx.mcp.client.invalidate_scope(&i);
    }
    if f.discover {
        discover(ctx, &s).await?;
    }
    let mut conn = ctx.db.read().await?;
    let s = load_server(&mut conn, &caller.tenant_id, id).await?;
    Ok(Outcome::Ok(render_server(&mut conn, &s, &ctx.settings).await?))
}

/// E72.
pub async fn discover_tools(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Outcome> {
    let s = {
        let mut conn = ctx.db.read().await?;
        load_server(&mut conn, &caller.tenant_id, id).await?
    };
    Ok(Outcome::Ok(discover(ctx, &s).await?))
}

/// E68.
pub async fn catalog(ctx: &Ctx, caller: &Caller, q: &Query) -> ApiResult<Outcome> {
    let page = page_request(q, 20, 100)?;
    let filter = CatalogFilter { q: str_param(q, "q"), server_id: str_param(q, "serverDefinitionId") };
    let mut conn = ctx.db.read().await?;
    let rows = store::catalog_page(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut servers: Vec<ServerRow> = Vec::new();
    let mut items = Vec::with_capacity(rows.items.len());
    for t in &rows.items {
        if !servers.iter().any(|s| s.id == t.server_id)
            && let Some(s) = store::get_server(&mut conn, &caller.tenant_id, &t.server_id).await?
        {
            servers.push(s);
        }
        let Some(s) = servers.iter().find(|s| s.id == t.server_id) else { continue };
        items.push(json!({
            "toolId": t.id,
            "toolName": t.name,
            "description": t.description,
            "inputSchema": t.input_schema,
            "riskLevel": t.risk_level,
            "serverDefinitionId": s.id,
            "serverName": s.name,
            "serverSlug": s.slug,
        }));
    }
    Ok(Outcome::Ok(list_body(
        ctx.settings.max_page_bytes,
        Page { items, cursors: rows.cursors, next_cursor: rows.next_cursor, total: rows.total },
    )))
}
