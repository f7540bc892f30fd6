//! The outbox: an event is stored, with one delivery per endpoint that wants it, in
//! the transaction of the change it reports, so an event is sent if and only if its
//! change was committed, and its payload shows the state that change left.

use super::events::{store_event, subscribers};
use crate::error::ApiResult;
use crate::storage::runs::RunRow;
use crate::storage::sql::Conn;

/// A `run.*` event (`run.completed`, …) about `row`, the run as this transaction
/// leaves it: the payload is `{ "run": Run }`. Nothing is read or written when no
/// endpoint of the tenant wants it.
pub async fn record_run(conn: &mut Conn, row: &RunRow, event_type: &str) -> ApiResult<()> {
    let webhook_ids = subscribers(conn, &row.tenant_id, event_type, Some(&row.agent_id)).await?;
    if webhook_ids.is_empty() {
        return Ok(());
    }
    let data = crate::http::handlers::wire::run_event_data(conn, row).await?;
    store_event(conn, &row.tenant_id, event_type, Some(&row.id), data, &webhook_ids).await?;
    Ok(())
}
