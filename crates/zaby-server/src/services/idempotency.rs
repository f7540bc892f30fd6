//! The reusable idempotency mechanism (`docs/idempotency.md`). Use it inside the write
//! transaction that performs the effect:
//!
//! ```text
//! let idem = idempotency::key(Scope { owner, operation, resource }, body)?;  // None without requestId
//! if let Some(replay) = idempotency::claim(tx, &idem, ttl).await? { return replay }
//! …effect…
//! idempotency::complete(tx, &idem, 201, &response).await?;
//! tx.commit().await?;
//! ```
//!
//! Run and feedback endpoints use the same three calls with their own scopes.
//!
//! A stored key names its operation (`runs.start`), never an endpoint id: the same
//! operation under its tenant and runtime paths replays alike, and renumbering the
//! endpoint table leaves stored keys valid. Keys stored under an older scope format
//! simply expire (`ZABY_IDEMPOTENCY_TTL_S`).

use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::error::{ApiError, ApiResult};
use crate::services::SharedCtx;
use crate::storage::idempotency as store;
use crate::storage::sql::Conn;
use crate::util::canonical::canonical_json;
use crate::util::clock::now_ms;
use crate::util::crypto::sha256_hex;

/// Who may replay a key.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    Tenant(&'a str),
    /// A runtime token's session.
    Session {
        tenant_id: &'a str,
        session_id: &'a str,
    },
}

/// The operation a key guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    StartRun,
    StartTestRun,
    GiveFeedback,
    MintToken,
    MintPlaygroundToken,
    RotateToken,
    RotateTokenByUniqueId,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::StartRun => "runs.start",
            Operation::StartTestRun => "runs.start-test",
            Operation::GiveFeedback => "runs.feedback",
            Operation::MintToken => "tokens.mint",
            Operation::MintPlaygroundToken => "tokens.mint-playground",
            Operation::RotateToken => "tokens.rotate",
            Operation::RotateTokenByUniqueId => "tokens.rotate-by-unique-id",
        }
    }
}

/// Where a `requestId` is unique: the owner, the operation and the resource it acts
/// on (an agent, an app, a run; empty when the operation has none).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub owner: Owner<'a>,
    pub operation: Operation,
    pub resource: &'a str,
}

impl Scope<'_> {
    fn stored(&self) -> String {
        let owner = match self.owner {
            Owner::Tenant(t) => format!("tenant:{t}"),
            Owner::Session { tenant_id, session_id } => format!("session:{tenant_id}:{session_id}"),
        };
        format!("{owner}|{}|{}", self.operation.name(), self.resource)
    }
}

#[derive(Debug, Clone)]
pub struct IdemKey {
    scope: String,
    key: String,
    body_hash: String,
}

/// Reads `requestId` from the body.
pub fn key(scope: Scope<'_>, body: &Value) -> ApiResult<Option<IdemKey>> {
    match body.get("requestId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() <= 255 => {
            Ok(Some(IdemKey { scope: scope.stored(), key: s.clone(), body_hash: sha256_hex(&canonical_json(body)) }))
        }
        Some(Value::String(_)) => Err(ApiError::invalid("requestId", "must be at most 255 characters")),
        Some(_) => Err(ApiError::invalid("requestId", "must be a string or null")),
    }
}

/// Claims the key inside `conn`'s transaction. `Some(answer)` is what an earlier
/// success with the same key recorded, to be answered again (200 with
/// `idempotent-replayed`); a different body under the same key is 409.
pub async fn claim(conn: &mut Conn, key: &Option<IdemKey>, ttl_s: u64) -> ApiResult<Option<Value>> {
    let Some(k) = key else {
        return Ok(None);
    };
    let now = now_ms();
    match store::claim(conn, &k.scope, &k.key, &k.body_hash, now, ttl_s as i64 * 1000).await? {
        None => Ok(None),
        Some(rec) => {
            if rec.body_hash != k.body_hash {
                return Err(ApiError::conflict(
                    "IDEMPOTENCY_KEY_REUSED",
                    "requestId was already used with a different request body",
                ));
            }
            let body = rec.response.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or(Value::Null);
            Ok(Some(body))
        }
    }
}

/// Records the successful outcome in the same transaction as the effect.
pub async fn complete(conn: &mut Conn, key: &Option<IdemKey>, status: u16, response: &Value) -> ApiResult<()> {
    if let Some(k) = key {
        store::complete(conn, &k.scope, &k.key, status as i64, &response.to_string()).await?;
    }
    Ok(())
}

/// How often expired records are swept, and how many one write transaction deletes.
const SWEEP_EVERY: Duration = Duration::from_secs(600);
const SWEEP_BATCH: i64 = 1_000;

/// Background task: deletes expired records at start and every [`SWEEP_EVERY`]. A key
/// that comes back replaces its expired record itself; this keeps the table from
/// growing with the keys that never do.
pub(crate) async fn sweep(ctx: SharedCtx, mut shutdown: watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        if let Err(e) = purge_expired(&ctx).await {
            tracing::warn!(code = e.code, message = %e.message, "idempotency sweep failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Deletes every record expired by now, a batch per transaction; the count deleted.
pub async fn purge_expired(ctx: &SharedCtx) -> ApiResult<u64> {
    let mut total = 0;
    loop {
        let mut tx = ctx.db.write().await?;
        let n = store::purge_expired(tx.conn(), now_ms(), SWEEP_BATCH).await?;
        tx.commit().await?;
        total += n;
        if n < SWEEP_BATCH as u64 {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_scopes_name_the_operation_not_an_endpoint() {
        let tenant = Scope { owner: Owner::Tenant("t1"), operation: Operation::StartRun, resource: "a1" };
        assert_eq!(tenant.stored(), "tenant:t1|runs.start|a1");
        let session = Scope {
            owner: Owner::Session { tenant_id: "t1", session_id: "s1" },
            operation: Operation::GiveFeedback,
            resource: "r1",
        };
        assert_eq!(session.stored(), "session:t1:s1|runs.feedback|r1");
    }
}
