//! An installation's credential bindings, auth policy and access grants (E81, E83, E84).

use serde_json::{Map, Value};
use zaby::types::{AccessGrant, AuthPolicy, CredentialBinding};

use super::stored;
use crate::error::ApiResult;
use crate::storage::mcp::{AuthPolicyRow, BindingRow, GrantRow};
use crate::util::clock::iso;

/// A stored free-form object (`{}` when it is not one).
fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `CredentialBinding`: the credential is named, never shown.
pub(crate) fn credential_binding(b: BindingRow) -> CredentialBinding {
    CredentialBinding {
        id: b.id,
        installation_id: b.installation_id,
        credential_id: b.credential_id,
        status: Some(b.status),
        metadata: object(b.metadata),
        created_at: Some(iso(b.created_at)),
        extra: Map::new(),
    }
}

/// `AuthPolicy`.
pub(crate) fn auth_policy(p: AuthPolicyRow) -> ApiResult<AuthPolicy> {
    Ok(AuthPolicy {
        r#type: stored("auth policy type", &p.kind)?,
        id: Some(p.id),
        installation_id: p.installation_id,
        config: object(p.config),
        metadata: object(p.metadata),
        created_at: Some(iso(p.created_at)),
        updated_at: Some(iso(p.updated_at)),
        extra: Map::new(),
    })
}

/// `AccessGrant`.
pub(crate) fn access_grant(g: GrantRow) -> ApiResult<AccessGrant> {
    Ok(AccessGrant {
        permissions: g.permissions.iter().map(|p| stored("access permission", p)).collect::<ApiResult<_>>()?,
        id: Some(g.id),
        installation_id: g.installation_id,
        agent_id: g.agent_id,
        expires_at: g.expires_at.map(iso),
        metadata: object(g.metadata),
        created_at: Some(iso(g.created_at)),
        updated_at: Some(iso(g.updated_at)),
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::extract::catalogue::response_problems;

    #[test]
    fn a_credential_binding_keeps_the_catalogue_wire_format() {
        let b = BindingRow {
            id: "b-1".into(),
            tenant_id: "t".into(),
            installation_id: "i-1".into(),
            credential_id: "c-1".into(),
            status: "ACTIVE".into(),
            metadata: json!({"k": 1}),
            created_at: 0,
        };
        let wire = serde_json::to_value(credential_binding(b)).unwrap();
        assert_eq!(response_problems("CredentialBinding", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "b-1", "installationId": "i-1", "credentialId": "c-1", "status": "ACTIVE",
                "metadata": {"k": 1}, "createdAt": "1970-01-01T00:00:00.000Z",
            })
        );
    }

    #[test]
    fn an_auth_policy_keeps_the_catalogue_wire_format() {
        let p = AuthPolicyRow {
            id: "p-1".into(),
            tenant_id: "t".into(),
            installation_id: "i-1".into(),
            kind: "bearer".into(),
            config: json!({"header": "x"}),
            metadata: json!({}),
            created_at: 0,
            updated_at: 1,
        };
        let wire = serde_json::to_value(auth_policy(p).unwrap()).unwrap();
        assert_eq!(response_problems("AuthPolicy", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "p-1", "installationId": "i-1", "type": "bearer", "config": {"header": "x"},
                "metadata": {}, "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.001Z",
            })
        );
    }

    fn grant(permissions: &[&str]) -> GrantRow {
        GrantRow {
            id: "g-1".into(),
            tenant_id: "t".into(),
            installation_id: "i-1".into(),
            agent_id: "a-1".into(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            expires_at: None,
            metadata: json!({}),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn an_access_grant_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(access_grant(grant(&["invoke", "discover"])).unwrap()).unwrap();
        assert_eq!(response_problems("AccessGrant", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "g-1", "installationId": "i-1", "agentId": "a-1", "permissions": ["invoke", "discover"],
                "expiresAt": null, "metadata": {}, "createdAt": "1970-01-01T00:00:00.000Z",
                "updatedAt": "1970-01-01T00:00:00.000Z",
            })
        );
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(access_grant(grant(&["invoke"])).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        let agent = map.remove("agentId").unwrap();
        map.insert("agent".into(), agent);
        let problems = response_problems("AccessGrant", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"agent") && fields.contains(&"agentId"), "{problems:?}");
    }

    #[test]
    fn a_stored_permission_the_catalogue_does_not_know_is_an_internal_error() {
        assert_eq!(access_grant(grant(&["admin"])).unwrap_err().code, "INTERNAL_ERROR");
    }
}
