//! # zaby
//!
//! The Zaby SDK core, and the Rust SDK itself. Two clients:
//!
//! * [`Zaby`] — management and provisioning with an API key (agents, deployments,
//!   external apps, runtime-token minting, knowledge, MCP, memory, intelligence), and
//!   the tenant agent routes with a tenant access token;
//! * [`ZabyRuntime`] — the end-user runtime with a short-lived runtime token: start
//!   runs, stream their events, answer approvals, send feedback.
//!
//! Every method comes from one endpoint table ([`endpoints::ENDPOINTS`]); the Python and
//! Node packages are thin bindings over this crate.
//!
//! ```no_run
//! # async fn demo() -> zaby::Result<()> {
//! use serde_json::json;
//! let zaby = zaby::Zaby::new("zaby_pk_example")?;
//! let agent = zaby.agents().create(json!({"slug": "helper", "name": "Helper"})).await?;
//! println!("created {}", agent["id"]);
//! # Ok(()) }
//! ```

mod clients;
pub mod config;
mod core;
mod credential;
pub mod endpoints;
pub mod error;
mod paginate;
mod request;
pub mod sse;
mod stream;
pub mod testing;
pub mod transport;
pub mod types;
mod wait;
pub mod wire;

pub use clients::{VERSION, Zaby, ZabyBuilder, ZabyRuntime, ZabyRuntimeBuilder};
pub use config::{
    DEFAULT_ZABY_API_ORIGIN, LOCAL_ZABY_API_ORIGIN, ResolvedConfig, Retries, RetryPolicy, ZabyGlobalConfig,
    configure_zaby, reset_zaby_config_for_tests, resolve_zaby_config,
};
pub use core::RequestOptions;
pub use credential::{Credential, CredentialProvider};
pub use error::{ApiError, ApiErrorKind, Result, ZabyError};
pub use paginate::Paginator;
pub use request::ZabyRequest;
pub use sse::{RawSseEvent, SseEvent};
pub use stream::{RawRunEventStream, RunEventStream};
pub use types::ListResponse;

/// One handle type per sub-client.
pub mod clients_by_name {
    pub use crate::clients::{
        AgentsClient, ApprovalsClient, DeploymentsClient, ExternalAppsClient, HealthClient, IntelligenceClient,
        KnowledgeBasesClient, McpClient, MemoryClient, RuntimeApprovalsClient, RuntimeFeedbackClient,
        RuntimeRunsClient, RuntimeTokenFamiliesClient, RuntimeTokenGrantsClient, RuntimeTokenPoliciesClient,
        RuntimeTokenUsageClient, RuntimeTokensClient, TenantAgentsClient, UsageClient,
    };
}

/// Re-exported so callers can cancel requests and streams (`cancel_on`).
pub use tokio_util::sync::CancellationToken;
