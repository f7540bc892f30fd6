//! Busy sessions (docs/busy-sessions.md): what a start does while its session still
//! has a run going, by `onBusy` — start at once (`parallel`), refuse (`reject`), queue
//! behind the session's runs (`enqueue`: the executor's claim waits for them) or cancel
//! them first (`interrupt`). Everything happens in the start's transaction, after the
//! session's lock, so concurrent starts of one session see each other's runs.

use serde_json::{Value, json};
use zaby::types::OnBusy;

use super::cancel_live;
use crate::error::{ApiError, ApiResult};
use crate::storage::runs::{self as store, RunRow};
use crate::storage::sql::{Conn, lock};

/// A start's mode: its own `onBusy`, else the `config.onBusy` of the agent version the
/// run executes, else `parallel`.
pub(super) fn mode(asked: Option<OnBusy>, snapshot: &Value) -> OnBusy {
    asked.or_else(|| snapshot["config"]["onBusy"].as_str().and_then(|s| s.parse().ok())).unwrap_or(OnBusy::Parallel)
}

/// What the start does once the run is admitted.
pub(super) struct Admission {
    /// The run's `created_at`: an enqueued run's comes after its session's active runs,
    /// which is the order the executor's claim follows.
    pub(super) created_at: i64,
    enqueued: bool,
    /// The runs an `interrupt` cancelled, as they ended.
    pub(super) interrupted: Vec<RunRow>,
}

/// Looks at the session's active runs (under the session's lock) and acts on the
/// mode: 409 `SESSION_BUSY` for `reject` (the caller's transaction, and with it the
/// token use, is rolled back), the cancels of `interrupt`.
pub(super) async fn admit(
    conn: &mut Conn,
    tenant_id: &str,
    session_id: &str,
    run_id: &str,
    mode: OnBusy,
    now: i64,
) -> ApiResult<Admission> {
    let mut out = Admission { created_at: now, enqueued: false, interrupted: Vec::new() };
    if mode == OnBusy::Parallel {
        return Ok(out);
    }
    store::lock_session(conn, tenant_id, session_id).await?;
    let active = store::active_in_session(conn, tenant_id, session_id).await?;
    match mode {
        OnBusy::Reject if !active.is_empty() => {
            let ids: Vec<&str> = active.iter().map(|(id, _)| id.as_str()).collect();
            return Err(ApiError::conflict(
                "SESSION_BUSY",
                format!("the session has {} run(s) still going ({})", ids.len(), ids.join(", ")),
            )
            .with_details(json!({ "activeRunIds": ids })));
        }
        OnBusy::Enqueue => {
            out.enqueued = true;
            if let Some((_, newest)) = active.last() {
                out.created_at = now.max(newest + 1);
            }
        }
        OnBusy::Interrupt => {
            let reason = format!("interrupted by run {run_id}");
            for (id, _) in &active {
                lock(conn, "runs", id).await?;
                // Ended since the list was read (PostgreSQL: by another transaction).
                let Some(r) = store::get(conn, tenant_id, id).await? else { continue };
                if !r.is_terminal() {
                    out.interrupted.push(cancel_live(conn, &r, Some(&reason)).await?);
                }
            }
        }
        _ => {}
    }
    Ok(out)
}

impl Admission {
    /// After the run's insert, in the same transaction.
    pub(super) async fn stored(&self, conn: &mut Conn, run_id: &str) -> ApiResult<()> {
        if self.enqueued {
            store::mark_enqueued(conn, run_id).await?;
        }
        Ok(())
    }
}
