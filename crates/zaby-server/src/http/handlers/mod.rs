//! Thin handlers: extract, call a service, return its outcome.

pub mod agents;
pub mod intelligence;
pub mod knowledge;
pub mod managed;
pub mod mcp;
pub mod memory;
pub mod run_stream;
pub mod runs;
pub mod system;
pub mod tool_results;
pub mod webhooks;
pub(crate) mod wire;
