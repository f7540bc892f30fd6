//! MCP storage, one file per part of `services/mcp`: server definitions with their
//! tools, installations with their tool policies, and what reaches and guards an
//! installation (credentials, bindings, auth policies, access grants). Callers use
//! the items from here.

mod access;
mod installations;
mod servers;

pub(crate) use access::*;
pub(crate) use installations::*;
pub(crate) use servers::*;
