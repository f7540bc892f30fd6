//! MCP: the catalog, server definitions, installations, tool policies, invocation,
//! credentials, auth policies and access grants (E68–E84), and a source credential
//! linked from a binding (E57).

use std::sync::Arc;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::{Ctx, expect_err, items, s};

fn tool_names(list: &Value) -> Vec<&str> {
    items(list).iter().map(|t| s(t, "name")).collect()
}

pub async fn scenario(ctx: Arc<Ctx>) -> zaby::Result<()> {
    let z = &ctx.zaby;

    // E68: the catalog holds the built-in tools.
    let catalog = z.mcp().list_catalog(json!({ "q": "sum" })).json().await?;
    let entry = items(&catalog).iter().find(|t| t["serverSlug"] == "zaby-builtin" && t["toolName"] == "sum");
    let entry = entry.unwrap_or_else(|| panic!("no built-in sum in {catalog}")).clone();
    let builtin_server = s(&entry, "serverDefinitionId").to_string();
    let mut all = z.mcp().iter_catalog(json!({ "serverDefinitionId": builtin_server })).json();
    let mut builtin_tools = Vec::new();
    while let Some(t) = all.next().await {
        builtin_tools.push(t?["toolName"].as_str().unwrap().to_string());
    }
    builtin_tools.sort();
    assert_eq!(builtin_tools, ["current_time", "echo", "kb_search", "sum"]);

    // E70 + E72: the built-in definition, rediscovered over MCP, changes nothing.
    let server = z.mcp().get_server(&builtin_server).json().await?;
    assert_eq!((server["slug"].as_str(), server["type"].as_str()), (Some("zaby-builtin"), Some("INTERNAL")));
    assert_eq!(server["endpointUrl"], format!("{}/mcp/builtin", ctx.server.origin));
    let discovery = z.mcp().discover_tools(&builtin_server).json().await?;
    assert_eq!((discovery["added"].as_i64(), discovery["removed"].as_i64()), (Some(0), Some(0)), "{discovery}");
    assert_eq!(items(&discovery).len(), 4);

    // E73: a second installation of the built-in server, this scenario's own.
    let name = ctx.slug("tools");
    let inst = z.mcp().install_server(json!({ "serverDefinitionId": builtin_server, "name": name })).json().await?;
    let iid = s(&inst, "id").to_string();
    assert_eq!((inst["status"].as_str(), inst["toolCount"].as_i64()), (Some("ACTIVE"), Some(4)));
    // E74: listed with the tenant's own zaby-builtin installation.
    let listed = z.mcp().list_installations(json!({ "serverDefinitionId": builtin_server })).json().await?;
    let names: Vec<&str> = items(&listed).iter().map(|i| s(i, "name")).collect();
    assert!(names.contains(&"zaby-builtin") && names.contains(&name.as_str()), "{names:?}");
    let mut iter = z.mcp().iter_installations(json!({ "status": "ACTIVE" })).json();
    let mut found = false;
    while let Some(i) = iter.next().await {
        found |= i?["id"] == inst["id"];
    }
    assert!(found, "the iterator reaches the new installation");

    // E77: its tools; E78 disables echo, E79 says why a call would not run.
    let tools = z.mcp().list_installation_tools(&iid, None).json().await?;
    assert_eq!(tool_names(&tools), ["echo", "sum", "current_time", "kb_search"]);
    let echo = items(&tools)[0].clone();
    assert_eq!(echo["policy"]["enabled"], true);
    let mut iter = z.mcp().iter_installation_tools(&iid, json!({ "limit": 3 })).json();
    let mut n = 0;
    while let Some(t) = iter.next().await {
        t?;
        n += 1;
    }
    assert_eq!(n, 4);
    let policy = z
        .mcp()
        .update_tool_policy(&iid, s(&echo, "id"), json!({ "enabled": false, "riskOverride": "HIGH" }))
        .json()
        .await?;
    assert_eq!(
        (policy["policy"]["enabled"].as_bool(), policy["effectiveRiskLevel"].as_str()),
        (Some(false), Some("HIGH"))
    );
    let pre = z.mcp().preflight_invocation(&iid, "echo", json!({ "arguments": { "x": 1 } })).json().await?;
    assert_eq!((pre["allowed"].clone(), pre["reasons"].clone()), (json!(false), json!(["TOOL_DISABLED"])));
    let pre = z.mcp().preflight_invocation(&iid, "sum", json!({ "arguments": { "numbers": ["x"] } })).json().await?;
    assert_eq!(pre["reasons"], json!(["INVALID_ARGUMENTS"]));
    assert_eq!(pre["validationErrors"][0]["field"], "/numbers/0");

    // E80: calls go through the server's MCP client to /mcp/builtin.
    let r = z.mcp().invoke_tool(&iid, "sum", json!({ "arguments": { "numbers": [1, 2, 3.5] } })).json().await?;
    assert_eq!((r["isError"].clone(), r["result"].clone()), (json!(false), json!({ "sum": 6.5 })));
    let off = expect_err(z.mcp().invoke_tool(&iid, "echo", json!({ "arguments": {} })), 403, "TOOL_DISABLED").await;
    assert!(off.is("ZabyPermissionError"));
    expect_err(z.mcp().invoke_tool(&iid, "sum", json!({ "arguments": { "numbers": "x" } })), 422, "VALIDATION_ERROR")
        .await;

    // E75: the installation's approval default shows in its tools' policies.
    let changed = z
        .mcp()
        .update_installation(&iid, json!({ "requireToolApproval": true, "rateLimitPerMinute": 100 }))
        .json()
        .await?;
    assert_eq!(
        (changed["requireToolApproval"].as_bool(), changed["rateLimitPerMinute"].as_i64()),
        (Some(true), Some(100))
    );
    let tools = z.mcp().list_installation_tools(&iid, None).json().await?;
    let sum = items(&tools).iter().find(|t| t["name"] == "sum").unwrap();
    assert_eq!(sum["policy"]["requiresApproval"], true, "{sum}");

    // E69 + E71 + E70: an external definition pointing at this server's MCP endpoint.
    let slug = ctx.slug("remote");
    let remote = z
        .mcp()
        .create_server(json!({
            "name": "Remote tools", "slug": slug, "authMode": "BEARER",
            "endpoint": format!("{}/mcp/builtin", ctx.server.origin),
        }))
        .json()
        .await?;
    assert_eq!((remote["transport"].as_str(), remote["type"].as_str()), (Some("STREAMABLE_HTTP"), Some("EXTERNAL")));
    assert_eq!(remote["lastDiscoveredAt"], Value::Null);
    let dup = expect_err(
        z.mcp().create_server(json!({ "name": "x", "slug": slug, "endpointUrl": "http://127.0.0.1:9/mcp" })),
        409,
        "SLUG_ALREADY_EXISTS",
    )
    .await;
    assert!(dup.is("ZabyConflictError"));
    let remote_id = s(&remote, "id").to_string();
    z.mcp()
        .update_server(&remote_id, json!({ "description": "the suite's own server", "displayName": "Remote" }))
        .json()
        .await?;
    let read = z.mcp().get_server(&remote_id).json().await?;
    assert_eq!(
        (read["description"].as_str(), read["displayName"].as_str()),
        (Some("the suite's own server"), Some("Remote"))
    );
    expect_err(z.mcp().update_server(&builtin_server, json!({ "name": "mine" })), 409, "CONFLICT").await;

    // E73 on it: BEARER needs credentials first, so nothing is discovered yet.
    let rinst = z.mcp().install_server(json!({ "serverId": remote_id })).json().await?;
    let rid = s(&rinst, "id").to_string();
    assert_eq!(rinst["toolCount"], 0);
    // E81: inline credentials become a stored credential; the secret never comes back.
    let secret = "e2e-not-a-real-bearer-0123456789";
    let binding = z.mcp().create_credential_binding(&rid, json!({ "credentials": { "token": secret } })).json().await?;
    assert!(!binding.to_string().contains(secret), "{binding}");
    let credential_id = s(&binding, "credentialId").to_string();
    assert_eq!(binding["status"], "ACTIVE");
    // E82: the binding goes, the credential stays usable by id.
    let deleted = z.mcp().delete_credential_binding(s(&binding, "id")).json().await?;
    assert_eq!(deleted, json!({ "id": binding["id"], "deleted": true }));
    let again = z.mcp().create_credential_binding(&rid, json!({ "credentialId": credential_id })).json().await?;
    assert_eq!(again["credentialId"], json!(credential_id));

    // E57: a knowledge source linked to that credential.
    let kb = z.knowledge_bases().create(json!({ "name": ctx.slug("Crawled") })).json().await?;
    let kb_id = s(&kb, "id");
    let source =
        z.knowledge_bases().create_source(kb_id, json!({ "name": "Intranet", "type": "web_crawl" })).json().await?;
    assert_eq!(source["credentialId"], Value::Null);
    let linked = z
        .knowledge_bases()
        .link_source_credential(kb_id, s(&source, "id"), json!({ "credentialId": credential_id }))
        .json()
        .await?;
    assert_eq!(linked["credentialId"], json!(credential_id));
    let sources = z.knowledge_bases().list_sources(kb_id, None).json().await?;
    assert_eq!(items(&sources)[0]["credentialId"], json!(credential_id));

    // E83: one auth policy per installation, replaced in place.
    let p1 =
        z.mcp().upsert_auth_policy(&rid, json!({ "type": "oauth2", "config": { "clientId": "c1" } })).json().await?;
    let p2 = z
        .mcp()
        .upsert_auth_policy(&rid, json!({ "type": "oauth2", "config": { "clientId": "c2", "scopes": ["read"] } }))
        .json()
        .await?;
    assert_eq!(p1["id"], p2["id"]);
    assert_eq!(p2["config"], json!({ "clientId": "c2", "scopes": ["read"] }));

    // E84: once the installation has grants, only granted agents may attach it.
    let agent = z.agents().create(json!({ "slug": ctx.slug("granted"), "name": "Granted" })).json().await?;
    let outsider = z.agents().create(json!({ "slug": ctx.slug("outsider"), "name": "Outsider" })).json().await?;
    let grant = z.mcp().grant_access(&rid, json!({ "agentId": agent["id"] })).json().await?;
    assert_eq!((grant["permissions"].clone(), grant["agentId"].clone()), (json!(["invoke"]), agent["id"].clone()));
    expect_err(z.agents().attach_mcp_tool(s(&outsider, "id"), json!({ "toolId": rid })), 422, "VALIDATION_ERROR").await;
    let att = z.agents().attach_mcp_tool(s(&agent, "id"), json!({ "toolId": rid })).json().await?;
    assert_eq!(
        (att["tenantInstallationId"].as_str(), att["toolDefinitionId"].clone()),
        (Some(rid.as_str()), Value::Null)
    );

    // E76: revoked (idempotently); it stays readable, writes are refused.
    let revoked = z.mcp().revoke_installation(&rid).json().await?;
    assert_eq!(revoked["status"], "REVOKED");
    assert_eq!(z.mcp().revoke_installation(&rid).json().await?["revokedAt"], revoked["revokedAt"]);
    let refused =
        expect_err(z.mcp().update_installation(&rid, json!({ "name": "x" })), 409, "INSTALLATION_REVOKED").await;
    assert!(refused.is("ZabyConflictError"));
    let listed = z.mcp().list_installations(json!({ "status": "REVOKED" })).json().await?;
    assert!(items(&listed).iter().any(|i| i["id"] == json!(rid)));
    Ok(())
}
