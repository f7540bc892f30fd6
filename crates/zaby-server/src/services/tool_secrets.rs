//! Each agent's function-tool signing secret (`Agent.functionToolSecret`,
//! docs/function-tools.md): made at create and by E5 `rotateFunctionToolSecret`, shown
//! in those answers only, stored sealed. It signs the agent's http tool calls exactly
//! like a webhook, including the 24 h overlap after a rotation.

use crate::error::ApiResult;
use crate::services::webhooks::signed_post::{ROTATION_OVERLAP_MS, SealedSecrets, new_secret, signature};
use crate::storage::http_tools::{self as store, ToolSecretRow};
use crate::storage::sql::Conn;
use crate::util::clock::now_ms;
use crate::util::crypto::SecretBox;

/// A new secret for the agent, returned in the clear this once. The one it replaces,
/// if any, keeps signing for [`ROTATION_OVERLAP_MS`].
pub(crate) async fn renew(conn: &mut Conn, box_: &SecretBox, tenant_id: &str, agent_id: &str) -> ApiResult<String> {
    let secret = new_secret();
    let now = now_ms();
    let previous = store::secret(conn, tenant_id, agent_id).await?;
    let row = ToolSecretRow {
        agent_id: agent_id.to_string(),
        tenant_id: tenant_id.to_string(),
        secret_sealed: box_.seal(secret.as_bytes()),
        previous_expires_at: previous.as_ref().map(|_| now + ROTATION_OVERLAP_MS),
        previous_secret_sealed: previous.map(|p| p.secret_sealed),
        updated_at: now,
    };
    store::save_secret(conn, &row).await?;
    Ok(secret)
}

/// The `webhook-timestamp` and `webhook-signature` of a call the agent's tool makes;
/// the error says why it cannot be signed.
pub(crate) async fn sign(
    conn: &mut Conn,
    box_: &SecretBox,
    tenant_id: &str,
    agent_id: &str,
    id: &str,
    body: &str,
) -> ApiResult<Result<(i64, String), String>> {
    let Some(row) = store::secret(conn, tenant_id, agent_id).await? else {
        return Ok(Err(
            "the agent has no function tool secret; rotate it (rotateFunctionToolSecret) to make one".into()
        ));
    };
    let sealed = SealedSecrets {
        current: &row.secret_sealed,
        previous: row.previous_secret_sealed.as_deref(),
        previous_expires_at: row.previous_expires_at,
    };
    Ok(signature(box_, &sealed, id, body))
}

/// Deletes an agent's secrets, with the agent.
pub(crate) async fn forget(conn: &mut Conn, tenant_id: &str, agent_id: &str) -> ApiResult<()> {
    Ok(store::delete_secret(conn, tenant_id, agent_id).await?)
}
