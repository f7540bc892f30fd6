//! Intelligence signals (`docs/server.md`), recorded as things happen, in the
//! transaction of the change they describe. The `signals` table is documented in
//! the README; rollups and improvements over it belong to the intelligence domain.
//! Each kind's payload is a struct here (docs/api/intelligence.md lists them).

use serde::Serialize;
use serde_json::Value;
use zaby::types::RunStatus;

use crate::error::{ApiError, ApiResult};
use crate::storage::runs::{self as store, ApprovalRow, FeedbackRow, RunRow};
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

/// [`record`] with a typed payload.
async fn record_typed(
    conn: &mut Conn,
    run: &RunRow,
    kind: &str,
    value: Option<f64>,
    payload: impl Serialize,
) -> ApiResult<()> {
    let payload = serde_json::to_value(payload)
        .map_err(|e| ApiError::internal("a signal could not be written").with_cause(e.to_string()))?;
    record(conn, run, kind, value, payload).await
}

/// The payload of `user_feedback`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackGiven<'a> {
    feedback_id: &'a str,
    label: Option<&'a str>,
    comment: Option<&'a str>,
    topic_key: Option<&'a str>,
}

/// `user_feedback`, valued by the rating.
pub async fn feedback_given(conn: &mut Conn, run: &RunRow, f: &FeedbackRow) -> ApiResult<()> {
    let payload = FeedbackGiven {
        feedback_id: &f.id,
        label: f.label.as_deref(),
        comment: f.comment.as_deref(),
        topic_key: f.topic_key.as_deref(),
    };
    record_typed(conn, run, "user_feedback", f.rating.map(|r| r as f64), payload).await
}

/// The payload of `tool_error` (the executor records it with the failed call's `tool_result`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ToolError<'a> {
    pub tool_name: &'a str,
    pub tool_call_id: &'a str,
}

/// The payload of `approval_waited` (with the decision) and `approval_rejected`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApprovalSignal<'a> {
    approval_id: &'a str,
    tool_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
}

/// `approval_waited`, valued by the wait in milliseconds until `now`, and
/// `approval_rejected` too when the decision is `REJECTED`.
pub async fn approval_decided(conn: &mut Conn, run: &RunRow, a: &ApprovalRow, status: &str, now: i64) -> ApiResult<()> {
    let waited = (now - a.created_at).max(0) as f64;
    let waited_payload = ApprovalSignal { approval_id: &a.id, tool_name: &a.tool_name, status: Some(status) };
    record_typed(conn, run, "approval_waited", Some(waited), waited_payload).await?;
    if status == "REJECTED" {
        let rejected = ApprovalSignal { approval_id: &a.id, tool_name: &a.tool_name, status: None };
        record_typed(conn, run, "approval_rejected", None, rejected).await?;
    }
    Ok(())
}

/// The payload of `run_completed`, `run_failed` and `run_cancelled`: what ended the
/// run, then the run's counts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunEnded<T: Serialize> {
    #[serde(flatten)]
    end: T,
    is_test_run: bool,
    tool_calls: i64,
    input_tokens: i64,
    output_tokens: i64,
}

impl<T: Serialize> RunEnded<T> {
    fn of(r: &RunRow, end: T) -> Self {
        RunEnded {
            end,
            is_test_run: r.is_test_run,
            tool_calls: r.tool_calls,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Completed<'a> {
    run_id: &'a str,
}

#[derive(Serialize)]
struct Failed<'a> {
    code: &'a Value,
    message: &'a Value,
}

#[derive(Serialize)]
struct Cancelled<'a> {
    reason: Option<&'a str>,
}

/// `run_completed` / `run_failed` / `run_cancelled` for a run row read after its end.
pub async fn run_ended(conn: &mut Conn, r: &RunRow) -> ApiResult<()> {
    match r.status.parse() {
        Ok(RunStatus::Completed) => {
            let duration = match (r.started_at, r.completed_at) {
                (Some(s), Some(e)) => Some((e - s).max(0) as f64),
                _ => None,
            };
            record_typed(conn, r, "run_completed", duration, RunEnded::of(r, Completed { run_id: &r.id })).await
        }
        Ok(RunStatus::Failed) => {
            let err = r.error.as_ref().unwrap_or(&Value::Null);
            let failed = Failed { code: &err["code"], message: &err["message"] };
            record_typed(conn, r, "run_failed", None, RunEnded::of(r, failed)).await
        }
        Ok(RunStatus::Cancelled) => {
            let cancelled = Cancelled { reason: r.cancel_reason.as_deref() };
            record_typed(conn, r, "run_cancelled", None, RunEnded::of(r, cancelled)).await
        }
        _ => Ok(()),
    }
}
