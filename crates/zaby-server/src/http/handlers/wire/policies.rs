//! `RuntimeTokenPolicy` (E31–E34).

use serde_json::Map;
use zaby::types::RuntimeTokenPolicy;

use super::stored;
use crate::error::ApiResult;
use crate::storage::policies::PolicyRow;
use crate::util::clock::iso;

/// `RuntimeTokenPolicy`.
pub(crate) fn policy(p: PolicyRow) -> ApiResult<RuntimeTokenPolicy> {
    Ok(RuntimeTokenPolicy {
        status: stored("policy status", &p.status)?,
        max_concurrent_runs: p.doc.max_concurrent_runs,
        token_ttl_seconds: p.doc.token_ttl_seconds,
        max_uses_per_token: p.doc.max_uses_per_token,
        auto_rotate_enabled: p.doc.auto_rotate_enabled,
        rotate_before_expiry_seconds: p.doc.rotate_before_expiry_seconds,
        window_duration_ms: p.doc.window_duration_ms,
        max_tokens: p.doc.max_tokens,
        metadata: p.doc.metadata,
        created_at: Some(iso(p.created_at)),
        updated_at: Some(iso(p.updated_at)),
        id: p.id,
        name: p.name,
        external_app_id: p.external_app_id,
        deployment_id: p.deployment_id,
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::policy_row;
    use super::*;
    use crate::http::extract::catalogue::response_problems;

    fn row() -> PolicyRow {
        policy_row(json!({"maxConcurrentRuns": 2, "tokenTtlSeconds": null, "maxUsesPerToken": 10,
                        "autoRotateEnabled": true, "rotateBeforeExpirySeconds": null, "metadata": {"k": 1},
                        "windowDurationMs": null, "maxTokens": null}))
    }

    #[test]
    fn a_policy_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(policy(row()).unwrap()).unwrap();
        assert_eq!(response_problems("RuntimeTokenPolicy", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "p-1", "name": "Default", "externalAppId": "app-1", "deploymentId": "d-1",
                "maxConcurrentRuns": 2, "tokenTtlSeconds": null, "maxUsesPerToken": 10, "autoRotateEnabled": true,
                "rotateBeforeExpirySeconds": null, "status": "ACTIVE", "metadata": {"k": 1},
                "windowDurationMs": null, "maxTokens": null,
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.001Z",
            })
        );
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(policy(row()).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        map.remove("autoRotateEnabled");
        map["maxUsesPerToken"] = json!("10");
        let problems = response_problems("RuntimeTokenPolicy", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"autoRotateEnabled") && fields.contains(&"maxUsesPerToken"), "{problems:?}");
        let mut bad = row();
        bad.status = "PAUSED".into();
        assert_eq!(policy(bad).unwrap_err().code, "INTERNAL_ERROR");
    }
}
