//! `knowledge.job.succeeded` and `knowledge.job.failed`, recorded by the knowledge
//! worker in the transaction that ends the job.

use serde_json::json;
use zaby::types::KnowledgeJobStatus;

use super::events::{payload, store_event, subscribers};
use crate::error::ApiResult;
use crate::storage::knowledge as kb;
use crate::storage::sql::Conn;

/// The event about job `id` as this transaction leaves it (COMPLETED or FAILED): the
/// payload is `{ "job": KnowledgeJob }`. A job belongs to no agent, so an endpoint
/// limited to some agents (`agentIds`) does not get it.
pub async fn record_job(conn: &mut Conn, id: &str) -> ApiResult<()> {
    let Some(job) = kb::get_job_by_id(conn, id).await? else { return Ok(()) };
    let event_type = if job.status == KnowledgeJobStatus::Failed.as_str() {
        "knowledge.job.failed"
    } else {
        "knowledge.job.succeeded"
    };
    let webhook_ids = subscribers(conn, &job.tenant_id, event_type, None).await?;
    if webhook_ids.is_empty() {
        return Ok(());
    }
    let tenant_id = job.tenant_id.clone();
    let data = json!({ "job": payload(crate::http::handlers::wire::job(job)?)? });
    store_event(conn, &tenant_id, event_type, None, data, &webhook_ids).await?;
    Ok(())
}
