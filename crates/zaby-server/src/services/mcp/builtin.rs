//! The built-in MCP server (`docs/server.md`, `docs/authentication.md`): its mount at `/mcp/builtin` and the
//! per-tenant `zaby-builtin` definition and installation (its tokens are in
//! `builtin_token`).

use std::sync::Arc;

use serde_json::{Value, json};
use zaby::types::{McpAuthMode, McpInstallationStatus, McpServerKind, McpServerStatus, McpTransport};
use zaby_mcp::builtin::{BuiltinServer, KbSearchRequest, KnowledgeSearch, TokenValidator, ToolFailure};

use super::builtin_token;
use crate::error::ApiResult;
use crate::services::{Ctx, SharedCtx};
use crate::storage::mcp::{self as store, InstallationRow, ServerDoc, ServerRow};
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;

pub(crate) const SLUG: &str = "zaby-builtin";

struct Validator(SharedCtx);

#[async_trait::async_trait]
impl TokenValidator for Validator {
    async fn validate(&self, token: &str) -> Result<String, String> {
        let tenant = builtin_token::verify(&self.0, token).await?;
        let exists = async {
            let mut conn = self.0.db.read().await?;
            crate::storage::tenancy::get_tenant(&mut conn, &tenant).await
        };
        match exists.await {
            Ok(Some(_)) => Ok(tenant),
            Ok(None) => Err("unknown tenant".into()),
            Err(_) => Err("storage is unavailable".into()),
        }
    }
}

/// `kb_search`: the knowledge domain's retrieval over the token's tenant
/// (`services::knowledge::retrieval::kb_search`).
struct Knowledge(SharedCtx);

#[async_trait::async_trait]
impl KnowledgeSearch for Knowledge {
    async fn search(&self, tenant_id: &str, request: KbSearchRequest) -> Result<Value, ToolFailure> {
        crate::services::knowledge::retrieval::kb_search(&self.0, tenant_id, request).await
    }
}

/// The axum router serving `/mcp/builtin`.
pub(crate) fn router(ctx: SharedCtx) -> axum::Router {
    BuiltinServer::new(Arc::new(Validator(ctx.clone())), Arc::new(Knowledge(ctx))).router()
}

/// Creates the tenant's `zaby-builtin` definition with its tools and an `ACTIVE`
/// installation, or brings the tools of an existing one up to date. Idempotent.
pub(crate) async fn ensure(conn: &mut Conn, tenant_id: &str) -> ApiResult<()> {
    let now = now_ms();
    let mut server = match store::builtin_server(conn, tenant_id).await? {
        Some(s) => s,
        None => {
            let s = ServerRow {
                id: new_id(),
                tenant_id: tenant_id.to_string(),
                slug: SLUG.into(),
                name: SLUG.into(),
                status: McpServerStatus::Active.as_str().into(),
                transport: McpTransport::StreamableHttp.as_str().into(),
                auth_mode: McpAuthMode::Bearer.as_str().into(),
                kind: McpServerKind::Internal.as_str().into(),
                is_builtin: true,
                doc: ServerDoc {
                    display_name: Some("Zaby built-in tools".into()),
                    description: Some(
                        "Tools served by this Zaby server at /mcp/builtin: echo, sum, current_time and kb_search."
                            .into(),
                    ),
                    ..ServerDoc::default()
                },
                last_discovered_at: None,
                created_at: now,
                updated_at: now,
            };
            // A user-made definition may already use the slug; it keeps it.
            let mut s = s;
            if store::server_slug_taken(conn, tenant_id, SLUG, "").await? {
                s.slug = format!("{SLUG}-{}", &s.id[..8]);
            }
            store::insert_server(conn, &s).await?;
            store::insert_installation(
                conn,
                &InstallationRow {
                    id: new_id(),
                    tenant_id: tenant_id.to_string(),
                    server_id: s.id.clone(),
                    name: SLUG.into(),
                    status: McpInstallationStatus::Active.as_str().into(),
                    config: json!({}),
                    rate_limit_per_minute: None,
                    require_tool_approval: false,
                    metadata: json!({}),
                    created_at: now,
                    updated_at: now,
                    revoked_at: None,
                },
            )
            .await?;
            s
        }
    };
    let tools = zaby_mcp::builtin::tool_infos();
    let current = store::tools_of_server(conn, &server.id).await?;
    let same = current.len() == tools.len()
        && tools.iter().all(|t| {
            current
                .iter()
                .any(|c| c.name == t.name && c.description == t.description && c.input_schema == t.input_schema)
        });
    if !same {
        super::servers::store_discovery(conn, &mut server, &tools, now).await?;
    }
    Ok(())
}

/// At start: every tenant has its built-in definition with the current tools.
pub(crate) async fn ensure_all(ctx: &Ctx) -> ApiResult<()> {
    let mut tx = ctx.db.write().await?;
    for t in crate::storage::tenancy::list_tenants(tx.conn()).await? {
        ensure(tx.conn(), &t.id).await?;
    }
    tx.commit().await?;
    Ok(())
}
