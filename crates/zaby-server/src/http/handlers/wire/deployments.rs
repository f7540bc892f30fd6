//! `Deployment` (E8, E104, E105) and `Provisioning` (E19, E113).

use serde_json::Map;
use zaby::types::{Deployment, ProvisionedExternalApp, ProvisionedTokenPolicy, Provisioning};

use super::stored;
use crate::error::ApiResult;
use crate::services::deployments::Provisioned;
use crate::storage::deployments::DeploymentRow;
use crate::util::clock::iso;

/// `Deployment`; `runtime_url` is where it is reached.
pub(crate) fn deployment(d: DeploymentRow, runtime_url: &str) -> ApiResult<Deployment> {
    Ok(Deployment {
        environment: stored("deployment environment", &d.environment)?,
        status: stored("deployment status", &d.status)?,
        runtime_url: runtime_url.to_string(),
        metadata: d.metadata,
        created_at: Some(iso(d.created_at)),
        updated_at: Some(iso(d.updated_at)),
        activated_at: d.activated_at.map(iso),
        error: d.error,
        id: d.id,
        agent_id: Some(d.agent_id),
        agent_version_id: d.agent_version_id,
        extra: Map::new(),
    })
}

/// `Provisioning` of an `ACTIVE` deployment.
pub(crate) fn provisioning(p: Provisioned, runtime_url: &str) -> ApiResult<Provisioning> {
    let Provisioned { deployment: d, bound_apps, policies } = p;
    let external_apps = bound_apps
        .into_iter()
        .map(|(app, b)| {
            Ok(ProvisionedExternalApp {
                status: stored("external app status", &app.status)?,
                allowed_origins: app.doc.allowed_origins,
                external_app_id: app.id,
                name: app.name,
                slug: app.slug,
                binding_id: b.id,
                allow_browser_runtime: b.allow_browser_runtime,
                allow_server_runtime: b.allow_server_runtime,
                allow_approvals: b.allow_approvals,
                rate_limit_per_minute: b.rate_limit_per_minute,
                extra: Map::new(),
            })
        })
        .collect::<ApiResult<_>>()?;
    let policies = policies
        .into_iter()
        .map(|p| {
            Ok(ProvisionedTokenPolicy {
                status: stored("policy status", &p.status)?,
                id: p.id,
                name: p.name,
                external_app_id: p.external_app_id,
                extra: Map::new(),
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Provisioning {
        environment: Some(stored("deployment environment", &d.environment)?),
        runtime_url: Some(runtime_url.to_string()),
        status: Some(d.status),
        external_apps,
        runtime_token_policies: Some(policies),
        provisioned_at: d.activated_at.map(iso),
        deployment_id: Some(d.id),
        agent_id: Some(d.agent_id),
        agent_version_id: Some(d.agent_version_id),
        extra: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use zaby::types::ErrorInfo;

    use super::super::fixtures::{app_row, deployment_row, policy_row};
    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::storage::apps::BindingRow;

    #[test]
    fn a_deployment_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(deployment(deployment_row(), "http://h/rt").unwrap()).unwrap();
        assert_eq!(response_problems("Deployment", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "d-1", "agentId": "a-1", "agentVersionId": "v-1", "environment": "TEST", "status": "ACTIVE",
                "runtimeUrl": "http://h/rt", "metadata": {"k": 1}, "createdAt": "1970-01-01T00:00:00.000Z",
                "updatedAt": "1970-01-01T00:00:00.001Z", "activatedAt": "1970-01-01T00:00:00.002Z", "error": null,
            })
        );
        let mut failed = deployment_row();
        failed.status = "FAILED".into();
        failed.activated_at = None;
        failed.error = Some(ErrorInfo {
            code: "AGENT_DISABLED".into(),
            message: "the agent is disabled".into(),
            extra: Map::new(),
        });
        let wire = serde_json::to_value(deployment(failed, "u").unwrap()).unwrap();
        assert_eq!(response_problems("Deployment", &wire), []);
        assert_eq!(wire["error"], json!({"code": "AGENT_DISABLED", "message": "the agent is disabled"}));
        assert_eq!(wire["activatedAt"], Value::Null);
    }

    #[test]
    fn provisioning_keeps_the_catalogue_wire_format() {
        let app = app_row(json!({"allowedOrigins": ["https://shop.example"]}));
        let binding = BindingRow {
            id: "b-1".into(),
            tenant_id: "t".into(),
            external_app_id: "app-1".into(),
            deployment_id: "d-1".into(),
            allow_browser_runtime: true,
            allow_server_runtime: true,
            allow_approvals: false,
            rate_limit_per_minute: None,
            metadata: json!({}),
            created_at: 0,
            updated_at: 0,
        };
        let policy = policy_row(json!({}));
        let p = Provisioned { deployment: deployment_row(), bound_apps: vec![(app, binding)], policies: vec![policy] };
        let wire = serde_json::to_value(provisioning(p, "http://h/rt").unwrap()).unwrap();
        assert_eq!(response_problems("Provisioning", &wire), []);
        assert_eq!(
            wire,
            json!({
                "deploymentId": "d-1", "agentId": "a-1", "agentVersionId": "v-1", "environment": "TEST",
                "runtimeUrl": "http://h/rt", "status": "ACTIVE",
                "externalApps": [{"externalAppId": "app-1", "name": "Shop", "slug": "shop", "status": "ACTIVE",
                                  "allowedOrigins": ["https://shop.example"], "bindingId": "b-1",
                                  "allowBrowserRuntime": true, "allowServerRuntime": true, "allowApprovals": false,
                                  "rateLimitPerMinute": null}],
                "runtimeTokenPolicies": [{"id": "p-1", "name": "Default", "externalAppId": "app-1", "status": "ACTIVE"}],
                "provisionedAt": "1970-01-01T00:00:00.002Z",
            })
        );
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(deployment(deployment_row(), "u").unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        let env = map.remove("environment").unwrap();
        map.insert("env".into(), env);
        map["status"] = json!("LIVE");
        let problems = response_problems("Deployment", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"env") && fields.contains(&"environment"), "{problems:?}");
        assert!(fields.contains(&"status"), "{problems:?}");
    }
}
