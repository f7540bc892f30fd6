//! `ExternalApp` (E20–E23, E117) and `DeploymentBinding` (E24).

use serde_json::{Map, Value};
use zaby::types::{DeploymentBinding, ExternalApp};

use crate::error::ApiResult;
use crate::services::managed::apps::App;
use crate::storage::apps::BindingRow;
use crate::util::clock::iso;

/// `DeploymentBinding`.
pub(crate) fn deployment_binding(b: BindingRow) -> DeploymentBinding {
    DeploymentBinding {
        metadata: match b.metadata {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        created_at: Some(iso(b.created_at)),
        updated_at: Some(iso(b.updated_at)),
        id: Some(b.id),
        external_app_id: b.external_app_id,
        deployment_id: b.deployment_id,
        allow_browser_runtime: b.allow_browser_runtime,
        allow_server_runtime: b.allow_server_runtime,
        allow_approvals: b.allow_approvals,
        rate_limit_per_minute: b.rate_limit_per_minute,
        extra: Map::new(),
    }
}

/// `ExternalApp` (E20–E23, E117).
pub(crate) fn external_app(a: App) -> ApiResult<ExternalApp> {
    let status = a.status()?;
    let App { row, deployment_ids, active_deployment_id } = a;
    Ok(ExternalApp {
        allowed_origins: row.doc.allowed_origins,
        token_ttl_seconds: row.doc.token_ttl_seconds,
        metadata: row.doc.metadata,
        id: row.id,
        name: row.name,
        slug: row.slug,
        agent_id: row.agent_id,
        status,
        deployment_ids: Some(deployment_ids),
        active_deployment_id,
        created_at: Some(iso(row.created_at)),
        updated_at: Some(iso(row.updated_at)),
        extra: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::app_row;
    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::storage::apps::BindingRow;

    fn app() -> App {
        App {
            row: app_row(
                json!({"allowedOrigins": ["https://shop.example"], "tokenTtlSeconds": null, "metadata": {"k": 1}}),
            ),
            deployment_ids: vec!["d-1".into()],
            active_deployment_id: Some("d-1".into()),
        }
    }

    #[test]
    fn an_external_app_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(external_app(app()).unwrap()).unwrap();
        assert_eq!(response_problems("ExternalApp", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "app-1", "name": "Shop", "slug": "shop", "agentId": null,
                "allowedOrigins": ["https://shop.example"], "tokenTtlSeconds": null, "status": "ACTIVE",
                "metadata": {"k": 1}, "deploymentIds": ["d-1"], "activeDeploymentId": "d-1",
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.001Z",
            })
        );
    }

    #[test]
    fn a_deployment_binding_keeps_the_catalogue_wire_format() {
        let b = BindingRow {
            id: "b-1".into(),
            tenant_id: "t".into(),
            external_app_id: "app-1".into(),
            deployment_id: "d-1".into(),
            allow_browser_runtime: true,
            allow_server_runtime: false,
            allow_approvals: false,
            rate_limit_per_minute: None,
            metadata: json!({"k": 1}),
            created_at: 0,
            updated_at: 1,
        };
        let wire = serde_json::to_value(deployment_binding(b)).unwrap();
        assert_eq!(response_problems("DeploymentBinding", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "b-1", "externalAppId": "app-1", "deploymentId": "d-1", "allowBrowserRuntime": true,
                "allowServerRuntime": false, "allowApprovals": false, "rateLimitPerMinute": null,
                "metadata": {"k": 1}, "createdAt": "1970-01-01T00:00:00.000Z",
                "updatedAt": "1970-01-01T00:00:00.001Z",
            })
        );
        let mut drifted = wire;
        drifted.as_object_mut().unwrap().remove("rateLimitPerMinute");
        drifted["allowApprovals"] = json!("no");
        let problems = response_problems("DeploymentBinding", &drifted);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"rateLimitPerMinute") && fields.contains(&"allowApprovals"), "{problems:?}");
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        // What a drifting struct or conversion would write: a renamed member and a
        // member left out. The same check as above must name both.
        let mut wire = serde_json::to_value(external_app(app()).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        let ttl = map.remove("tokenTtlSeconds").unwrap();
        map.insert("tokenTtl".into(), ttl);
        map.remove("deploymentIds");
        let problems = response_problems("ExternalApp", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"tokenTtl") && fields.contains(&"tokenTtlSeconds"), "{problems:?}");
        assert!(fields.contains(&"deploymentIds"), "{problems:?}");
    }

    #[test]
    fn a_stored_status_the_catalogue_does_not_know_is_an_internal_error() {
        let mut a = app();
        a.row.status = "RETIRED".into();
        assert_eq!(external_app(a).unwrap_err().code, "INTERNAL_ERROR");
    }
}
