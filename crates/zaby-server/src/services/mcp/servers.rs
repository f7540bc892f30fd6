//! Server definitions (E69–E72) and the catalog (E68).

use serde_json::{Map, Value};
use zaby::types::{
    E68Query, McpAuthMode, McpServerInput, McpServerKind, McpServerStatus, McpServerUpdateInput, McpTransport,
    RiskLevel,
};
use zaby_mcp::ToolInfo;

use super::{ServerView, calls, load_server, server_view};
use crate::error::{ApiError, ApiResult};
use crate::services::paging::page_of;
use crate::services::{Caller, Ctx};
use crate::storage::mcp::{self as store, CatalogFilter, ServerDoc, ServerRow, ToolRow};
use crate::storage::page::Page;
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;
use crate::util::input::Problems;

/// The canonical transport of a value of `transport`, or of a transport named in `type`.
fn transport_of(v: &Value) -> Option<&'static str> {
    match v.as_str()? {
        "HTTP" => Some(McpTransport::StreamableHttp.as_str()),
        t => McpTransport::VALUES.iter().copied().find(|known| *known == t),
    }
}

/// `docs/api/mcp.md` McpServerInput: `transport` takes `HTTP` for `STREAMABLE_HTTP`,
/// and when `transport` is absent a transport named in `type` is the transport.
/// Applied to the body before the typed checks, which know only the canonical
/// values; a `type` naming another transport than `transport` is left for them to
/// refuse (it is not a server kind).
pub(crate) fn transport_aliases(mut body: Value) -> Value {
    let Some(map) = body.as_object_mut() else { return body };
    if let Some(t) = map.get("transport").and_then(transport_of) {
        map.insert("transport".into(), t.into());
    }
    if let Some(t) = map.get("type").and_then(transport_of) {
        match map.get("transport") {
            None | Some(Value::Null) => {
                map.insert("transport".into(), t.into());
                map.remove("type");
            }
            Some(given) if given == t => {
                map.remove("type");
            }
            Some(_) => {}
        }
    }
    body
}

/// `endpointUrl`, else its alias `endpoint`, which the typed extractor leaves in
/// `extra`: what was sent (`Some(None)`: `null`) and the member it came in, so a
/// problem names the member the caller wrote.
fn endpoint(url: Option<Option<String>>, extra: &Map<String, Value>, p: &mut Problems) -> (&'static str, Patch) {
    if let Some(url) = url {
        return ("endpointUrl", Some(url));
    }
    match extra.get("endpoint") {
        None => ("endpointUrl", None),
        Some(Value::Null) => ("endpoint", Some(None)),
        Some(Value::String(s)) => ("endpoint", Some(Some(s.clone()))),
        Some(_) => {
            p.add("endpoint", "must be a string");
            ("endpoint", None)
        }
    }
}

/// A member of a partial update: `None` left out, `Some(None)` cleared.
type Patch = Option<Option<String>>;

/// What the catalogue cannot say of a definition's members: lengths, the slug's
/// form, the URL's scheme, an argv with a program.
struct Checks<'a> {
    name: Option<&'a str>,
    display_name: Option<&'a str>,
    slug: Option<&'a str>,
    description: Option<&'a str>,
    endpoint: (&'static str, Option<&'a str>),
    command: Option<&'a [String]>,
}

fn check(c: Checks, p: &mut Problems) {
    if let Some(n) = c.name {
        p.text("name", n, 200, false);
    }
    if let Some(d) = c.display_name {
        p.text("displayName", d, 200, false);
    }
    if let Some(s) = c.slug {
        p.text("slug", s, 100, false);
        if !p.has("slug") && !zaby_knowledge::slug::is_valid_slug(s) {
            p.add("slug", "must be lower-case letters, digits and single dashes (^[a-z0-9]+(?:-[a-z0-9]+)*$)");
        }
    }
    if let Some(d) = c.description {
        p.text("description", d, 10_000, true);
    }
    if let (field, Some(u)) = c.endpoint {
        p.text(field, u, 2000, false);
        if !p.has(field) && zaby_mcp::check_http_url(u).is_err() {
            p.add(field, "must be an http:// or https:// URL");
        }
    }
    if let Some(argv) = c.command {
        p.texts("command", argv, 4000);
        if argv.first().is_none_or(|program| program.trim().is_empty()) {
            p.add("command", "must be a non-empty argv (program first)");
        }
    }
}

/// Checks the transport's requirements on the resulting definition.
fn check_definition(ctx: &Ctx, s: &ServerRow) -> ApiResult<()> {
    if s.transport == McpTransport::Stdio.as_str() {
        if !ctx.settings.allow_stdio_mcp {
            return Err(ApiError::invalid(
                "transport",
                "STDIO servers are disabled on this server (ZABY_ALLOW_STDIO_MCP=1 allows them)",
            ));
        }
        if s.doc.command.as_ref().is_none_or(|c| c.is_empty()) {
            return Err(ApiError::invalid("command", "is required for transport STDIO"));
        }
    } else if s.doc.endpoint_url.is_none() {
        return Err(ApiError::invalid("endpointUrl", "is required unless transport is STDIO"));
    }
    Ok(())
}

/// What a discovery found and stored (`ToolDiscovery`).
pub(crate) struct Discovery {
    pub(crate) server_id: String,
    /// The full current tool set, in discovery order.
    pub(crate) tools: Vec<ToolRow>,
    pub(crate) discovered_at: i64,
    pub(crate) added: i64,
    pub(crate) removed: i64,
}

/// Stores a discovery result: tools keep their ids by name; vanished tools go, with
/// their installation policies.
pub(crate) async fn store_discovery(
    conn: &mut Conn,
    server: &mut ServerRow,
    found: &[ToolInfo],
    now: i64,
) -> ApiResult<Discovery> {
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
                        risk_level: RiskLevel::Low.as_str().into(),
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
    let tools = store::tools_of_server(conn, &server.id).await?;
    Ok(Discovery { server_id: server.id.clone(), tools, discovered_at: now, added, removed })
}

/// Discovers over MCP and stores the result.
pub(crate) async fn discover(ctx: &Ctx, server: &ServerRow) -> ApiResult<Discovery> {
    let found = calls::list_tools(ctx, server).await?;
    let mut tx = ctx.db.write().await?;
    let mut current = load_server(tx.conn(), &server.tenant_id, &server.id).await?;
    let out = store_discovery(tx.conn(), &mut current, &found, now_ms()).await?;
    tx.commit().await?;
    forget_sessions(ctx, server).await?;
    Ok(out)
}

/// Drops the MCP sessions of every installation of `server`: its connection or its
/// tools changed, so no session of the old definition is reused.
async fn forget_sessions(ctx: &Ctx, server: &ServerRow) -> ApiResult<()> {
    let ids = {
        let mut conn = ctx.db.read().await?;
        store::installation_ids_of_server(&mut conn, &server.id).await?
    };
    for i in ids {
        ctx.mcp.client.invalidate_scope(&i);
    }
    Ok(())
}

/// E69.
pub(crate) async fn create(ctx: &Ctx, caller: &Caller, input: McpServerInput) -> ApiResult<ServerView> {
    let mut p = Problems::default();
    let (endpoint_field, endpoint_url) = endpoint(input.endpoint_url.clone().map(Some), &input.extra, &mut p);
    let endpoint_url = endpoint_url.flatten();
    check(
        Checks {
            name: Some(&input.name),
            display_name: input.display_name.as_deref(),
            slug: input.slug.as_deref(),
            description: input.description.as_deref(),
            endpoint: (endpoint_field, endpoint_url.as_deref()),
            command: input.command.as_deref(),
        },
        &mut p,
    );
    p.finish()?;
    let now = now_ms();
    let name = input.name;
    let mut server = ServerRow {
        id: new_id(),
        tenant_id: caller.tenant_id.clone(),
        slug: input.slug.clone().unwrap_or_default(),
        status: input.status.unwrap_or(McpServerStatus::Active).as_str().into(),
        transport: input.transport.unwrap_or(McpTransport::StreamableHttp).as_str().into(),
        auth_mode: input.auth_mode.unwrap_or(McpAuthMode::None).as_str().into(),
        kind: input.r#type.unwrap_or(McpServerKind::External).as_str().into(),
        is_builtin: false,
        doc: ServerDoc {
            display_name: Some(input.display_name.unwrap_or_else(|| name.clone())),
            description: input.description,
            endpoint_url,
            command: input.command,
            metadata: input.metadata.unwrap_or_default(),
        },
        name,
        last_discovered_at: None,
        created_at: now,
        updated_at: now,
    };
    check_definition(ctx, &server)?;
    if let Some(slug) = &input.slug {
        let mut conn = ctx.db.read().await?;
        if store::server_slug_taken(&mut conn, &caller.tenant_id, slug, "").await? {
            return Err(ApiError::slug_taken(slug));
        }
    }
    // Discovery first, outside any write transaction: a failure creates nothing.
    let found = match input.discover_tools {
        Some(true) => Some(calls::list_tools(ctx, &server).await?),
        _ => None,
    };
    let mut tx = ctx.db.write().await?;
    match &input.slug {
        Some(slug) => {
            if store::server_slug_taken(tx.conn(), &caller.tenant_id, slug, "").await? {
                return Err(ApiError::slug_taken(slug));
            }
        }
        None => {
            for candidate in zaby_knowledge::slug::slug_candidates(&server.name) {
                if !store::server_slug_taken(tx.conn(), &caller.tenant_id, &candidate, "").await? {
                    server.slug = candidate;
                    break;
                }
            }
        }
    }
    store::insert_server(tx.conn(), &server).await.map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => ApiError::slug_taken(&server.slug),
        _ => e.into(),
    })?;
    if let Some(found) = &found {
        store_discovery(tx.conn(), &mut server, found, now).await?;
    }
    let out = server_view(tx.conn(), server).await?;
    tx.commit().await?;
    Ok(out)
}

/// E70.
pub(crate) async fn get(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<ServerView> {
    let mut conn = ctx.db.read().await?;
    let s = load_server(&mut conn, &caller.tenant_id, id).await?;
    server_view(&mut conn, s).await
}

/// E71. The built-in definition cannot be changed (409). An unknown definition is a
/// 404 before any 422 about the body (`input`).
pub(crate) async fn update(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApiResult<McpServerUpdateInput>,
) -> ApiResult<ServerView> {
    let mut tx = ctx.db.write().await?;
    let mut s = load_server(tx.conn(), &caller.tenant_id, id).await?;
    let input = input?;
    let mut p = Problems::default();
    let (endpoint_field, endpoint_url) = endpoint(input.endpoint_url.clone(), &input.extra, &mut p);
    check(
        Checks {
            name: input.name.as_deref(),
            display_name: input.display_name.as_ref().and_then(Option::as_deref),
            slug: input.slug.as_deref(),
            description: input.description.as_ref().and_then(Option::as_deref),
            endpoint: (endpoint_field, endpoint_url.as_ref().and_then(Option::as_deref)),
            command: input.command.as_ref().and_then(Option::as_deref),
        },
        &mut p,
    );
    p.finish()?;
    if s.is_builtin {
        return Err(ApiError::conflict(
            "CONFLICT",
            "the built-in MCP server definition zaby-builtin cannot be changed",
        ));
    }
    if let Some(slug) = &input.slug
        && *slug != s.slug
    {
        if store::server_slug_taken(tx.conn(), &caller.tenant_id, slug, &s.id).await? {
            return Err(ApiError::slug_taken(slug));
        }
        s.slug = slug.clone();
    }
    if let Some(n) = input.name {
        s.name = n;
    }
    if let Some(v) = input.transport {
        s.transport = v.as_str().into();
    }
    if let Some(v) = input.r#type {
        s.kind = v.as_str().into();
    }
    if let Some(v) = input.auth_mode {
        s.auth_mode = v.as_str().into();
    }
    if let Some(v) = input.status {
        s.status = v.as_str().into();
    }
    match input.display_name {
        None => {}
        Some(None) => s.doc.display_name = Some(s.name.clone()),
        Some(Some(v)) => s.doc.display_name = Some(v),
    }
    if let Some(v) = input.description {
        s.doc.description = v;
    }
    if let Some(v) = endpoint_url {
        s.doc.endpoint_url = v;
    }
    if let Some(v) = input.command {
        s.doc.command = v;
    }
    if let Some(m) = input.metadata {
        s.doc.metadata = m;
    }
    check_definition(ctx, &s)?;
    s.updated_at = now_ms();
    store::update_server(tx.conn(), &s).await?;
    tx.commit().await?;
    forget_sessions(ctx, &s).await?;
    if input.discover_tools == Some(true) {
        discover(ctx, &s).await?;
    }
    get(ctx, caller, id).await
}

/// E72.
pub(crate) async fn discover_tools(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Discovery> {
    let s = {
        let mut conn = ctx.db.read().await?;
        load_server(&mut conn, &caller.tenant_id, id).await?
    };
    discover(ctx, &s).await
}

/// A tool of the catalog with its server (`CatalogEntry`).
pub(crate) struct CatalogItem {
    pub(crate) tool: ToolRow,
    pub(crate) server_name: String,
    pub(crate) server_slug: String,
}

/// E68.
pub(crate) async fn catalog(ctx: &Ctx, caller: &Caller, q: E68Query) -> ApiResult<Page<CatalogItem>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let filter = CatalogFilter { q: q.q, server_id: q.server_definition_id };
    let mut conn = ctx.db.read().await?;
    let rows = store::catalog_page(&mut conn, &caller.tenant_id, &filter, &page).await?;
    let mut servers: Vec<ServerRow> = Vec::new();
    let mut items = Vec::with_capacity(rows.items.len());
    let mut cursors = Vec::with_capacity(rows.items.len());
    for (tool, cursor) in rows.items.into_iter().zip(rows.cursors) {
        if !servers.iter().any(|s| s.id == tool.server_id)
            && let Some(s) = store::get_server(&mut conn, &caller.tenant_id, &tool.server_id).await?
        {
            servers.push(s);
        }
        let Some(s) = servers.iter().find(|s| s.id == tool.server_id) else { continue };
        items.push(CatalogItem { server_name: s.name.clone(), server_slug: s.slug.clone(), tool });
        cursors.push(cursor);
    }
    Ok(Page { items, cursors, next_cursor: rows.next_cursor, total: rows.total })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn transport_aliases_become_the_canonical_transport() {
        assert_eq!(transport_aliases(json!({"transport": "HTTP"})), json!({"transport": "STREAMABLE_HTTP"}));
        assert_eq!(transport_aliases(json!({"type": "HTTP"})), json!({"transport": "STREAMABLE_HTTP"}));
        assert_eq!(transport_aliases(json!({"type": "SSE", "transport": null})), json!({"transport": "SSE"}));
        assert_eq!(transport_aliases(json!({"type": "SSE", "transport": "SSE"})), json!({"transport": "SSE"}));
        // A server kind stays the kind; another transport than `transport` is left for
        // the typed checks to refuse.
        let kind = json!({"type": "INTERNAL", "transport": "STDIO"});
        assert_eq!(transport_aliases(kind.clone()), kind);
        let clash = json!({"type": "SSE", "transport": "STDIO"});
        assert_eq!(transport_aliases(clash.clone()), clash);
    }

    #[test]
    fn the_endpoint_alias_is_read_when_endpoint_url_is_absent() {
        let extra = json!({"endpoint": "https://a.example/mcp"}).as_object().cloned().unwrap();
        let mut p = Problems::default();
        assert_eq!(endpoint(None, &extra, &mut p), ("endpoint", Some(Some("https://a.example/mcp".into()))));
        assert_eq!(endpoint(Some(None), &extra, &mut p), ("endpointUrl", Some(None)));
        let bad = json!({"endpoint": 3}).as_object().cloned().unwrap();
        assert_eq!(endpoint(None, &bad, &mut p), ("endpoint", None));
        assert!(p.has("endpoint"));
    }
}
