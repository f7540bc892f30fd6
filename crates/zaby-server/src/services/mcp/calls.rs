//! Connecting to a server with the right credentials, discovery, preflight (E79)
//! and invocation (E80). The run loop's tool calls go through the same functions.

use std::time::Instant;

use http::StatusCode;
use serde_json::{Value, json};
use zaby_mcp::{CallOptions, McpAuth, McpError, McpTransport, ServerDefinition, SessionKey, ToolCallResult, ToolInfo};

use super::{Effective, builtin_token, effective, load_installation, mcp_error, revoked_error};
use crate::error::{ApiError, ApiResult};
use crate::services::{Caller, Ctx, Outcome};
use crate::storage::mcp::{self as store, InstallationRow, ServerRow, ToolRow};
use crate::storage::sql::Conn;
use crate::storage::tokens::hit_window;
use crate::util::clock::now_ms;
use crate::util::input::Fields;

pub const WINDOW_MS: i64 = 60_000;

/// How one operation reaches a server.
pub struct Connection {
    pub definition: ServerDefinition,
    pub options: CallOptions,
}

/// Decrypted `credentials` of the installation's newest `ACTIVE` binding, and the
/// `config` of its auth policy.
async fn secrets_of(ctx: &Ctx, conn: &mut Conn, i: &InstallationRow) -> ApiResult<(Option<Value>, Option<Value>)> {
    let creds = match store::newest_binding(conn, &i.id).await? {
        Some(b) => match store::sealed_credential(conn, &i.tenant_id, &b.credential_id).await? {
            Some(sealed) => {
                let plain = ctx.mcp.open(&sealed)?;
                Some(serde_json::from_slice(&plain).map_err(|_| ApiError::internal("a stored credential is corrupt"))?)
            }
            None => None,
        },
        None => None,
    };
    let policy = store::get_auth_policy(conn, &i.id).await?.map(|p| p.config);
    Ok((creds, policy))
}

/// The definition and options to reach `server`, with the credentials of
/// `installation` (none: discovery without an installation). `bearer` is a run's
/// `mcpRuntimeBearerToken`, used for `BEARER` servers without a binding.
pub async fn connection(
    ctx: &Ctx,
    conn: &mut Conn,
    server: &ServerRow,
    installation: Option<&InstallationRow>,
    bearer: Option<&str>,
) -> ApiResult<Result<Connection, McpError>> {
    if server.is_builtin {
        let Some(url) = ctx.mcp.builtin_url() else {
            return Ok(Err(McpError::Server { message: "the built-in MCP server is not listening".into() }));
        };
        let token = builtin_token::mint(ctx, &server.tenant_id).await?;
        let definition = ServerDefinition::new(McpTransport::StreamableHttp { url: url.to_string() }, McpAuth::None);
        // The server is stateless and tokens are short-lived: one-shot sessions.
        let options = CallOptions { bearer_override: Some(token), ..CallOptions::default() };
        return Ok(Ok(Connection { definition, options }));
    }
    let command = server.command();
    let transport =
        match McpTransport::from_parts(&server.transport, server.endpoint_url().as_deref(), command.as_deref()) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
    let (creds, policy) = match installation {
        Some(i) => secrets_of(ctx, conn, i).await?,
        None => (None, None),
    };
    let mut bearer_override = None;
    let auth = if creds.is_none() && server.auth_mode == "BEARER" && bearer.is_some() {
        bearer_override = bearer.map(str::to_string);
        McpAuth::None
    } else if creds.is_none() && installation.is_none() {
        // Discovery before any installation has credentials: try without.
        McpAuth::None
    } else {
        match McpAuth::from_parts(&server.auth_mode, creds.as_ref(), policy.as_ref()) {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        }
    };
    let definition = ServerDefinition::new(transport, auth);
    let session = installation.map(|i| SessionKey::for_definition(&i.id, &definition, bearer_override.as_deref()));
    Ok(Ok(Connection { definition, options: CallOptions { session, bearer_override, ..CallOptions::default() } }))
}

/// Lists a server's tools over MCP, with the credentials of its newest `ACTIVE`
/// installation when it has one.
pub async fn list_tools(ctx: &Ctx, server: &ServerRow) -> ApiResult<Vec<ToolInfo>> {
    let connection = {
        let mut conn = ctx.db.read().await?;
        let installation = store::newest_active_installation(&mut conn, &server.id).await?;
        connection(ctx, &mut conn, server, installation.as_ref(), None).await?
    };
    let c = connection.map_err(|e| mcp_error(&e))?;
    // Discovery always uses a session of its own.
    let options = CallOptions { session: None, ..c.options };
    ctx.mcp.client.list_tools(&c.definition, &options).await.map_err(|e| mcp_error(&e))
}

/// Everything a call needs, loaded by installation id and tool name (or id).
#[derive(Debug, Clone)]
pub struct Target {
    pub server: ServerRow,
    pub installation: InstallationRow,
    pub tool: ToolRow,
    pub policy: Effective,
}

/// 404 for an unknown installation or a tool its server does not have.
pub async fn load_target(conn: &mut Conn, tenant_id: &str, installation_id: &str, tool: &str) -> ApiResult<Target> {
    let installation = load_installation(conn, tenant_id, installation_id).await?;
    let server = store::get_server(conn, tenant_id, &installation.server_id)
        .await?
        .ok_or_else(|| ApiError::not_found("MCP server"))?;
    let found = match store::tool_by_name(conn, &server.id, tool).await? {
        Some(t) => Some(t),
        None => store::get_tool(conn, tenant_id, tool).await?.filter(|t| t.server_id == server.id),
    };
    let tool = found.ok_or_else(|| ApiError::not_found("MCP tool"))?;
    let policy = store::get_policy(conn, &installation.id, &tool.id).await?;
    let policy = effective(&installation, &tool, policy.as_ref());
    Ok(Target { server, installation, tool, policy })
}

/// Failures of `arguments` against the tool's input schema (JSON pointers).
pub fn validation_errors(tool: &ToolRow, arguments: &Value) -> Vec<Value> {
    match zaby_mcp::validate_arguments(&tool.input_schema, arguments) {
        Ok(errors) => errors.into_iter().map(|e| json!({"field": e.field, "message": e.message})).collect(),
        Err(e) => vec![json!({"field": "", "message": format!("the tool's input schema cannot be used: {e}")})],
    }
}

fn window_start(now: i64) -> i64 {
    now - now.rem_euclid(WINDOW_MS)
}

fn rate_key(installation_id: &str) -> String {
    format!("mcp:{installation_id}")
}

/// Whether the installation's current window is full (without counting a call).
pub async fn rate_limited(conn: &mut Conn, i: &InstallationRow, now: i64) -> ApiResult<bool> {
    let Some(limit) = i.rate_limit_per_minute else {
        return Ok(false);
    };
    Ok(store::window_hits(conn, &rate_key(&i.id), window_start(now)).await? >= limit)
}

/// Counts one call against `rateLimitPerMinute`; `Err(429)` when the window is full.
pub async fn take_rate(ctx: &Ctx, i: &InstallationRow) -> ApiResult<()> {
    let Some(limit) = i.rate_limit_per_minute else {
        return Ok(());
    };
    let now = now_ms();
    let start = window_start(now);
    let mut tx = ctx.db.write().await?;
    let ok = hit_window(tx.conn(), &rate_key(&i.id), start, limit).await?;
    tx.commit().await?;
    if ok {
        return Ok(());
    }
    let retry = ((start + WINDOW_MS - now) as u64).div_ceil(1000).max(1);
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        format!("MCP installation {} allows {limit} tool invocations per minute", i.id),
    )
    .with_details(json!({"limit": limit, "windowSeconds": 60}))
    .with_retry_after(retry))
}

/// The `PreflightResult` of a call, plus whether it is allowed.
pub fn preflight_result(t: &Target, errors: &[Value], limited: bool) -> (Value, Vec<&'static str>) {
    let mut reasons = Vec::new();
    if !t.policy.enabled {
        reasons.push("TOOL_DISABLED");
    }
    if t.installation.revoked() {
        reasons.push("INSTALLATION_REVOKED");
    }
    if !errors.is_empty() {
        reasons.push("INVALID_ARGUMENTS");
    }
    if limited {
        reasons.push("RATE_LIMITED");
    }
    let value = json!({
        "installationId": t.installation.id,
        "toolId": t.tool.id,
        "toolName": t.tool.name,
        "allowed": reasons.is_empty(),
        "requiresApproval": t.policy.requires_approval,
        "riskLevel": t.policy.risk_level,
        "reasons": reasons,
        "validationErrors": errors,
    });
    (value, reasons)
}

fn arguments_of(body: &Value) -> ApiResult<Value> {
    match body.get("arguments") {
        None | Some(Value::Null) => Ok(json!({})),
        Some(v) => Ok(v.clone()),
    }
}

/// E79.
pub async fn preflight(
    ctx: &Ctx,
    caller: &Caller,
    installation_id: &str,
    tool: &str,
    body: &Value,
) -> ApiResult<Outcome> {
    let mut conn = ctx.db.read().await?;
    let t = load_target(&mut conn, &caller.tenant_id, installation_id, tool).await?;
    let arguments = arguments_of(body)?;
    let errors = validation_errors(&t.tool, &arguments);
    let limited = rate_limited(&mut conn, &t.installation, now_ms()).await?;
    Ok(Outcome::Ok(preflight_result(&t, &errors, limited).0))
}

/// Calls the tool over MCP (after every check passed).
pub async fn call(
    ctx: &Ctx,
    t: &Target,
    arguments: Value,
    bearer: Option<&str>,
) -> ApiResult<Result<ToolCallResult, McpError>> {
    let connection = {
        let mut conn = ctx.db.read().await?;
        connection(ctx, &mut conn, &t.server, Some(&t.installation), bearer).await?
    };
    let c = match connection {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    Ok(ctx.mcp.client.call_tool(&c.definition, &t.tool.name, arguments, &c.options).await)
}

/// E80: revoked → 409, disabled → 403, invalid arguments → 422 (JSON pointers),
/// over the rate limit → 429, then the call (502 / 504 upstream).
pub async fn invoke(ctx: &Ctx, caller: &Caller, installation_id: &str, tool: &str, body: &Value) -> ApiResult<Outcome> {
    let t = {
        let mut conn = ctx.db.read().await?;
        load_target(&mut conn, &caller.tenant_id, installation_id, tool).await?
    };
    let mut f = Fields::new(body);
    let agent_id = f.opt_str("agentId", 100);
    let _run_id = f.opt_str("runId", 100);
    f.finish()?;
    if t.installation.revoked() {
        return Err(revoked_error(&t.installation));
    }
    if !t.policy.enabled {
        return Err(ApiError::forbidden(
            "TOOL_DISABLED",
            format!("tool {} is disabled in this installation", t.tool.name),
        ));
    }
    let arguments = arguments_of(body)?;
    let errors = validation_errors(&t.tool, &arguments);
    if !errors.is_empty() {
        let message = errors
            .iter()
            .map(|e| {
                let field = e["field"].as_str().unwrap_or("");
                format!(
                    "{} {}",
                    if field.is_empty() { "arguments" } else { field },
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR", message)
            .with_details(json!({"errors": errors})));
    }
    if let Some(agent_id) = &agent_id {
        let mut conn = ctx.db.read().await?;
        if crate::storage::agents::get(&mut conn, &caller.tenant_id, agent_id).await?.is_none() {
            return Err(ApiError::invalid("agentId", "does not name an agent of this tenant"));
        }
        if !super::agent_has_access(&mut conn, &t.installation.id, agent_id, now_ms()).await? {
            return Err(ApiError::invalid("agentId", "holds no invoke access grant for this installation"));
        }
    }
    take_rate(ctx, &t.installation).await?;
    let started = Instant::now();
    let outcome = call(ctx, &t, arguments, None).await?.map_err(|e| mcp_error(&e))?;
    Ok(Outcome::Ok(json!({
        "installationId": t.installation.id,
        "toolId": t.tool.id,
        "toolName": t.tool.name,
        "isError": outcome.is_error,
        "result": outcome.result,
        "durationMs": started.elapsed().as_millis() as i64,
    })))
}
