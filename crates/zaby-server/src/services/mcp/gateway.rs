//! [`ToolGateway`] over MCP: which tools a run's attachments offer (`docs/server.md`
//! "Tool names in runs"), preflight + policy + approval mode, and the call, with
//! every failure turned into a `{code, message}` tool result.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use zaby::types::{ApprovalMode, PreflightReason, PreflightResult, RiskLevel, ToolErrorCode, ValidationIssue};
use zaby_mcp::McpError;

use super::calls::{self, Target, load_target};
use crate::error::{ApiError, ApiResult};
use crate::services::SharedCtx;
use crate::services::run_seams::{OfferedTool, RunScope, ToolDecision, ToolGateway, ToolOutcome};
use crate::storage::mcp as store;
use crate::util::clock::now_ms;

/// The gateway the run loop uses (`Ctx` holds it as `Arc<dyn ToolGateway>`).
pub(crate) struct McpToolGateway {
    ctx: std::sync::Weak<crate::services::Ctx>,
}

impl McpToolGateway {
    /// Holds the context weakly, since the context owns the gateway: build it with
    /// `Arc::new_cyclic(|weak| Ctx { tools: McpToolGateway::new(weak.clone()), .. })`.
    pub(crate) fn new(ctx: std::sync::Weak<crate::services::Ctx>) -> Arc<Self> {
        Arc::new(McpToolGateway { ctx })
    }

    fn ctx(&self) -> ApiResult<SharedCtx> {
        self.ctx.upgrade().ok_or_else(|| ApiError::unavailable("the server is shutting down"))
    }
}

/// A `PreflightResult` as the JSON a test run records for the call.
fn as_json(p: &PreflightResult) -> ApiResult<Value> {
    serde_json::to_value(p)
        .map_err(|e| ApiError::internal("a preflight result could not be written").with_cause(e.to_string()))
}

fn failure(code: ToolErrorCode, message: impl Into<String>) -> ToolOutcome {
    ToolOutcome { is_error: true, result: json!({"code": code.as_str(), "message": message.into()}) }
}

/// The failed-call code of an MCP client error (`docs/api/types.md`).
fn failure_of(e: &McpError) -> ToolOutcome {
    let code = match e {
        McpError::Timeout { .. } => ToolErrorCode::McpTimeout,
        McpError::InvalidArguments(_) => ToolErrorCode::InvalidArguments,
        _ => ToolErrorCode::McpServerError,
    };
    failure(code, e.to_string())
}

/// Why a call may not go ahead, in the order E80 checks (access after the tool).
async fn refusal(
    ctx: &crate::services::Ctx,
    scope: &RunScope,
    t: &Target,
    errors: &[ValidationIssue],
    limited: bool,
) -> ApiResult<Option<(ToolErrorCode, String)>> {
    let name = &t.tool.name;
    if t.installation.revoked() {
        return Ok(Some((
            ToolErrorCode::InstallationRevoked,
            format!("MCP installation {} is revoked", t.installation.id),
        )));
    }
    if !t.policy.enabled {
        return Ok(Some((ToolErrorCode::ToolDisabled, format!("tool {name} is disabled in this installation"))));
    }
    let mut conn = ctx.db.read().await?;
    if !super::agent_has_access(&mut conn, &t.installation.id, &scope.agent_id, now_ms()).await? {
        return Ok(Some((
            ToolErrorCode::AccessDenied,
            format!("the agent holds no invoke access grant for MCP installation {}", t.installation.id),
        )));
    }
    if !errors.is_empty() {
        let detail = errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        return Ok(Some((ToolErrorCode::InvalidArguments, format!("invalid arguments for {name}: {}", detail.trim()))));
    }
    if limited {
        return Ok(Some((
            ToolErrorCode::RateLimited,
            format!("MCP installation {} is over its rate limit", t.installation.id),
        )));
    }
    Ok(None)
}

async fn target(ctx: &crate::services::Ctx, scope: &RunScope, tool: &OfferedTool) -> ApiResult<Option<Target>> {
    let mut conn = ctx.db.read().await?;
    match load_target(&mut conn, &scope.tenant_id, &tool.installation_id, &tool.tool_id).await {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.status == http::StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl ToolGateway for McpToolGateway {
    async fn offered_tools(&self, scope: &RunScope, mcp_attachments: &[Value]) -> ApiResult<Vec<OfferedTool>> {
        let ctx = self.ctx()?;
        let mut conn = ctx.db.read().await?;
        let mut offered = Vec::new();
        for a in mcp_attachments {
            if a["enabled"] == false {
                continue;
            }
            let (Some(attachment_id), Some(installation_id)) = (a["id"].as_str(), a["tenantInstallationId"].as_str())
            else {
                continue;
            };
            let Some(i) = store::get_installation(&mut conn, &scope.tenant_id, installation_id).await? else {
                continue;
            };
            let approval_mode = a["approvalMode"].as_str().unwrap_or(ApprovalMode::TenantPolicy.as_str()).to_string();
            match a["toolDefinitionId"].as_str() {
                Some(tool_id) => {
                    // A tool removed by re-discovery offers nothing.
                    let Some(t) = store::get_tool(&mut conn, &scope.tenant_id, tool_id)
                        .await?
                        .filter(|t| t.server_id == i.server_id)
                    else {
                        continue;
                    };
                    offered.push(OfferedTool {
                        name: a["key"].as_str().unwrap_or(&t.name).to_string(),
                        description: a["description"].as_str().map(str::to_string).or(t.description.clone()),
                        input_schema: t.input_schema.clone(),
                        attachment_id: attachment_id.to_string(),
                        installation_id: i.id.clone(),
                        tool_id: t.id.clone(),
                        mcp_name: t.name.clone(),
                        approval_mode,
                    });
                }
                None => {
                    let policies = store::policies_of(&mut conn, &i.id).await?;
                    for t in store::tools_of_server(&mut conn, &i.server_id).await? {
                        // Every enabled tool (by its policy; a revoked installation still
                        // offers them, and their calls fail with INSTALLATION_REVOKED).
                        if policies.iter().any(|p| p.tool_id == t.id && !p.enabled) {
                            continue;
                        }
                        offered.push(OfferedTool {
                            name: t.name.clone(),
                            description: t.description.clone(),
                            input_schema: t.input_schema.clone(),
                            attachment_id: attachment_id.to_string(),
                            installation_id: i.id.clone(),
                            tool_id: t.id.clone(),
                            mcp_name: t.name.clone(),
                            approval_mode: approval_mode.clone(),
                        });
                    }
                }
            }
        }
        Ok(offered)
    }

    async fn decide(&self, scope: &RunScope, tool: &OfferedTool, arguments: &Value) -> ApiResult<ToolDecision> {
        let ctx = self.ctx()?;
        let Some(t) = target(&ctx, scope, tool).await? else {
            let gone = PreflightResult {
                installation_id: tool.installation_id.clone(),
                tool_id: tool.tool_id.clone(),
                tool_name: tool.mcp_name.clone(),
                allowed: false,
                requires_approval: false,
                risk_level: RiskLevel::Low,
                reasons: vec![PreflightReason::ToolDisabled],
                validation_errors: Vec::new(),
                extra: Map::new(),
            };
            return Ok(ToolDecision {
                preflight: as_json(&gone)?,
                allowed: false,
                needs_approval: false,
                refusal: Some((
                    ToolErrorCode::ToolDisabled.as_str().into(),
                    format!("tool {} no longer exists", tool.name),
                )),
            });
        };
        let errors = calls::validation_errors(&t.tool, arguments);
        let limited = {
            let mut conn = ctx.db.read().await?;
            calls::rate_limited(&mut conn, &t.installation, now_ms()).await?
        };
        let refusal = refusal(&ctx, scope, &t, &errors, limited).await?;
        let preflight = as_json(&calls::preflight_result(&t, errors, limited)?)?;
        let needs_approval = match tool.approval_mode.parse() {
            Ok(ApprovalMode::Auto) => false,
            Ok(ApprovalMode::Manual) => true,
            _ => t.policy.requires_approval,
        };
        let refusal = refusal.map(|(code, message)| (code.as_str().to_string(), message));
        Ok(ToolDecision { preflight, allowed: refusal.is_none(), needs_approval, refusal })
    }

    async fn invoke(&self, scope: &RunScope, tool: &OfferedTool, arguments: &Value) -> ApiResult<ToolOutcome> {
        let ctx = self.ctx()?;
        let Some(t) = target(&ctx, scope, tool).await? else {
            return Ok(failure(ToolErrorCode::ToolDisabled, format!("tool {} no longer exists", tool.name)));
        };
        // State may have changed while the call waited for approval.
        let errors = calls::validation_errors(&t.tool, arguments);
        if let Some((code, message)) = refusal(&ctx, scope, &t, &errors, false).await? {
            return Ok(failure(code, message));
        }
        if let Err(e) = calls::take_rate(&ctx, &t.installation).await {
            if e.code == ToolErrorCode::RateLimited.as_str() {
                return Ok(failure(ToolErrorCode::RateLimited, e.message));
            }
            return Err(e);
        }
        Ok(match calls::call(&ctx, &t, arguments.clone(), scope.mcp_bearer.as_deref()).await? {
            Ok(r) => ToolOutcome { is_error: r.is_error, result: r.result },
            Err(e) => failure_of(&e),
        })
    }
}
