//! The catalogue's response types (`zaby::types`) built from the services' domain
//! structs, one file per family. Handlers answer with these, so the wire format is
//! the one the SDKs read by construction; each file's unit tests check its types
//! against the catalogue's schema, so a change that breaks the format fails there,
//! not only in an end-to-end suite.

mod apps;

pub(crate) use apps::external_app;
use serde::Serialize;
use serde_json::Value;

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
