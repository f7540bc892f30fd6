//! `RuntimeTokenResponse` (E14, E15, E25–E27, E118).

use serde_json::Map;
use zaby::types::RuntimeTokenResponse;

use super::stored;
use crate::error::ApiResult;
use crate::http::respond::Reply;
use crate::services::managed::tokens::{Issued, Minted};
use crate::util::clock::iso;

/// A token answer: 201 when issued now, 200 with `idempotent-replayed` when it is
/// the one an earlier request with the same `requestId` got.
pub(crate) fn minted(m: Minted) -> ApiResult<Reply<RuntimeTokenResponse>> {
    let body = runtime_token(m.issued)?;
    Ok(if m.replayed { Reply::Replayed(body) } else { Reply::Created(body) })
}

/// `RuntimeTokenResponse`. `remainingUses` is what the token could use when it was
/// issued (a replay answers the same), so the grant's `maxUses`.
pub(crate) fn runtime_token(t: Issued) -> ApiResult<RuntimeTokenResponse> {
    let Issued { token, grant: g, rotate_after_seconds } = t;
    Ok(RuntimeTokenResponse {
        token,
        token_type: "Bearer".into(),
        expires_at: iso(g.expires_at),
        scopes: g.scopes.iter().map(|s| stored("grant scope", s)).collect::<ApiResult<_>>()?,
        unique_id_hash: g.doc.end_user.unique_id_hash,
        rotate_after_seconds,
        remaining_uses: g.max_uses,
        grant_id: g.id,
        token_family_id: g.family_id,
        quota_policy_id: g.policy_id,
        agent_session_id: g.session_id,
        external_app_id: g.external_app_id,
        deployment_id: g.deployment_id,
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::storage::tokens::GrantRow;

    fn issued() -> Issued {
        Issued {
            token: "eyJ.x.y".into(),
            grant: GrantRow {
                id: "g-1".into(),
                tenant_id: "t".into(),
                family_id: "f-1".into(),
                external_app_id: Some("app-1".into()),
                deployment_id: "d-1".into(),
                policy_id: Some("p-1".into()),
                session_id: "s-1".into(),
                channel: "web".into(),
                scopes: vec!["managed-agents:runtime:run".into()],
                max_uses: Some(3),
                used_count: 0,
                expires_at: 600_000,
                doc: serde_json::from_value(json!({"uniqueIdHash": "ab12", "externalUserId": null, "metadata": {}}))
                    .expect("a grant document"),
                created_at: 0,
                revoked_at: None,
                revoke_reason: None,
            },
            rotate_after_seconds: Some(540),
        }
    }

    #[test]
    fn a_runtime_token_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(runtime_token(issued()).unwrap()).unwrap();
        assert_eq!(response_problems("RuntimeTokenResponse", &wire), []);
        assert_eq!(
            wire,
            json!({
                "token": "eyJ.x.y", "tokenType": "Bearer", "expiresAt": "1970-01-01T00:10:00.000Z",
                "scopes": ["managed-agents:runtime:run"], "grantId": "g-1", "tokenFamilyId": "f-1",
                "quotaPolicyId": "p-1", "uniqueIdHash": "ab12", "rotateAfterSeconds": 540, "remainingUses": 3,
                "agentSessionId": "s-1", "externalAppId": "app-1", "deploymentId": "d-1",
            })
        );
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(runtime_token(issued()).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        let session = map.remove("agentSessionId").unwrap();
        map.insert("sessionId".into(), session);
        map.insert("tokenType".into(), json!(1));
        let problems = response_problems("RuntimeTokenResponse", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        for field in ["agentSessionId", "sessionId", "tokenType"] {
            assert!(fields.contains(&field), "{field}: {problems:?}");
        }
    }

    #[test]
    fn a_stored_scope_the_catalogue_does_not_know_is_an_internal_error() {
        let mut t = issued();
        t.grant.scopes.push("managed-agents:runtime:fly".into());
        assert_eq!(runtime_token(t).unwrap_err().code, "INTERNAL_ERROR");
    }
}
