//! Runtime routes. Runs are not stored by this server yet, so the one runtime
//! route served now (E120) passes A.6 steps 1–9 and then finds no run.

use axum::extract::State;

use crate::error::{ApiError, ApiResult};
use crate::http::auth::RuntimeAuthed;
use crate::http::extract::{PathIds, QueryMap};
use crate::services::{Outcome, SharedCtx, paging};

/// E120: the stored events of one of the token's session's runs.
pub async fn run_events(
    State(_ctx): State<SharedCtx>,
    RuntimeAuthed(_caller): RuntimeAuthed,
    _p: PathIds,
    QueryMap(q): QueryMap,
) -> ApiResult<Outcome> {
    paging::page_request(&q, 50, 500)?;
    // Step 10: run visibility. The runs issue looks the run up by id and the
    // caller's session here.
    Err(ApiError::not_found("run"))
}
