//! `TokenFamily` (E29), `FamilyRevocation` (E30) and `Grant` (E35).

use serde_json::Map;
use zaby::types::{FamilyRevocation, Grant, TokenFamily};

use super::stored;
use crate::error::ApiResult;
use crate::services::managed::families::{Family, Revocation};
use crate::storage::tokens::GrantRow;
use crate::util::clock::iso;

/// `TokenFamily`.
pub(crate) fn token_family(f: Family) -> ApiResult<TokenFamily> {
    let Family { row, grant_count, active_grant_count } = f;
    Ok(TokenFamily {
        status: stored("token family status", &row.status)?,
        grant_count: Some(grant_count),
        active_grant_count: Some(active_grant_count),
        created_at: Some(iso(row.created_at)),
        updated_at: Some(iso(row.updated_at)),
        revoked_at: row.revoked_at.map(iso),
        id: row.id,
        name: row.name,
        external_app_id: row.external_app_id,
        deployment_id: Some(row.deployment_id),
        unique_id_hash: row.unique_id_hash,
        external_user_id: row.external_user_id,
        revoke_reason: row.revoke_reason,
        extra: Map::new(),
    })
}

/// `FamilyRevocation`.
pub(crate) fn family_revocation(r: Revocation) -> FamilyRevocation {
    let Revocation { family, revoked_grants } = r;
    FamilyRevocation {
        token_family_id: family.id,
        revoked_at: family.revoked_at.map(iso).unwrap_or_default(),
        status: Some(family.status),
        reason: family.revoke_reason,
        revoked_grant_count: Some(revoked_grants),
        extra: Map::new(),
    }
}

/// `Grant`, its status computed at `now`.
pub(crate) fn grant(g: GrantRow, now: i64) -> ApiResult<Grant> {
    let status = g.status(now);
    let remaining_uses = g.remaining_uses();
    let u = g.doc.end_user;
    Ok(Grant {
        status,
        remaining_uses,
        scopes: g.scopes.iter().map(|s| stored("grant scope", s)).collect::<ApiResult<_>>()?,
        channel: stored("grant channel", &g.channel)?,
        external_user_id: u.external_user_id,
        unique_id_hash: u.unique_id_hash,
        external_session_id: u.external_session_id,
        external_conversation_id: u.external_conversation_id,
        display_name: u.display_name,
        locale: u.locale,
        timezone: u.timezone,
        metadata: u.metadata,
        expires_at: iso(g.expires_at),
        created_at: iso(g.created_at),
        revoked_at: g.revoked_at.map(iso),
        id: g.id,
        token_family_id: g.family_id,
        external_app_id: g.external_app_id,
        deployment_id: g.deployment_id,
        quota_policy_id: g.policy_id,
        agent_session_id: g.session_id,
        max_uses: g.max_uses,
        used_count: g.used_count,
        revoke_reason: g.revoke_reason,
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::storage::tokens::FamilyRow;

    fn family_row() -> FamilyRow {
        FamilyRow {
            id: "f-1".into(),
            tenant_id: "t".into(),
            app_key: "app-1".into(),
            external_app_id: Some("app-1".into()),
            deployment_id: "d-1".into(),
            user_key: "e:u".into(),
            status: "REVOKED".into(),
            name: Some("u".into()),
            unique_id_hash: None,
            external_user_id: Some("u".into()),
            created_at: 0,
            updated_at: 1,
            revoked_at: Some(2),
            revoke_reason: Some("left".into()),
        }
    }

    fn grant_row() -> GrantRow {
        GrantRow {
            id: "g-1".into(),
            tenant_id: "t".into(),
            family_id: "f-1".into(),
            external_app_id: Some("app-1".into()),
            deployment_id: "d-1".into(),
            policy_id: None,
            session_id: "s-1".into(),
            channel: "web".into(),
            scopes: vec!["managed-agents:runtime:run".into()],
            max_uses: Some(3),
            used_count: 3,
            expires_at: 10,
            doc: serde_json::from_value(json!({"externalUserId": "u", "metadata": {"k": 1}}))
                .expect("a grant document"),
            created_at: 0,
            revoked_at: None,
            revoke_reason: None,
        }
    }

    #[test]
    fn families_and_revocations_keep_the_catalogue_wire_format() {
        let f = Family { row: family_row(), grant_count: 2, active_grant_count: 0 };
        let wire = serde_json::to_value(token_family(f).unwrap()).unwrap();
        assert_eq!(response_problems("TokenFamily", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "f-1", "status": "REVOKED", "name": "u", "externalAppId": "app-1", "deploymentId": "d-1",
                "uniqueIdHash": null, "externalUserId": "u", "grantCount": 2, "activeGrantCount": 0,
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.001Z",
                "revokedAt": "1970-01-01T00:00:00.002Z", "revokeReason": "left",
            })
        );
        let r =
            serde_json::to_value(family_revocation(Revocation { family: family_row(), revoked_grants: 2 })).unwrap();
        assert_eq!(response_problems("FamilyRevocation", &r), []);
        assert_eq!(
            r,
            json!({"tokenFamilyId": "f-1", "revokedAt": "1970-01-01T00:00:00.002Z", "status": "REVOKED",
                   "reason": "left", "revokedGrantCount": 2})
        );
    }

    #[test]
    fn a_grant_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(grant(grant_row(), 5).unwrap()).unwrap();
        assert_eq!(response_problems("Grant", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "g-1", "tokenFamilyId": "f-1", "externalAppId": "app-1", "deploymentId": "d-1",
                "quotaPolicyId": null, "agentSessionId": "s-1", "status": "EXHAUSTED",
                "scopes": ["managed-agents:runtime:run"], "channel": "web", "externalUserId": "u",
                "uniqueIdHash": null, "externalSessionId": null, "externalConversationId": null,
                "displayName": null, "locale": null, "timezone": null, "metadata": {"k": 1},
                "maxUses": 3, "usedCount": 3, "remainingUses": 0, "expiresAt": "1970-01-01T00:00:00.010Z",
                "createdAt": "1970-01-01T00:00:00.000Z", "revokedAt": null, "revokeReason": null,
            })
        );
        assert_eq!(grant(grant_row(), 10).unwrap().status.as_str(), "EXPIRED");
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(grant(grant_row(), 5).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        map.remove("usedCount");
        map["channel"] = json!("fax");
        let problems = response_problems("Grant", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"usedCount") && fields.contains(&"channel"), "{problems:?}");
        let mut bad = grant_row();
        bad.scopes = vec!["everything".into()];
        assert_eq!(grant(bad, 5).unwrap_err().code, "INTERNAL_ERROR");
    }
}
