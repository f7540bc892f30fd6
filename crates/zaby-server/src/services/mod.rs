//! Services: one module per domain. They hold the rules; handlers only translate
//! HTTP, and storage only runs queries.

pub mod agents;
pub mod attachment_refs;
pub mod auth;
pub mod deployments;
pub mod idempotency;
pub mod intelligence;
pub mod knowledge;
pub mod managed;
pub mod mcp;
pub mod memory;
pub mod paging;
pub mod provisioning;
pub mod run_seams;
pub mod runs;
pub mod signing;
pub mod tenancy;
pub mod tool_secrets;
pub mod webhooks;

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Notify;

use crate::config::Settings;
use crate::storage::Db;

/// Everything a request or a background task needs.
pub struct Ctx {
    pub db: Db,
    pub settings: Settings,
    pub signer: signing::Signer,
    /// Woken when a deployment is created, so provisioning need not wait for a poll.
    pub provisioning_wakeup: Notify,
    pub started: Instant,
    /// Runs: change notifications, executor wake-up, model registry, shutdown.
    pub runs: runs::RunsState,
    /// Tools for runs (the MCP domain installs its gateway here).
    pub tools: Arc<dyn run_seams::ToolGateway>,
    /// Retrieval and memory for runs (the knowledge domain installs its own here).
    pub run_knowledge: Arc<dyn run_seams::RunKnowledge>,
    /// The embeddings provider of the settings, for semantic search and memory.
    pub embeddings: Option<zaby_knowledge::EmbeddingsClient>,
    /// MCP: the client and its sessions, credential sealing, the built-in server's address.
    pub mcp: mcp::McpState,
}

pub type SharedCtx = Arc<Ctx>;

/// Who is calling, after authentication.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant_id: String,
    pub kind: CallerKind,
}

#[derive(Debug, Clone)]
pub enum CallerKind {
    ApiKey,
    Tenant,
}
