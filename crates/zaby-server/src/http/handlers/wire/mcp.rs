//! MCP (E68–E84): server definitions, tools and discoveries, the catalog,
//! installations and their tools, preflight and invocation results, and an
//! installation's credential bindings, auth policy and access grants.

use serde_json::{Map, Value};
use zaby::types::{
    AccessGrant, AuthPolicy, CatalogEntry, CredentialBinding, McpInstallation, McpInstallationTool, McpServer, McpTool,
    ToolDiscovery, ToolInvocationResult, ToolPolicy,
};

use super::stored;
use crate::error::ApiResult;
use crate::services::mcp::calls::Invocation;
use crate::services::mcp::servers::{CatalogItem, Discovery};
use crate::services::mcp::{InstallationTool, InstallationView, ServerView};
use crate::storage::mcp::{AuthPolicyRow, BindingRow, GrantRow, ToolRow};
use crate::util::clock::iso;

/// A stored free-form object (`{}` when it is not one).
fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `McpServer`. The built-in server is shown at this server's public origin, where
/// clients reach it.
pub(crate) fn mcp_server(v: ServerView, public_origin: &str) -> ApiResult<McpServer> {
    let ServerView { row: s, tool_count } = v;
    let endpoint_url = if s.is_builtin {
        Some(format!("{}{}", public_origin.trim_end_matches('/'), zaby_mcp::builtin::BUILTIN_PATH))
    } else {
        s.doc.endpoint_url.clone()
    };
    Ok(McpServer {
        display_name: Some(s.display_name()),
        description: s.doc.description.clone(),
        command: s.doc.command.clone(),
        metadata: s.doc.metadata.clone(),
        transport: stored("MCP transport", &s.transport)?,
        auth_mode: stored("MCP auth mode", &s.auth_mode)?,
        r#type: stored("MCP server kind", &s.kind)?,
        status: stored("MCP server status", &s.status)?,
        tool_count: Some(tool_count),
        last_discovered_at: s.last_discovered_at.map(iso),
        created_at: Some(iso(s.created_at)),
        updated_at: Some(iso(s.updated_at)),
        endpoint_url,
        id: s.id,
        name: s.name,
        slug: s.slug,
        extra: Map::new(),
    })
}

/// `McpTool`.
pub(crate) fn mcp_tool(t: ToolRow) -> ApiResult<McpTool> {
    Ok(McpTool {
        risk_level: stored("risk level", &t.risk_level)?,
        input_schema: object(t.input_schema),
        created_at: iso(t.created_at),
        id: t.id,
        server_definition_id: t.server_id,
        name: t.name,
        description: t.description,
        extra: Map::new(),
    })
}

/// `ToolDiscovery` (E72).
pub(crate) fn tool_discovery(d: Discovery) -> ApiResult<ToolDiscovery> {
    Ok(ToolDiscovery {
        items: d.tools.into_iter().map(mcp_tool).collect::<ApiResult<_>>()?,
        server_definition_id: d.server_id,
        discovered_at: iso(d.discovered_at),
        added: d.added,
        removed: d.removed,
        extra: Map::new(),
    })
}

/// `CatalogEntry` (E68).
pub(crate) fn catalog_entry(c: CatalogItem) -> ApiResult<CatalogEntry> {
    let CatalogItem { tool: t, server_name, server_slug } = c;
    Ok(CatalogEntry {
        risk_level: stored("risk level", &t.risk_level)?,
        input_schema: object(t.input_schema),
        tool_id: t.id,
        tool_name: t.name,
        description: t.description,
        server_definition_id: t.server_id,
        server_name,
        server_slug,
        extra: Map::new(),
    })
}

/// `McpInstallation`.
pub(crate) fn mcp_installation(v: InstallationView) -> ApiResult<McpInstallation> {
    let InstallationView { row: i, tool_count } = v;
    Ok(McpInstallation {
        status: Some(stored("MCP installation status", &i.status)?),
        config: object(i.config),
        metadata: object(i.metadata),
        tool_count: Some(tool_count),
        created_at: Some(iso(i.created_at)),
        updated_at: Some(iso(i.updated_at)),
        revoked_at: i.revoked_at.map(iso),
        id: i.id,
        server_definition_id: i.server_id,
        name: i.name,
        rate_limit_per_minute: i.rate_limit_per_minute,
        require_tool_approval: i.require_tool_approval,
        extra: Map::new(),
    })
}

/// `McpInstallationTool`: the tool with its effective policy.
pub(crate) fn installation_tool(v: InstallationTool) -> ApiResult<McpInstallationTool> {
    let InstallationTool { installation_id, tool: t, policy: e } = v;
    Ok(McpInstallationTool {
        risk_level: stored("risk level", &t.risk_level)?,
        effective_risk_level: stored("risk level", &e.risk_level)?,
        policy: ToolPolicy {
            risk_override: e.risk_override.as_deref().map(|r| stored("risk level", r)).transpose()?,
            requires_approval: e.requires_approval,
            enabled: Some(e.enabled),
            required_role: e.required_role,
            metadata: Some(object(e.metadata)),
            extra: Map::new(),
        },
        input_schema: object(t.input_schema),
        id: t.id,
        installation_id,
        server_definition_id: t.server_id,
        name: t.name,
        description: t.description,
        extra: Map::new(),
    })
}

/// `ToolInvocationResult` (E80).
pub(crate) fn invocation(i: Invocation) -> ToolInvocationResult {
    ToolInvocationResult {
        installation_id: i.installation_id,
        tool_id: i.tool_id,
        tool_name: i.tool_name,
        is_error: i.outcome.is_error,
        result: i.outcome.result,
        duration_ms: i.duration_ms,
        extra: Map::new(),
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
    use zaby_mcp::ToolCallResult;

    use super::*;
    use crate::http::extract::catalogue::response_problems;
    use crate::services::mcp::Effective;
    use crate::services::mcp::calls::{Target, preflight_result};
    use crate::storage::mcp::{InstallationRow, ServerRow};
    use zaby::types::ValidationIssue;

    /// The member names of the problems found.
    fn fields(problems: &[(String, String)]) -> Vec<&str> {
        problems.iter().map(|(f, _)| f.as_str()).collect()
    }

    fn server(builtin: bool) -> ServerView {
        ServerView {
            row: ServerRow {
                id: "s-1".into(),
                tenant_id: "t".into(),
                slug: "docs".into(),
                name: "Docs".into(),
                status: "ACTIVE".into(),
                transport: "STREAMABLE_HTTP".into(),
                auth_mode: "NONE".into(),
                kind: "EXTERNAL".into(),
                is_builtin: builtin,
                doc: serde_json::from_value(json!({"displayName": "Docs server", "description": null,
                    "endpointUrl": "https://mcp.example/mcp", "command": null, "metadata": {"k": 1}}))
                .unwrap(),
                last_discovered_at: None,
                created_at: 0,
                updated_at: 1,
            },
            tool_count: 2,
        }
    }

    #[test]
    fn an_mcp_server_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(mcp_server(server(false), "http://z.example").unwrap()).unwrap();
        assert_eq!(response_problems("McpServer", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "s-1", "name": "Docs", "displayName": "Docs server", "slug": "docs", "description": null,
                "transport": "STREAMABLE_HTTP", "endpointUrl": "https://mcp.example/mcp", "command": null,
                "authMode": "NONE", "type": "EXTERNAL", "status": "ACTIVE", "metadata": {"k": 1}, "toolCount": 2,
                "lastDiscoveredAt": null, "createdAt": "1970-01-01T00:00:00.000Z",
                "updatedAt": "1970-01-01T00:00:00.001Z",
            })
        );
        // The built-in server is shown where clients reach it.
        let builtin = mcp_server(server(true), "http://z.example/").unwrap();
        assert_eq!(builtin.endpoint_url.as_deref(), Some("http://z.example/mcp/builtin"));
    }

    #[test]
    fn a_stored_server_value_the_catalogue_does_not_know_is_an_internal_error() {
        for (column, value) in [("transport", "WEBSOCKET"), ("status", "PAUSED"), ("kind", "HYBRID")] {
            let mut s = server(false);
            match column {
                "transport" => s.row.transport = value.into(),
                "status" => s.row.status = value.into(),
                _ => s.row.kind = value.into(),
            }
            assert_eq!(mcp_server(s, "").unwrap_err().code, "INTERNAL_ERROR", "{column}");
        }
    }

    fn tool(risk: &str) -> ToolRow {
        ToolRow {
            id: "tool-1".into(),
            tenant_id: "t".into(),
            server_id: "s-1".into(),
            name: "search".into(),
            description: Some("Searches".into()),
            input_schema: json!({"type": "object"}),
            risk_level: risk.into(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_discovery_and_a_catalog_entry_keep_the_catalogue_wire_format() {
        let d = Discovery { server_id: "s-1".into(), tools: vec![tool("LOW")], discovered_at: 0, added: 1, removed: 0 };
        let wire = serde_json::to_value(tool_discovery(d).unwrap()).unwrap();
        assert_eq!(response_problems("ToolDiscovery", &wire), []);
        assert_eq!(
            wire,
            json!({
                "serverDefinitionId": "s-1", "discoveredAt": "1970-01-01T00:00:00.000Z", "added": 1, "removed": 0,
                "items": [{"id": "tool-1", "serverDefinitionId": "s-1", "name": "search", "description": "Searches",
                           "inputSchema": {"type": "object"}, "riskLevel": "LOW",
                           "createdAt": "1970-01-01T00:00:00.000Z"}],
            })
        );
        let c = CatalogItem { tool: tool("HIGH"), server_name: "Docs".into(), server_slug: "docs".into() };
        let wire = serde_json::to_value(catalog_entry(c).unwrap()).unwrap();
        assert_eq!(response_problems("CatalogEntry", &wire), []);
        assert_eq!(
            wire,
            json!({
                "toolId": "tool-1", "toolName": "search", "description": "Searches", "inputSchema": {"type": "object"},
                "riskLevel": "HIGH", "serverDefinitionId": "s-1", "serverName": "Docs", "serverSlug": "docs",
            })
        );
        assert_eq!(mcp_tool(tool("EXTREME")).unwrap_err().code, "INTERNAL_ERROR");
    }

    fn installation(status: &str, revoked_at: Option<i64>) -> InstallationView {
        InstallationView {
            row: InstallationRow {
                id: "i-1".into(),
                tenant_id: "t".into(),
                server_id: "s-1".into(),
                name: "Docs".into(),
                status: status.into(),
                config: json!({"region": "eu"}),
                rate_limit_per_minute: Some(10),
                require_tool_approval: true,
                metadata: json!({}),
                created_at: 0,
                updated_at: 0,
                revoked_at,
            },
            tool_count: 3,
        }
    }

    #[test]
    fn an_installation_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(mcp_installation(installation("REVOKED", Some(1))).unwrap()).unwrap();
        assert_eq!(response_problems("McpInstallation", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "i-1", "serverDefinitionId": "s-1", "name": "Docs", "status": "REVOKED",
                "config": {"region": "eu"}, "rateLimitPerMinute": 10, "requireToolApproval": true, "metadata": {},
                "toolCount": 3, "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:00.000Z",
                "revokedAt": "1970-01-01T00:00:00.001Z",
            })
        );
        assert_eq!(mcp_installation(installation("PAUSED", None)).unwrap_err().code, "INTERNAL_ERROR");
    }

    fn installation_tool_of(risk_override: Option<&str>) -> InstallationTool {
        InstallationTool {
            installation_id: "i-1".into(),
            tool: tool("LOW"),
            policy: Effective {
                risk_override: risk_override.map(str::to_string),
                requires_approval: true,
                enabled: false,
                required_role: Some("admin".into()),
                metadata: json!({}),
                risk_level: risk_override.unwrap_or("LOW").into(),
            },
        }
    }

    #[test]
    fn an_installation_tool_keeps_the_catalogue_wire_format() {
        let wire = serde_json::to_value(installation_tool(installation_tool_of(Some("HIGH"))).unwrap()).unwrap();
        assert_eq!(response_problems("McpInstallationTool", &wire), []);
        assert_eq!(
            wire,
            json!({
                "id": "tool-1", "installationId": "i-1", "serverDefinitionId": "s-1", "name": "search",
                "description": "Searches", "inputSchema": {"type": "object"}, "riskLevel": "LOW",
                "effectiveRiskLevel": "HIGH",
                "policy": {"riskOverride": "HIGH", "requiresApproval": true, "enabled": false,
                           "requiredRole": "admin", "metadata": {}},
            })
        );
        let unknown = installation_tool(installation_tool_of(Some("EXTREME")));
        assert_eq!(unknown.unwrap_err().code, "INTERNAL_ERROR");
    }

    #[test]
    fn an_invocation_keeps_the_catalogue_wire_format() {
        let i = Invocation {
            installation_id: "i-1".into(),
            tool_id: "tool-1".into(),
            tool_name: "search".into(),
            outcome: ToolCallResult { is_error: false, result: json!({"hits": []}) },
            duration_ms: 12,
        };
        let wire = serde_json::to_value(invocation(i)).unwrap();
        assert_eq!(response_problems("ToolInvocationResult", &wire), []);
        assert_eq!(
            wire,
            json!({"installationId": "i-1", "toolId": "tool-1", "toolName": "search", "isError": false,
                   "result": {"hits": []}, "durationMs": 12})
        );
    }

    #[test]
    fn a_preflight_result_keeps_the_catalogue_wire_format() {
        // Built by the service: E79 answers it and a test run records it as the call's result.
        let s = server(false).row;
        let target = Target {
            installation: installation("REVOKED", Some(1)).row,
            tool: tool("LOW"),
            policy: installation_tool_of(Some("HIGH")).policy,
            server: s,
        };
        let issue = ValidationIssue { field: "/q".into(), message: "is required".into(), extra: Map::new() };
        let wire = serde_json::to_value(preflight_result(&target, vec![issue], true).unwrap()).unwrap();
        assert_eq!(response_problems("PreflightResult", &wire), []);
        assert_eq!(
            wire,
            json!({
                "installationId": "i-1", "toolId": "tool-1", "toolName": "search", "allowed": false,
                "requiresApproval": true, "riskLevel": "HIGH",
                "reasons": ["TOOL_DISABLED", "INSTALLATION_REVOKED", "INVALID_ARGUMENTS", "RATE_LIMITED"],
                "validationErrors": [{"field": "/q", "message": "is required"}],
            })
        );
    }

    #[test]
    fn an_mcp_wire_change_is_caught_by_the_schema_check() {
        // What a drifting conversion would write: a renamed member, a member left out,
        // a nested policy member renamed.
        let mut wire = serde_json::to_value(installation_tool(installation_tool_of(None)).unwrap()).unwrap();
        let map = wire.as_object_mut().unwrap();
        let risk = map.remove("effectiveRiskLevel").unwrap();
        map.insert("effectiveRisk".into(), risk);
        map.remove("serverDefinitionId");
        let policy = map["policy"].as_object_mut().unwrap();
        let enabled = policy.remove("enabled").unwrap();
        policy.insert("allowed".into(), enabled);
        let problems = response_problems("McpInstallationTool", &wire);
        for field in ["effectiveRisk", "effectiveRiskLevel", "serverDefinitionId", "policy.allowed", "policy.enabled"] {
            assert!(fields(&problems).contains(&field), "{field}: {problems:?}");
        }
    }

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
