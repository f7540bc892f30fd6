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
//! Node packages are thin bindings over this crate. Methods are typed: inputs, queries
//! and answers are the structs and enums of [`types`]; `.json()` on a call gives the
//! raw `serde_json::Value` instead, and a `serde_json::Value` is accepted wherever an
//! input struct is.
//!
//! A run's stream ([`RunEventStream`]) yields [`RunEvent`]s: one variant per event name
//! with its payload typed, and [`RunEvent::Other`] for a name this SDK does not know (never
//! dropped); [`RunEventStream::raw`] gives the untyped events. The stored record of an
//! event, what `runtime.runs().events(…)` lists, is [`types::StoredRunEvent`]: the
//! catalogue calls it `RunEvent`, and the Rust SDK renames it so that the two never
//! share a name.
//!
//! Client function tools run in your code: [`RunEventStream::with_tools`] takes a
//! [`ClientTools`] map of async closures, calls the one a `tool_call` names, submits its
//! answer and keeps streaming (`docs/function-tools.md`; the example is on [`ClientTools`]).
//!
//! ```no_run
//! # async fn demo() -> zaby::Result<()> {
//! use zaby::types::{AgentInput, AgentStatus};
//! let zaby = zaby::Zaby::new("zaby_pk_example")?;
//! let input = AgentInput { slug: "helper".into(), name: "Helper".into(), ..Default::default() };
//! let agent = zaby.agents().create(input).await?;
//! assert_eq!(agent.status, AgentStatus::Draft);
//! println!("created {}", agent.id);
//! # Ok(()) }
//! ```

mod body;
mod clients;
pub mod config;
mod core;
mod credential;
pub mod endpoints;
pub mod error;
mod methods;
mod paginate;
mod request;
mod run_event;
pub mod sse;
mod stream;
pub mod testing;
mod tools;
pub mod transport;
pub mod types;
mod wait;
pub mod webhooks;
pub mod wire;
mod wire_enum;

pub use body::{Body, OptionalInput};
pub use clients::{VERSION, Zaby, ZabyBuilder, ZabyRuntime, ZabyRuntimeBuilder};
pub use config::{
    DEFAULT_ZABY_API_ORIGIN, LOCAL_ZABY_API_ORIGIN, ResolvedConfig, Retries, RetryPolicy, ZabyGlobalConfig,
    configure_zaby, reset_zaby_config_for_tests, resolve_zaby_config,
};
pub use core::RequestOptions;
pub use credential::{Credential, CredentialProvider};
pub use error::{ApiError, ApiErrorKind, Result, ZabyError};
pub use paginate::Paginator;
pub use request::{ResponseMeta, ZabyRequest};
pub use run_event::{RunEvent, RunEventPayload};
pub use sse::{RawSseEvent, SseEvent};
pub use stream::{RawRunEventStream, RunEventStream};
pub use tools::{ClientCall, ClientToolStream, ClientTools, ToolCallEvent, ToolFn, ToolOutcome};
pub use types::ListResponse;
pub use wire_enum::UnknownEnumValue;

/// One handle type per sub-client.
pub mod clients_by_name {
    pub use crate::clients::{
        AgentsClient, ApprovalsClient, DeploymentsClient, ExternalAppsClient, HealthClient, IntelligenceClient,
        KnowledgeBasesClient, McpClient, MemoryClient, RuntimeApprovalsClient, RuntimeFeedbackClient,
        RuntimeRunsClient, RuntimeTokenFamiliesClient, RuntimeTokenGrantsClient, RuntimeTokenPoliciesClient,
        RuntimeTokenUsageClient, RuntimeTokensClient, TenantAgentsClient, UsageClient, WebhooksClient,
    };
}

/// Re-exported so callers can cancel requests and streams (`cancel_on`).
pub use tokio_util::sync::CancellationToken;
