//! The outbox: an event is stored, with one delivery per endpoint that wants it, in
//! the transaction of the change it reports, so an event is sent if and only if its
//! change was committed, and its payload shows the state that change left.

use serde_json::json;

use super::events::{payload, store_event, subscribers};
use crate::error::ApiResult;
use crate::http::handlers::wire;
use crate::storage::runs::{ApprovalRow, FeedbackRow, RunRow};
use crate::storage::sql::Conn;

/// A `run.*` event (`run.completed`, …) about `row`, the run as this transaction
/// leaves it: the payload is `{ "run": Run }`. Nothing is read or written when no
/// endpoint of the tenant wants it.
pub async fn record_run(conn: &mut Conn, row: &RunRow, event_type: &str) -> ApiResult<()> {
    let webhook_ids = subscribers(conn, &row.tenant_id, event_type, Some(&row.agent_id)).await?;
    if webhook_ids.is_empty() {
        return Ok(());
    }
    let data = wire::run_event_data(conn, row).await?;
    store_event(conn, &row.tenant_id, event_type, Some(&row.id), data, &webhook_ids).await?;
    Ok(())
}

/// `approval.decided` about `approval` (decided) and its run `row`, both as this
/// transaction leaves them: the payload is `{ "run": Run, "approval": Approval }`.
pub async fn record_approval(conn: &mut Conn, row: &RunRow, approval: ApprovalRow) -> ApiResult<()> {
    const TYPE: &str = "approval.decided";
    let webhook_ids = subscribers(conn, &row.tenant_id, TYPE, Some(&row.agent_id)).await?;
    if webhook_ids.is_empty() {
        return Ok(());
    }
    let mut data = wire::run_event_data(conn, row).await?;
    data["approval"] = payload(wire::approval(approval)?)?;
    store_event(conn, &row.tenant_id, TYPE, Some(&row.id), data, &webhook_ids).await?;
    Ok(())
}

/// `feedback.created` about `feedback`, just stored: the payload is
/// `{ "feedback": Feedback }`. Not tied to the run's order of events: feedback is
/// given on a run that has ended, whatever was delivered before.
pub async fn record_feedback(conn: &mut Conn, feedback: &FeedbackRow) -> ApiResult<()> {
    const TYPE: &str = "feedback.created";
    let webhook_ids = subscribers(conn, &feedback.tenant_id, TYPE, Some(&feedback.agent_id)).await?;
    if webhook_ids.is_empty() {
        return Ok(());
    }
    let data = json!({ "feedback": payload(wire::feedback(feedback.clone())?)? });
    store_event(conn, &feedback.tenant_id, TYPE, None, data, &webhook_ids).await?;
    Ok(())
}
