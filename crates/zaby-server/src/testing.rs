//! What the integration tests (`tests/api`) reach inside the server besides
//! [`start`](crate::start): state to set up or read back that no endpoint exposes
//! (a second tenant, stored signals, sealed credentials, a due schedule). Not part of
//! the server's interface; the modules themselves stay private, so the compiler sees
//! every item nothing uses.

pub use crate::app::load_secrets;
pub use crate::config::MemoryExtraction;
pub use crate::services::SharedCtx;
pub use crate::services::idempotency::purge_expired as purge_expired_idempotency_records;
pub use crate::services::knowledge::jobs::fire_schedules;
pub use crate::services::knowledge::retrieval::kb_search;
pub use crate::services::knowledge::runs::KnowledgeForRuns;
pub use crate::services::mcp::builtin_token::mint as mint_builtin_token;
pub use crate::services::memory::{Proposal, propose};
pub use crate::services::run_seams::{EndUser, RunKnowledge, RunScope};
pub use crate::services::tenancy::{
    create_key, create_tenant, issue_tenant_token, list_tenants, revoke_key, rotate_signing_keys,
};
pub use crate::storage::Db;
pub use crate::storage::deployments::get as get_deployment;
pub use crate::storage::memory::{Owner, count_deletions};
pub use crate::util::clock::{now_ms, parse_bound};

/// Raw SQL against the server's database.
pub mod sql {
    pub use crate::storage::sql::{Arg, RowExt, all, exec, scalar_i64};
}

/// Stored runs, their events and signals.
pub mod runs {
    pub use crate::storage::runs::{RunRow, events_after, get_by_id, insert_signal, signals_of_run};
}
