//! What the run loop needs from the MCP and knowledge domains, as two traits.
//!
//! The run executor (`services::runs`) calls these; `services::mcp` implements
//! [`ToolGateway`] and `services::knowledge` / `services::memory` implement
//! [`RunKnowledge`]. Keeping the seam here lets the three domains evolve apart: the
//! loop never reaches into MCP sessions or search indexes, and those domains never
//! write run events.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiResult;

/// Who a run acts for; only runs started with a runtime token have an end user.
/// Stored as the run's `end_user` JSON object, by wire names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndUser {
    /// The token's `externalUserId`, when set.
    #[serde(default)]
    pub external_user_id: Option<String>,
    /// The token's `uniqueIdHash`, when set.
    #[serde(default)]
    pub unique_id_hash: Option<String>,
}

/// Identifies the run a tool call or retrieval belongs to.
#[derive(Debug, Clone)]
pub struct RunScope {
    pub tenant_id: String,
    pub agent_id: String,
    pub run_id: String,
    pub deployment_id: Option<String>,
    pub session_id: String,
    pub is_test_run: bool,
    pub end_user: Option<EndUser>,
    /// `mcpRuntimeBearerToken` of the run input, decrypted (`docs/api/agents.md` AgentRunInput).
    pub mcp_bearer: Option<String>,
}

/// A tool an attachment offers to the model (`docs/server.md` "Tool names in runs").
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedTool {
    /// The name the model sees and that events, approvals and `/tool` use.
    pub name: String,
    pub description: Option<String>,
    pub input_schema: Value,
    pub attachment_id: String,
    pub installation_id: String,
    pub tool_id: String,
    /// The MCP tool name on its server.
    pub mcp_name: String,
    /// `AUTO`, `MANUAL` or `TENANT_POLICY`.
    pub approval_mode: String,
}

/// What preflight decided for one call (`docs/api/mcp.md` `PreflightResult`, as JSON) and
/// whether the call must wait for a human.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDecision {
    /// The `PreflightResult` object.
    pub preflight: Value,
    pub allowed: bool,
    /// After the attachment's approval mode was applied.
    pub needs_approval: bool,
    /// When not allowed: the failed-call code (`TOOL_DISABLED`, `INVALID_ARGUMENTS`,
    /// `ACCESS_DENIED`, `INSTALLATION_REVOKED`, `RATE_LIMITED`) and a message.
    pub refusal: Option<(String, String)>,
}

/// The outcome of a tool call as it goes into `tool_result`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutcome {
    pub is_error: bool,
    /// `structuredContent`, else the `content` array; for failures `{ code, message }`.
    pub result: Value,
}

/// Tools for runs: which are offered, whether a call may proceed, and the call itself.
#[async_trait]
pub trait ToolGateway: Send + Sync {
    /// Tools offered by the MCP attachments of the version the run executes
    /// (`mcp_attachments` are the snapshot's `mcpTools` entries, in creation order).
    async fn offered_tools(&self, scope: &RunScope, mcp_attachments: &[Value]) -> ApiResult<Vec<OfferedTool>>;

    /// Preflight plus policy, without calling anything (test runs stop here).
    async fn decide(&self, scope: &RunScope, tool: &OfferedTool, arguments: &Value) -> ApiResult<ToolDecision>;

    /// Calls the tool over MCP. Upstream failures are an `is_error` outcome, not an `Err`.
    async fn invoke(&self, scope: &RunScope, tool: &OfferedTool, arguments: &Value) -> ApiResult<ToolOutcome>;
}

/// A passage retrieved for a run, knowledge chunk or memory item.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// `chunk` or `memory`.
    pub kind: &'static str,
    pub document_id: Option<String>,
    pub chunk_id: Option<String>,
    pub memory_item_id: Option<String>,
    pub title: Option<String>,
    pub content: String,
    pub score: f64,
}

/// Knowledge and memory for runs (`docs/server.md` "Retrieval in runs", `docs/api/memory.md`).
#[async_trait]
pub trait RunKnowledge: Send + Sync {
    /// Chunks of the enabled knowledge-base attachments (`kb_attachments`: the
    /// snapshot's `knowledgeBases` entries) merged and cut to 5, then the end user's
    /// memory (top 3) when the run has an end user; best first within each kind.
    async fn retrieve(&self, scope: &RunScope, kb_attachments: &[Value], message: &str) -> ApiResult<Vec<Passage>>;

    /// After a run with an end user completed: store the proposed memory candidates
    /// (`(content, kind)` pairs), skipping duplicates, auto-approving per agent config.
    async fn propose_memory(
        &self,
        scope: &RunScope,
        agent_config: &Value,
        candidates: Vec<(String, String)>,
    ) -> ApiResult<()>;
}
