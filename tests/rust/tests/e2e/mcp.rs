//! MCP: the catalog, server definitions, installations, tool policies, invocation,
//! credentials, auth policies and access grants (E68–E84), and a source credential
//! linked from a binding (E57).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::json;
use zaby::types::{
    AccessGrantInput, AccessPermission, AgentInput, AttachMcpToolInput, AuthPolicyInput, AuthPolicyType,
    CredentialBindingInput, E68Query, E74Query, InvokeToolInput, KnowledgeBaseInput, LinkSourceCredentialInput,
    ListQuery, ListResponse, McpInstallInput, McpInstallationStatus, McpInstallationTool, McpInstallationUpdateInput,
    McpServerInput, McpServerKind, McpServerUpdateInput, McpTransport, PreflightInput, PreflightReason, RiskLevel,
    SourceInput, ToolPolicyInput,
};

use crate::support::{Ctx, expect_err, object};

fn tool_names(list: &ListResponse<McpInstallationTool>) -> Vec<&str> {
    list.items.iter().map(|t| t.name.as_str()).collect()
}

/// A tool's arguments: free-form JSON, typed as a map.
fn arguments(value: serde_json::Value) -> InvokeToolInput {
    InvokeToolInput { arguments: Some(object(value)), ..Default::default() }
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;

    // E68: the catalog holds the built-in tools.
    let catalog = z.mcp().list_catalog(E68Query { q: Some("sum".into()), ..Default::default() }).await?;
    let entry = catalog.items.iter().find(|t| t.server_slug == "zaby-builtin" && t.tool_name == "sum");
    let builtin_server = entry.unwrap_or_else(|| panic!("no built-in sum in {catalog:?}")).server_definition_id.clone();
    let by_server = E68Query { server_definition_id: Some(builtin_server.clone()), ..Default::default() };
    let mut all = z.mcp().iter_catalog(by_server);
    let mut builtin_tools = Vec::new();
    while let Some(t) = all.next().await {
        builtin_tools.push(t?.tool_name);
    }
    builtin_tools.sort();
    assert_eq!(builtin_tools, ["current_time", "echo", "kb_search", "sum"]);

    // E70 + E72: the built-in definition, rediscovered over MCP, changes nothing.
    let server = z.mcp().get_server(&builtin_server).await?;
    assert_eq!((server.slug.as_str(), server.r#type), ("zaby-builtin", McpServerKind::Internal));
    assert_eq!(server.endpoint_url, Some(format!("{}/mcp/builtin", ctx.server.origin)));
    let discovery = z.mcp().discover_tools(&builtin_server).await?;
    assert_eq!((discovery.added, discovery.removed), (0, 0), "{discovery:?}");
    assert_eq!(discovery.items.len(), 4);

    // E73: a second installation of the built-in server, this scenario's own.
    let name = ctx.slug("tools");
    let install = McpInstallInput {
        server_definition_id: builtin_server.clone(),
        name: Some(name.clone()),
        ..Default::default()
    };
    let inst = z.mcp().install_server(install).await?;
    let iid = inst.id.clone();
    assert_eq!((inst.status, inst.tool_count), (Some(McpInstallationStatus::Active), Some(4)));
    // E74: listed with the tenant's own zaby-builtin installation.
    let of_builtin = E74Query { server_definition_id: Some(builtin_server.clone()), ..Default::default() };
    let listed = z.mcp().list_installations(of_builtin).await?;
    let names: Vec<&str> = listed.items.iter().map(|i| i.name.as_str()).collect();
    assert!(names.contains(&"zaby-builtin") && names.contains(&name.as_str()), "{names:?}");
    let mut iter =
        z.mcp().iter_installations(E74Query { status: Some(McpInstallationStatus::Active), ..Default::default() });
    let mut found = false;
    while let Some(i) = iter.next().await {
        found |= i?.id == inst.id;
    }
    assert!(found, "the iterator reaches the new installation");

    // E77: its tools; E78 disables echo, E79 says why a call would not run.
    let tools = z.mcp().list_installation_tools(&iid, None).await?;
    assert_eq!(tool_names(&tools), ["echo", "sum", "current_time", "kb_search"]);
    let echo = tools.items[0].clone();
    assert_eq!(echo.policy.enabled, Some(true));
    let mut iter = z.mcp().iter_installation_tools(&iid, ListQuery { limit: Some(3), ..Default::default() });
    let mut n = 0;
    while let Some(t) = iter.next().await {
        t?;
        n += 1;
    }
    assert_eq!(n, 4);
    let disable =
        ToolPolicyInput { enabled: Some(false), risk_override: Some(Some(RiskLevel::High)), ..Default::default() };
    let policy = z.mcp().update_tool_policy(&iid, &echo.id, disable).await?;
    assert_eq!((policy.policy.enabled, policy.effective_risk_level), (Some(false), RiskLevel::High));
    let pre = PreflightInput { arguments: Some(object(json!({ "x": 1 }))), ..Default::default() };
    let pre = z.mcp().preflight_invocation(&iid, "echo", pre).await?;
    assert_eq!((pre.allowed, pre.reasons), (false, vec![PreflightReason::ToolDisabled]));
    let pre = PreflightInput { arguments: Some(object(json!({ "numbers": ["x"] }))), ..Default::default() };
    let pre = z.mcp().preflight_invocation(&iid, "sum", pre).await?;
    assert_eq!(pre.reasons, [PreflightReason::InvalidArguments]);
    assert_eq!(pre.validation_errors[0].field, "/numbers/0");

    // E80: calls go through the server's MCP client to /mcp/builtin.
    let r = z.mcp().invoke_tool(&iid, "sum", arguments(json!({ "numbers": [1, 2, 3.5] }))).await?;
    assert_eq!((r.is_error, r.result), (false, json!({ "sum": 6.5 })));
    let off = expect_err(z.mcp().invoke_tool(&iid, "echo", arguments(json!({}))), 403, "TOOL_DISABLED").await;
    assert!(off.is("ZabyPermissionError"));
    let not_numbers = arguments(json!({ "numbers": "x" }));
    expect_err(z.mcp().invoke_tool(&iid, "sum", not_numbers), 422, "VALIDATION_ERROR").await;

    // E75: the installation's approval default shows in its tools' policies.
    let strict = McpInstallationUpdateInput {
        require_tool_approval: Some(true),
        rate_limit_per_minute: Some(Some(100)),
        ..Default::default()
    };
    let changed = z.mcp().update_installation(&iid, strict).await?;
    assert_eq!((changed.require_tool_approval, changed.rate_limit_per_minute), (true, Some(100)));
    let tools = z.mcp().list_installation_tools(&iid, None).await?;
    let sum = tools.items.iter().find(|t| t.name == "sum").unwrap();
    assert!(sum.policy.requires_approval, "{sum:?}");

    // E69 + E71 + E70: an external definition pointing at this server's MCP endpoint.
    // Sent raw on purpose: `endpoint` is the older name of `endpointUrl` that public
    // SDKs still send, which the server accepts and the types do not name.
    let slug = ctx.slug("remote");
    let remote = z
        .mcp()
        .create_server(json!({
            "name": "Remote tools", "slug": slug, "authMode": "BEARER",
            "endpoint": format!("{}/mcp/builtin", ctx.server.origin),
        }))
        .await?;
    assert_eq!((remote.transport, remote.r#type), (McpTransport::StreamableHttp, McpServerKind::External));
    assert_eq!(remote.last_discovered_at, None);
    let taken = McpServerInput {
        name: "x".into(),
        slug: Some(slug.clone()),
        endpoint_url: Some("http://127.0.0.1:9/mcp".into()),
        ..Default::default()
    };
    let dup = expect_err(z.mcp().create_server(taken), 409, "SLUG_ALREADY_EXISTS").await;
    assert!(dup.is("ZabyConflictError"));
    let remote_id = remote.id.clone();
    let describe = McpServerUpdateInput {
        description: Some(Some("the suite's own server".into())),
        display_name: Some(Some("Remote".into())),
        ..Default::default()
    };
    z.mcp().update_server(&remote_id, describe).await?;
    let read = z.mcp().get_server(&remote_id).await?;
    assert_eq!(
        (read.description.as_deref(), read.display_name.as_deref()),
        (Some("the suite's own server"), Some("Remote"))
    );
    let rename = McpServerUpdateInput { name: Some("mine".into()), ..Default::default() };
    expect_err(z.mcp().update_server(&builtin_server, rename), 409, "CONFLICT").await;

    // E73 on it: BEARER needs credentials first, so nothing is discovered yet.
    // Sent raw on purpose: `serverId`, the other accepted name of `serverDefinitionId`.
    let rinst = z.mcp().install_server(json!({ "serverId": remote_id })).await?;
    let rid = rinst.id.clone();
    assert_eq!(rinst.tool_count, Some(0));
    // E81: inline credentials become a stored credential; the secret never comes back.
    let secret = "e2e-not-a-real-bearer-0123456789";
    let inline = CredentialBindingInput { credentials: Some(object(json!({ "token": secret }))), ..Default::default() };
    let binding = z.mcp().create_credential_binding(&rid, inline).json().await?;
    assert!(!binding.to_string().contains(secret), "the raw answer holds no secret: {binding}");
    let binding: zaby::types::CredentialBinding = serde_json::from_value(binding).expect("a CredentialBinding");
    let credential_id = binding.credential_id.clone();
    assert_eq!(binding.status.as_deref(), Some("ACTIVE"));
    // E82: the binding goes, the credential stays usable by id.
    let deleted = z.mcp().delete_credential_binding(&binding.id).await?;
    assert_eq!((deleted.id.as_str(), deleted.deleted, deleted.extra.len()), (binding.id.as_str(), true, 0));
    let by_id = CredentialBindingInput { credential_id: Some(credential_id.clone()), ..Default::default() };
    let again = z.mcp().create_credential_binding(&rid, by_id).await?;
    assert_eq!(again.credential_id, credential_id);

    // E57: a knowledge source linked to that credential.
    let kb = z.knowledge_bases().create(KnowledgeBaseInput { name: ctx.slug("Crawled"), ..Default::default() }).await?;
    let kb_id = kb.id.as_str();
    let intranet = SourceInput { name: "Intranet".into(), r#type: "web_crawl".into(), ..Default::default() };
    let source = z.knowledge_bases().create_source(kb_id, intranet).await?;
    assert_eq!(source.credential_id, None);
    let link = LinkSourceCredentialInput { credential_id: credential_id.clone(), ..Default::default() };
    let linked = z.knowledge_bases().link_source_credential(kb_id, &source.id, link).await?;
    assert_eq!(linked.credential_id, Some(credential_id.clone()));
    let sources = z.knowledge_bases().list_sources(kb_id, None).await?;
    assert_eq!(sources.items[0].credential_id, Some(credential_id));

    // E83: one auth policy per installation, replaced in place.
    let oauth = |config: serde_json::Value| AuthPolicyInput {
        r#type: AuthPolicyType::Oauth2,
        config: Some(object(config)),
        metadata: None,
        extra: Default::default(),
    };
    let p1 = z.mcp().upsert_auth_policy(&rid, oauth(json!({ "clientId": "c1" }))).await?;
    let p2 = z.mcp().upsert_auth_policy(&rid, oauth(json!({ "clientId": "c2", "scopes": ["read"] }))).await?;
    assert_eq!(p1.id, p2.id);
    assert_eq!(p2.config, object(json!({ "clientId": "c2", "scopes": ["read"] })));

    // E84: once the installation has grants, only granted agents may attach it.
    let granted = AgentInput { slug: ctx.slug("granted"), name: "Granted".into(), ..Default::default() };
    let agent = z.agents().create(granted).await?;
    let outsider = AgentInput { slug: ctx.slug("outsider"), name: "Outsider".into(), ..Default::default() };
    let outsider = z.agents().create(outsider).await?;
    let grant =
        z.mcp().grant_access(&rid, AccessGrantInput { agent_id: agent.id.clone(), ..Default::default() }).await?;
    assert_eq!((grant.permissions, grant.agent_id), (vec![AccessPermission::Invoke], agent.id.clone()));
    let whole = AttachMcpToolInput { tool_id: Some(rid.clone()), ..Default::default() };
    expect_err(z.agents().attach_mcp_tool(&outsider.id, whole.clone()), 422, "VALIDATION_ERROR").await;
    let att = z.agents().attach_mcp_tool(&agent.id, whole).await?;
    assert_eq!((att.tenant_installation_id.as_str(), att.tool_definition_id), (rid.as_str(), None));

    // E76: revoked (idempotently); it stays readable, writes are refused.
    let revoked = z.mcp().revoke_installation(&rid).await?;
    assert_eq!(revoked.status, Some(McpInstallationStatus::Revoked));
    assert_eq!(z.mcp().revoke_installation(&rid).await?.revoked_at, revoked.revoked_at);
    let rename = McpInstallationUpdateInput { name: Some("x".into()), ..Default::default() };
    let refused = expect_err(z.mcp().update_installation(&rid, rename), 409, "INSTALLATION_REVOKED").await;
    assert!(refused.is("ZabyConflictError"));
    let listed = z
        .mcp()
        .list_installations(E74Query { status: Some(McpInstallationStatus::Revoked), ..Default::default() })
        .await?;
    assert!(listed.items.iter().any(|i| i.id == rid));
    Ok(())
}
