//! `Agent` (E2–E5, E98–E101), `AgentVersion` (E7, E103) and the answer of a delete.

use serde_json::{Map, Value};
use zaby::types::{self, AgentActiveDeployment, AgentVersion, DeletedResponse};

use super::stored;
use crate::error::{ApiError, ApiResult};
use crate::services::agents::Agent;
use crate::storage::agents::VersionRow;
use crate::storage::deployments::DeploymentRow;
use crate::util::clock::iso;

/// `Agent`; `runtime_url` is where its active deployments are reached.
pub(crate) fn agent(a: Agent, runtime_url: &str) -> ApiResult<types::Agent> {
    let Agent { row, active_deployments, function_tool_secret } = a;
    let doc = row.doc;
    Ok(types::Agent {
        description: doc.description,
        default_model: doc.default_model,
        instructions: doc.instructions,
        category: row.category.as_deref().map(|c| stored("agent category", c)).transpose()?,
        visibility: stored("agent visibility", &row.visibility)?,
        config: doc.config,
        metadata: doc.metadata,
        tags: doc.tags,
        provider: doc.provider,
        status: stored("agent status", &row.status)?,
        active_deployments: active_deployments
            .into_iter()
            .map(|d| active_deployment(d, runtime_url))
            .collect::<ApiResult<_>>()?,
        mcp_tools: Some(doc.mcp_tools),
        knowledge_bases: Some(doc.knowledge_bases),
        skills: Some(doc.skills),
        function_tools: Some(doc.function_tools),
        created_at: iso(row.created_at),
        updated_at: Some(iso(row.updated_at)),
        latest_version_id: row.latest_version_id,
        latest_version: row.latest_version,
        id: row.id,
        slug: row.slug,
        name: row.name,
        function_tool_secret,
        extra: Map::new(),
    })
}

fn active_deployment(d: DeploymentRow, runtime_url: &str) -> ApiResult<AgentActiveDeployment> {
    Ok(AgentActiveDeployment {
        status: stored("deployment status", &d.status)?,
        runtime_url: runtime_url.to_string(),
        environment: Some(stored("deployment environment", &d.environment)?),
        agent_version_id: Some(d.agent_version_id),
        id: d.id,
        extra: Map::new(),
    })
}

/// `AgentVersion`.
pub(crate) fn agent_version(v: VersionRow) -> ApiResult<AgentVersion> {
    let Value::Object(snapshot) = v.snapshot else {
        return Err(ApiError::internal("stored agent version: the snapshot is not an object"));
    };
    Ok(AgentVersion {
        agent_version_id: v.id.clone(),
        id: v.id,
        agent_id: Some(v.agent_id),
        version: Some(v.version),
        status: Some("PUBLISHED".into()),
        snapshot: Some(snapshot),
        created_at: Some(iso(v.created_at)),
        extra: Map::new(),
    })
}

/// The answer of a delete (E6, E102, …).
pub(crate) fn deleted(id: String) -> DeletedResponse {
    DeletedResponse { id, deleted: true, extra: Map::new() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixtures::deployment_row;
    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::storage::agents::AgentRow;

    fn sample() -> Agent {
        Agent {
            row: AgentRow {
                id: "a-1".into(),
                tenant_id: "t".into(),
                slug: "support".into(),
                name: "Support".into(),
                status: "ACTIVE".into(),
                category: Some("SUPPORT".into()),
                visibility: "PRIVATE".into(),
                doc: serde_json::from_value(json!({
                    "description": null, "defaultModel": "zaby", "instructions": "Be kind.",
                    "config": {}, "metadata": {"k": 1}, "tags": ["x"], "provider": null,
                    "mcpTools": [], "knowledgeBases": [],
                    "skills": [{"id": "s-1", "agentId": "a-1", "skillId": "faq", "key": "faq", "name": "faq",
                                "enabled": true, "config": {}, "metadata": {}, "createdAt": "1970-01-01T00:00:00.000Z"}],
                }))
                .unwrap(),
                latest_version: Some(1),
                latest_version_id: Some("v-1".into()),
                created_at: 0,
                updated_at: 1,
            },
            active_deployments: vec![deployment_row()],
            function_tool_secret: Some("whsec_test".into()),
        }
    }

    #[test]
    fn an_agent_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(agent(sample(), "http://h/api/v1/agent-runtime").unwrap()).unwrap();
        assert_eq!(response_problems("Agent", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "a-1", "slug": "support", "name": "Support", "description": null, "defaultModel": "zaby",
                "instructions": "Be kind.", "category": "SUPPORT", "visibility": "PRIVATE", "config": {},
                "metadata": {"k": 1}, "tags": ["x"], "provider": null, "status": "ACTIVE",
                "latestVersionId": "v-1", "latestVersion": 1,
                "activeDeployments": [{"id": "d-1", "status": "ACTIVE", "runtimeUrl": "http://h/api/v1/agent-runtime",
                                        "environment": "TEST", "agentVersionId": "v-1"}],
                "mcpTools": [], "knowledgeBases": [],
                "skills": [{"id": "s-1", "agentId": "a-1", "skillId": "faq", "key": "faq", "name": "faq",
                            "enabled": true, "config": {}, "metadata": {}, "createdAt": "1970-01-01T00:00:00.000Z"}],
                "functionTools": [],
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.001Z",
                "functionToolSecret": "whsec_test",
            })
        );
    }

    #[test]
    fn an_agent_version_keeps_the_catalogue_wire_format() {
        let v = VersionRow {
            id: "v-1".into(),
            tenant_id: "t".into(),
            agent_id: "a-1".into(),
            version: 2,
            snapshot: json!({"slug": "support"}),
            created_at: 0,
        };
        let wire = serde_json::to_value(agent_version(v).unwrap()).unwrap();
        assert_eq!(response_problems("AgentVersion", &wire), []);
        assert_eq!(
            wire,
            json!({"id": "v-1", "agentVersionId": "v-1", "agentId": "a-1", "version": 2, "status": "PUBLISHED",
                   "snapshot": {"slug": "support"}, "createdAt": "1970-01-01T00:00:00.000Z"})
        );
        let deleted = serde_json::to_value(deleted("a-1".into())).unwrap();
        assert_eq!(response_problems("DeletedResponse", &deleted), []);
        assert_eq!(deleted, json!({"id": "a-1", "deleted": true}));
    }

    #[test]
    fn a_wire_change_is_caught_by_the_schema_check() {
        let mut wire = serde_json::to_value(agent(sample(), "u").unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        let model = map.remove("defaultModel").unwrap();
        map.insert("model".into(), model);
        map["visibility"] = json!("SECRET");
        let problems = response_problems("Agent", &wire);
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert!(fields.contains(&"model") && fields.contains(&"defaultModel"), "{problems:?}");
        assert!(fields.contains(&"visibility"), "{problems:?}");
    }

    #[test]
    fn a_stored_value_the_catalogue_does_not_know_is_an_internal_error() {
        let mut a = sample();
        a.row.status = "RETIRED".into();
        assert_eq!(agent(a, "u").unwrap_err().code, "INTERNAL_ERROR");
    }
}
