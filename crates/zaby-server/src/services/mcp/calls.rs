//! Connecting to a server with the right credentials, discovery, preflight (E79)
//! and invocation (E80). The run loop's tool calls go through the same functions.

use std::time::Instant;

use http::StatusCode;
use serde_json::{Map, Value, json};
use zaby::types::{InvokeToolInput, McpAuthMode, PreflightInput, PreflightReason, PreflightResult, ValidationIssue};
use zaby_mcp::{CallOptions, McpAuth, McpError, McpTransport, ServerDefinition, SessionKey, ToolCallResult, ToolInfo};

use super::{Effective, builtin_token, effective, load_installation, mcp_error, revoked_error};
use crate::error::{ApiError, ApiResult};
use crate::services::{Caller, Ctx};
use crate::storage::mcp::{self as store, InstallationRow, ServerRow, ToolRow};
use crate::storage::sql::Conn;
use crate::storage::tokens::hit_window;
use crate::util::clock::now_ms;
use crate::util::input::Problems;

pub(crate) const WINDOW_MS: i64 = 60_000;

/// How one operation reaches a server.
pub(crate) struct Connection {
    pub(crate) definition: ServerDefinition,
    pub(crate) options: CallOptions,
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
pub(crate) async fn connection(
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
    let doc = &server.doc;
    let transport =
        match McpTransport::from_parts(&server.transport, doc.endpoint_url.as_deref(), doc.command.as_deref()) {
            Ok(t) => t,
            Err(e) => return Ok(Err(e)),
        };
    let (creds, policy) = match installation {
        Some(i) => secrets_of(ctx, conn, i).await?,
        None => (None, None),
    };
    let mut bearer_override = None;
    let auth = if creds.is_none() && server.auth_mode == McpAuthMode::Bearer.as_str() && bearer.is_some() {
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
pub(crate) async fn list_tools(ctx: &Ctx, server: &ServerRow) -> ApiResult<Vec<ToolInfo>> {
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
pub(crate) struct Target {
    pub(crate) server: ServerRow,
    pub(crate) installation: InstallationRow,
    pub(crate) tool: ToolRow,
    pub(crate) policy: Effective,
}

/// 404 for an unknown installation or a tool its server does not have.
pub(crate) async fn load_target(
    conn: &mut Conn,
    tenant_id: &str,
    installation_id: &str,
    tool: &str,
) -> ApiResult<Target> {
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
pub(crate) fn validation_errors(tool: &ToolRow, arguments: &Value) -> Vec<ValidationIssue> {
    let issue = |field: String, message: String| ValidationIssue { field, message, extra: Map::new() };
    match zaby_mcp::validate_arguments(&tool.input_schema, arguments) {
        Ok(errors) => errors.into_iter().map(|e| issue(e.field, e.message)).collect(),
        Err(e) => vec![issue(String::new(), format!("the tool's input schema cannot be used: {e}"))],
    }
}

fn window_start(now: i64) -> i64 {
    now - now.rem_euclid(WINDOW_MS)
}

fn rate_key(installation_id: &str) -> String {
    format!("mcp:{installation_id}")
}

/// Whether the installation's current window is full (without counting a call).
pub(crate) async fn rate_limited(conn: &mut Conn, i: &InstallationRow, now: i64) -> ApiResult<bool> {
    let Some(limit) = i.rate_limit_per_minute else {
        return Ok(false);
    };
    Ok(store::window_hits(conn, &rate_key(&i.id), window_start(now)).await? >= limit)
}

/// Counts one call against `rateLimitPerMinute`; `Err(429)` when the window is full.
pub(crate) async fn take_rate(ctx: &Ctx, i: &InstallationRow) -> ApiResult<()> {
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

/// The `PreflightResult` of a call: E79's answer, and what a test run records as
/// the call's result. `allowed` is true exactly when `reasons` is empty.
pub(crate) fn preflight_result(
    t: &Target,
    validation_errors: Vec<ValidationIssue>,
    limited: bool,
) -> ApiResult<PreflightResult> {
    let mut reasons = Vec::new();
    if !t.policy.enabled {
        reasons.push(PreflightReason::ToolDisabled);
    }
    if t.installation.revoked() {
        reasons.push(PreflightReason::InstallationRevoked);
    }
    if !validation_errors.is_empty() {
        reasons.push(PreflightReason::InvalidArguments);
    }
    if limited {
        reasons.push(PreflightReason::RateLimited);
    }
    let risk_level = t.policy.risk_level.parse().map_err(|e| ApiError::internal(format!("stored risk level: {e}")))?;
    Ok(PreflightResult {
        installation_id: t.installation.id.clone(),
        tool_id: t.tool.id.clone(),
        tool_name: t.tool.name.clone(),
        allowed: reasons.is_empty(),
        requires_approval: t.policy.requires_approval,
        risk_level,
        reasons,
        validation_errors,
        extra: Map::new(),
    })
}

/// E79. An unknown installation or tool is a 404 before any 422 about the body
/// (`input`).
pub(crate) async fn preflight(
    ctx: &Ctx,
    caller: &Caller,
    installation_id: &str,
    tool: &str,
    input: ApiResult<PreflightInput>,
) -> ApiResult<PreflightResult> {
    let mut conn = ctx.db.read().await?;
    let t = load_target(&mut conn, &caller.tenant_id, installation_id, tool).await?;
    let arguments = Value::Object(input?.arguments.unwrap_or_default());
    let errors = validation_errors(&t.tool, &arguments);
    let limited = rate_limited(&mut conn, &t.installation, now_ms()).await?;
    preflight_result(&t, errors, limited)
}

/// Calls the tool over MCP (after every check passed).
pub(crate) async fn call(
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

/// A direct invocation's outcome (`ToolInvocationResult`).
pub(crate) struct Invocation {
    pub(crate) installation_id: String,
    pub(crate) tool_id: String,
    pub(crate) tool_name: String,
    pub(crate) outcome: ToolCallResult,
    pub(crate) duration_ms: i64,
}

/// E80: revoked → 409, disabled → 403, invalid arguments → 422 (JSON pointers),
/// over the rate limit → 429, then the call (502 / 504 upstream). An unknown
/// installation or tool is a 404 before any 422 about the body (`input`).
pub(crate) async fn invoke(
    ctx: &Ctx,
    caller: &Caller,
    installation_id: &str,
    tool: &str,
    input: ApiResult<InvokeToolInput>,
) -> ApiResult<Invocation> {
    let t = {
        let mut conn = ctx.db.read().await?;
        load_target(&mut conn, &caller.tenant_id, installation_id, tool).await?
    };
    let input = input?;
    let mut p = Problems::default();
    for (field, value) in [("agentId", &input.agent_id), ("runId", &input.run_id)] {
        if let Some(v) = value {
            p.text(field, v, 100, false);
        }
    }
    p.finish()?;
    if t.installation.revoked() {
        return Err(revoked_error(&t.installation));
    }
    if !t.policy.enabled {
        return Err(ApiError::forbidden(
            "TOOL_DISABLED",
            format!("tool {} is disabled in this installation", t.tool.name),
        ));
    }
    let arguments = Value::Object(input.arguments.unwrap_or_default());
    let errors = validation_errors(&t.tool, &arguments);
    if !errors.is_empty() {
        let message = errors
            .iter()
            .map(|e| format!("{} {}", if e.field.is_empty() { "arguments" } else { &e.field }, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR", message)
            .with_details(json!({"errors": errors})));
    }
    if let Some(agent_id) = &input.agent_id {
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
    Ok(Invocation {
        installation_id: t.installation.id,
        tool_id: t.tool.id,
        tool_name: t.tool.name,
        outcome,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    })
}
