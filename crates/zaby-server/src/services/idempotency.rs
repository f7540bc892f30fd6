//! The reusable idempotency mechanism (API.md §1.9). Use it inside the write
//! transaction that performs the effect:
//!
//! ```text
//! let idem = idempotency::key(scope, body)?;          // None when no requestId
//! if let Some(replay) = idempotency::claim(tx, &idem, ttl).await? { return replay }
//! …effect…
//! idempotency::complete(tx, &idem, 201, &response).await?;
//! tx.commit().await?;
//! ```
//!
//! Run and feedback endpoints use the same three calls with their own scopes.

use serde_json::Value;

use super::Outcome;
use crate::error::{ApiError, ApiResult};
use crate::storage::idempotency as store;
use crate::storage::sql::Conn;
use crate::util::canonical::canonical_json;
use crate::util::clock::now_ms;
use crate::util::crypto::sha256_hex;

#[derive(Debug, Clone)]
pub struct IdemKey {
    scope: String,
    key: String,
    body_hash: String,
}

/// Reads `requestId` from the body. `scope` names the tenant (or runtime session),
/// the endpoint and its path parameters.
pub fn key(scope: String, body: &Value) -> ApiResult<Option<IdemKey>> {
    match body.get("requestId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() <= 255 => {
            Ok(Some(IdemKey { scope, key: s.clone(), body_hash: sha256_hex(&canonical_json(body)) }))
        }
        Some(Value::String(_)) => Err(ApiError::invalid("requestId", "must be at most 255 characters")),
        Some(_) => Err(ApiError::invalid("requestId", "must be a string or null")),
    }
}

/// Claims the key inside `conn`'s transaction. `Some(outcome)` is the replay of an
/// earlier success; a different body under the same key is 409.
pub async fn claim(conn: &mut Conn, key: &Option<IdemKey>, ttl_s: u64) -> ApiResult<Option<Outcome>> {
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
            Ok(Some(Outcome::Replayed(body)))
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
