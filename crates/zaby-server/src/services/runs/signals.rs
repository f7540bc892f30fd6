//! Intelligence signals (`docs/server.md`), recorded as things happen, in the
//! transaction of the change they describe. The `signals` table is documented in
//! the README; rollups and improvements over it belong to the intelligence domain.

use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::storage::runs::{self as store, RunRow};
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::ids::new_id;

pub async fn record(conn: &mut Conn, run: &RunRow, kind: &str, value: Option<f64>, payload: Value) -> ApiResult<()> {
    store::insert_signal(
        conn,
        &new_id(),
        &run.tenant_id,
        &run.agent_id,
        Some(&run.id),
        kind,
        value,
        &payload,
        run.is_test_run,
        now_ms(),
    )
    .await?;
    Ok(())
}

/// `run_completed` / `run_failed` / `run_cancelled` for a run row read after its end.
pub async fn run_ended(conn: &mut Conn, r: &RunRow) -> ApiResult<()> {
    let common = |mut p: Value| {
        p["isTestRun"] = json!(r.is_test_run);
        p["toolCalls"] = json!(r.tool_calls);
        p["inputTokens"] = json!(r.input_tokens);
        p["outputTokens"] = json!(r.output_tokens);
        p
    };
    match r.status.as_str() {
        "COMPLETED" => {
            let duration = match (r.started_at, r.completed_at) {
                (Some(s), Some(e)) => Some((e - s).max(0) as f64),
                _ => None,
            };
            record(conn, r, "run_completed", duration, common(json!({ "runId": r.id }))).await
        }
        "FAILED" => {
            let err = r.error.clone().unwrap_or(Value::Null);
            let p = common(json!({ "code": err["code"], "message": err["message"] }));
            record(conn, r, "run_failed", None, p).await
        }
        "CANCELLED" => record(conn, r, "run_cancelled", None, common(json!({ "reason": r.cancel_reason }))).await,
        _ => Ok(()),
    }
}
