//! The managed-agents family: external apps, runtime tokens and their families,
//! quota policies, the token usage report, and the runtime check order that every
//! `/api/v1/agent-runtime/` request passes.

pub mod apps;
pub mod families;
pub mod policies;
pub mod runtime_auth;
pub mod token_usage;
pub mod tokens;
