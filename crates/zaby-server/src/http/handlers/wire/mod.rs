//! The catalogue's response types (`zaby::types`) built from the services' domain
//! structs, one file per family. Handlers answer with these, so the wire format is
//! the one the SDKs read by construction; each file's unit tests check its types
//! against the catalogue's schema, so a change that breaks the format fails there,
//! not only in an end-to-end suite.

mod agents;
mod apps;
mod deployments;
mod families;
mod feedback;
#[cfg(test)]
mod fixtures;
mod intelligence;
mod knowledge;
mod mcp;
mod memory;
mod policies;
mod runs;
mod tokens;
mod usage;
mod webhooks;

pub(crate) use agents::{agent, agent_version, deleted};
pub(crate) use apps::{deployment_binding, external_app};
pub(crate) use deployments::{deployment, provisioning};
pub(crate) use families::{family_revocation, grant, token_family};
pub(crate) use feedback::feedback;
pub(crate) use intelligence::{improvement, rollup, signal};
pub(crate) use knowledge::{
    document, finding, governance, ingestion_policy, job, knowledge_base, library_document, profile, projection,
    provisional_answer, selection, source, source_group,
};
pub(crate) use mcp::{
    access_grant, auth_policy, catalog_entry, credential_binding, installation_tool, invocation, mcp_installation,
    mcp_server, tool_discovery,
};
pub(crate) use memory::{memory_candidate, memory_item, memory_retrieval};
pub(crate) use policies::policy;
pub(crate) use runs::{approval, event_page, run, run_start};
use serde::Serialize;
use serde_json::Value;
pub(crate) use tokens::{minted, runtime_token};
pub(crate) use usage::{agent_usage, token_usage};
pub(crate) use webhooks::{run_event_data, webhook_delivery, webhook_endpoint};

use crate::error::{ApiError, ApiResult};
use crate::services::paging::list_body;
use crate::storage::page::Page;

/// A list page (`ListResponse<T>`) of wire items, bounded in bytes like every list.
pub(crate) fn page<D, W: Serialize>(
    max_bytes: usize,
    page: Page<D>,
    to_wire: impl Fn(D) -> ApiResult<W>,
) -> ApiResult<Value> {
    let Page { items, cursors, next_cursor, total } = page;
    let items = items
        .into_iter()
        .map(|d| {
            let item = to_wire(d)?;
            serde_json::to_value(item)
                .map_err(|e| ApiError::internal("a list item could not be written").with_cause(e.to_string()))
        })
        .collect::<ApiResult<Vec<Value>>>()?;
    Ok(list_body(max_bytes, Page { items, cursors, next_cursor, total }))
}

/// A stored text column read as a catalogue enumeration; a value the catalogue does
/// not know is a 500 naming what was read, never a wrong answer.
pub(crate) fn stored<E>(what: &str, s: &str) -> ApiResult<E>
where
    E: std::str::FromStr,
    E::Err: std::fmt::Display,
{
    s.parse().map_err(|e| ApiError::internal(format!("stored {what}: {e}")))
}
