//! Typed objects of the API (camelCase on the wire; unknown fields kept in `extra`).
//! Every call returns JSON; `.typed::<T>()` turns it into one of these.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page of a list endpoint (API.md §1.10).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T = Value> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub total: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
