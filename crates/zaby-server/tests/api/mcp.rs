//! MCP (E68–E84, /mcp/builtin, E9 attachments) against the third-party
//! `@modelcontextprotocol/server-everything` (zaby-mcp's pinned npm package and
//! harness) and the built-in server, through the `zaby` SDK.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both;

#[path = "../../../zaby-mcp/tests/common/mod.rs"]
pub mod everything;

use everything::Everything;

on_both!(
    everything_flow,
    upstream_failures,
    builtin_server,
    credentials_and_secrets,
    stdio_server,
    attach_rules,
    scopes_and_isolation,
    typed_bodies
);

fn errors_of(e: zaby::ZabyError) -> Value {
    let zaby::ZabyError::Api(api) = e else { panic!("not an API error: {e:?}") };
    api.details.unwrap()["details"].clone()
}

fn names(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

/// Waits until at least `margin` is left in the current minute, so that calls
/// counted against a per-minute limit fall into one window.
async fn early_in_minute(margin: Duration) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let into = now.as_millis() % 60_000;
    if 60_000 - into < margin.as_millis() {
        tokio::time::sleep(Duration::from_millis((60_000 - into) as u64 + 50)).await;
    }
}

async fn everything_server(z: &zaby::Zaby, ev: &Everything, name: &str) -> (Value, Value) {
    let server = z
        .mcp()
        .create_server(
            json!({"name": name, "endpoint": format!("http://127.0.0.1:{}/mcp", ev.port), "discoverTools": true}),
        )
        .json()
        .await
        .unwrap();
    let installation = z.mcp().install_server(json!({"serverDefinitionId": id(&server)})).json().await.unwrap();
    (server, installation)
}

async fn everything_flow(s: TestServer) {
    let z = s.zaby();
    let ev = Everything::start("streamableHttp").await;
    let url = format!("http://127.0.0.1:{}/mcp", ev.port);

    // Create: aliases, defaults, derived slugs.
    let server = z
        .mcp()
        .create_server(json!({"name": "Everything Server", "endpoint": url, "type": "HTTP"}))
        .json()
        .await
        .unwrap();
    assert_eq!(server["slug"], "everything-server");
    assert_eq!(server["transport"], "STREAMABLE_HTTP");
    assert_eq!(server["type"], "EXTERNAL");
    assert_eq!(server["authMode"], "NONE");
    assert_eq!(server["status"], "ACTIVE");
    assert_eq!(server["displayName"], "Everything Server");
    assert_eq!(server["endpointUrl"], url.as_str());
    assert_eq!(server["toolCount"], 0);
    assert_eq!(server["lastDiscoveredAt"], Value::Null);
    let sid = id(&server).to_string();
    let second = z.mcp().create_server(json!({"name": "Everything Server", "endpointUrl": url})).json().await.unwrap();
    assert_eq!(second["slug"], "everything-server-2");
    expect_err(
        z.mcp().create_server(json!({"name": "x", "slug": "everything-server", "endpointUrl": url})),
        409,
        "SLUG_ALREADY_EXISTS",
    )
    .await;
    for (bad, field) in [
        (json!({"name": "x"}), "endpointUrl"),
        (json!({"name": "x", "endpoint": "ftp://host/x"}), "endpoint"),
        (json!({"name": "x", "endpointUrl": url, "type": "FOO"}), "type"),
        (json!({"name": "x", "endpointUrl": url, "authMode": "MAGIC"}), "authMode"),
        (json!({"name": "x", "transport": "STDIO", "command": ["node"]}), "transport"),
        (json!({"endpointUrl": url}), "name"),
    ] {
        let e = expect_err(z.mcp().create_server(bad.clone()), 422, "VALIDATION_ERROR").await;
        assert_eq!(errors_of(e)["errors"][0]["field"], field, "{bad}");
    }
    let kind = z
        .mcp()
        .create_server(json!({"name": "Internal one", "endpointUrl": url, "type": "INTERNAL"}))
        .json()
        .await
        .unwrap();
    assert_eq!((kind["type"].as_str(), kind["transport"].as_str()), (Some("INTERNAL"), Some("STREAMABLE_HTTP")));

    // Discovery stores the tools; ids are stable across re-discovery.
    let d = z.mcp().discover_tools(&sid).json().await.unwrap();
    assert_eq!(d["serverDefinitionId"], sid.as_str());
    let tool_names = names(&d["items"]);
    for expected in ["echo", "get-sum", "get-structured-content", "get-resource-reference"] {
        assert!(tool_names.contains(&expected.to_string()), "{tool_names:?}");
    }
    let n = tool_names.len() as i64;
    assert_eq!((d["added"].as_i64(), d["removed"].as_i64()), (Some(n), Some(0)));
    let sum = d["items"].as_array().unwrap().iter().find(|t| t["name"] == "get-sum").unwrap().clone();
    assert_eq!(sum["inputSchema"]["type"], "object");
    assert_eq!(sum["riskLevel"], "LOW");
    let again = z.mcp().discover_tools(&sid).json().await.unwrap();
    assert_eq!((again["added"].as_i64(), again["removed"].as_i64()), (Some(0), Some(0)));
    assert_eq!(again["items"], d["items"]);
    let got = z.mcp().get_server(&sid).json().await.unwrap();
    assert_eq!(got["toolCount"], n);
    assert!(got["lastDiscoveredAt"].is_string());

    // The catalog: the tenant's ACTIVE definitions, zaby-builtin included.
    let cat = z.mcp().list_catalog(json!({"serverDefinitionId": sid})).json().await.unwrap();
    assert_eq!(cat["total"], n);
    assert_eq!(cat["items"][0]["serverSlug"], "everything-server");
    let all: Vec<Value> =
        z.mcp().list_catalog(json!({"limit": 100})).json().await.unwrap()["items"].as_array().unwrap().clone();
    assert!(all.iter().any(|e| e["serverSlug"] == "zaby-builtin" && e["toolName"] == "sum"));
    let found = z.mcp().list_catalog(json!({"q": "GET-SUM"})).json().await.unwrap();
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["toolId"], sum["id"]);
    z.mcp().update_server(&sid, json!({"status": "INACTIVE"})).json().await.unwrap();
    assert_eq!(z.mcp().list_catalog(json!({"serverDefinitionId": sid})).json().await.unwrap()["total"], 0);
    expect_err(z.mcp().install_server(json!({"serverId": sid})), 409, "CONFLICT").await;
    z.mcp().update_server(&sid, json!({"status": "ACTIVE"})).json().await.unwrap();
    expect_err(z.mcp().install_server(json!({"serverId": "nope"})), 422, "VALIDATION_ERROR").await;

    // Install (alias serverId).
    let inst = z.mcp().install_server(json!({"serverId": sid})).json().await.unwrap();
    assert_eq!(inst["status"], "ACTIVE");
    assert_eq!(inst["name"], "Everything Server");
    assert_eq!(inst["toolCount"], n);
    assert_eq!(inst["rateLimitPerMinute"], Value::Null);
    let iid = id(&inst).to_string();
    let tools = z.mcp().list_installation_tools(&iid, json!({"limit": 100})).json().await.unwrap();
    assert_eq!(tools["total"], n);
    let t0 = &tools["items"][0];
    assert_eq!(t0["installationId"], iid.as_str());
    assert_eq!(
        t0["policy"],
        json!({"riskOverride": null, "requiresApproval": false, "enabled": true, "requiredRole": null, "metadata": {}})
    );

    // Preflight rejects bad arguments with a JSON pointer.
    let pf = z.mcp().preflight_invocation(&iid, "get-sum", json!({"arguments": {"a": "one"}})).json().await.unwrap();
    assert_eq!(pf["allowed"], false);
    assert_eq!(pf["reasons"], json!(["INVALID_ARGUMENTS"]));
    assert_eq!(pf["toolId"], sum["id"]);
    let fields: Vec<&str> =
        pf["validationErrors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"/a"), "{pf}");
    let ok =
        z.mcp().preflight_invocation(&iid, "get-sum", json!({"arguments": {"a": 1, "b": 2}})).json().await.unwrap();
    assert_eq!((ok["allowed"].as_bool(), ok["reasons"].clone()), (Some(true), json!([])));
    expect_err(z.mcp().preflight_invocation(&iid, "no-such-tool", json!({})), 404, "NOT_FOUND").await;
    let e = expect_err(
        z.mcp().invoke_tool(&iid, "get-sum", json!({"arguments": {"a": "one", "b": 2}})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(errors_of(e)["errors"][0]["field"], "/a");

    // Invoke returns results; a tool error surfaces as isError.
    let r = z.mcp().invoke_tool(&iid, "get-sum", json!({"arguments": {"a": 2, "b": 3}})).json().await.unwrap();
    assert_eq!(r["isError"], false);
    assert_eq!(r["toolName"], "get-sum");
    assert!(r["durationMs"].as_i64().unwrap() >= 0);
    assert!(r["result"][0]["text"].as_str().unwrap().contains('5'), "{r}");
    let r = z
        .mcp()
        .invoke_tool(&iid, "get-structured-content", json!({"arguments": {"location": "Chicago"}}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["result"]["temperature"], 36);
    let r = z
        .mcp()
        .invoke_tool(&iid, "get-resource-reference", json!({"arguments": {"resourceId": 1.5}}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["isError"], true, "{r}");

    // Tool policies (aliases allowed, requiredRole; the tool name is accepted).
    let p = z
        .mcp()
        .update_tool_policy(&iid, "echo", json!({"allowed": false, "riskOverride": "HIGH"}))
        .json()
        .await
        .unwrap();
    assert_eq!(p["policy"]["enabled"], false);
    assert_eq!((p["riskLevel"].as_str(), p["effectiveRiskLevel"].as_str()), (Some("LOW"), Some("HIGH")));
    expect_err(z.mcp().invoke_tool(&iid, "echo", json!({"arguments": {"message": "x"}})), 403, "TOOL_DISABLED").await;
    let pf = z.mcp().preflight_invocation(&iid, "echo", json!({"arguments": {"message": "x"}})).json().await.unwrap();
    assert_eq!(pf["reasons"], json!(["TOOL_DISABLED"]));
    assert_eq!(pf["riskLevel"], "HIGH");
    let p = z.mcp().update_tool_policy(&iid, id(&sum), json!({"requiredRole": "admin"})).json().await.unwrap();
    assert_eq!(
        (p["policy"]["requiresApproval"].as_bool(), p["policy"]["requiredRole"].as_str()),
        (Some(true), Some("admin"))
    );
    let p = z
        .mcp()
        .update_tool_policy(&iid, id(&sum), json!({"requiresApproval": false, "riskOverride": null}))
        .json()
        .await
        .unwrap();
    assert_eq!(p["policy"]["requiresApproval"], false);
    expect_err(z.mcp().update_tool_policy(&iid, "nope", json!({})), 404, "NOT_FOUND").await;
    expect_err(z.mcp().update_tool_policy(&iid, "echo", json!({"riskOverride": "EXTREME"})), 422, "VALIDATION_ERROR")
        .await;

    // Rate limit per minute: the third call in a window is 429 with details.
    early_in_minute(Duration::from_secs(15)).await;
    let u = z
        .mcp()
        .update_installation(&iid, json!({"rateLimitPerMinute": 2, "requireToolApproval": true}))
        .json()
        .await
        .unwrap();
    assert_eq!(u["rateLimitPerMinute"], 2);
    let tools = z.mcp().list_installation_tools(&iid, json!({"limit": 100})).json().await.unwrap();
    let structured = tools["items"].as_array().unwrap().iter().find(|t| t["name"] == "get-structured-content").unwrap();
    assert_eq!(structured["policy"]["requiresApproval"], true, "follows requireToolApproval");
    for _ in 0..2 {
        z.mcp().invoke_tool(&iid, "get-sum", json!({"arguments": {"a": 1, "b": 1}})).json().await.unwrap();
    }
    let e =
        expect_err(z.mcp().invoke_tool(&iid, "get-sum", json!({"arguments": {"a": 1, "b": 1}})), 429, "RATE_LIMITED")
            .await;
    let details = errors_of(e);
    assert_eq!((details["limit"].as_i64(), details["windowSeconds"].as_i64()), (Some(2), Some(60)));
    let pf =
        z.mcp().preflight_invocation(&iid, "get-sum", json!({"arguments": {"a": 1, "b": 1}})).json().await.unwrap();
    assert_eq!(pf["reasons"], json!(["RATE_LIMITED"]));
    z.mcp().update_installation(&iid, json!({"rateLimitPerMinute": null})).json().await.unwrap();

    // Listing and filters.
    let list = z.mcp().list_installations(json!({"serverDefinitionId": sid})).json().await.unwrap();
    assert_eq!(list["total"], 1);
    expect_err(z.mcp().list_installations(json!({"status": "GONE"})), 422, "VALIDATION_ERROR").await;

    // Revoke: idempotent, readable, and every write or invoke is 409.
    let r1 = z.mcp().revoke_installation(&iid).json().await.unwrap();
    assert_eq!(r1["status"], "REVOKED");
    assert!(r1["revokedAt"].is_string());
    let r2 = z.mcp().revoke_installation(&iid).json().await.unwrap();
    assert_eq!(r2["revokedAt"], r1["revokedAt"]);
    expect_err(
        z.mcp().invoke_tool(&iid, "get-sum", json!({"arguments": {"a": 1, "b": 1}})),
        409,
        "INSTALLATION_REVOKED",
    )
    .await;
    expect_err(z.mcp().update_installation(&iid, json!({"name": "x"})), 409, "INSTALLATION_REVOKED").await;
    expect_err(z.mcp().update_tool_policy(&iid, "get-sum", json!({"enabled": true})), 409, "INSTALLATION_REVOKED")
        .await;
    expect_err(z.mcp().create_credential_binding(&iid, json!({"credentials": {}})), 409, "INSTALLATION_REVOKED").await;
    let pf =
        z.mcp().preflight_invocation(&iid, "get-sum", json!({"arguments": {"a": 1, "b": 1}})).json().await.unwrap();
    assert_eq!(pf["reasons"], json!(["TOOL_DISABLED", "INSTALLATION_REVOKED"]));
    let tools = z.mcp().list_installation_tools(&iid, None).json().await.unwrap();
    assert!(tools["items"].as_array().unwrap().iter().all(|t| t["policy"]["enabled"] == false));
    let revoked = z.mcp().list_installations(json!({"status": "REVOKED"})).json().await.unwrap();
    assert_eq!(revoked["total"], 1);

    // Re-discovery removes vanished tools (with their policies) and keeps the rest.
    // (server-everything's tool set does not change; an update of the endpoint to
    // the built-in path of another server would, so check removal via E71 + E72.)
    let upd = z
        .mcp()
        .update_server(&sid, json!({"description": "the everything server", "displayName": null}))
        .json()
        .await
        .unwrap();
    assert_eq!(upd["displayName"], upd["name"]);
    assert_eq!(upd["description"], "the everything server");
}

async fn upstream_failures(_s: TestServer) {
    // Short enough for the silent server's 504s to come quickly, long enough for the
    // real MCP server below to answer on a loaded CI machine (500 ms was not).
    let s = TestServer::start_with(_s.backend, |st| st.mcp_timeout_ms = 2_000).await.unwrap();
    let z = s.zaby();
    // A server that accepts connections and never answers → 504.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = silent.accept().await {
            held.push(sock);
        }
    });
    let slow = z
        .mcp()
        .create_server(json!({"name": "silent", "endpointUrl": format!("http://127.0.0.1:{silent_port}/mcp")}))
        .json()
        .await
        .unwrap();
    expect_err(z.mcp().discover_tools(id(&slow)), 504, "MCP_TIMEOUT").await;
    expect_err(z.mcp().install_server(json!({"serverDefinitionId": id(&slow)})), 504, "MCP_TIMEOUT").await;
    assert_eq!(z.mcp().list_installations(None).json().await.unwrap()["total"], 1, "only zaby-builtin");
    // Nothing listens → 502; discovery during create creates nothing.
    let port = everything::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    expect_err(
        z.mcp().create_server(json!({"name": "gone", "endpointUrl": url, "discoverTools": true})),
        502,
        "MCP_SERVER_ERROR",
    )
    .await;
    let gone = z.mcp().create_server(json!({"name": "gone", "endpointUrl": url})).json().await.unwrap();
    assert_eq!(gone["slug"], "gone", "the failed create left nothing behind");
    expect_err(z.mcp().discover_tools(id(&gone)), 502, "MCP_SERVER_ERROR").await;

    // A server that goes away after discovery → invoke is 502.
    let ev = Everything::start("streamableHttp").await;
    let (_, inst) = everything_server(&z, &ev, "short-lived").await;
    drop(ev);
    tokio::time::sleep(Duration::from_millis(200)).await;
    expect_err(
        z.mcp().invoke_tool(id(&inst), "get-sum", json!({"arguments": {"a": 1, "b": 1}})),
        502,
        "MCP_SERVER_ERROR",
    )
    .await;
    holder.abort();
    s.stop().await;
}

async fn builtin_server(s: TestServer) {
    let z = s.zaby();
    let installs = z.mcp().list_installations(None).json().await.unwrap();
    assert_eq!(installs["total"], 1);
    let inst = installs["items"][0].clone();
    assert_eq!(
        (inst["name"].as_str(), inst["status"].as_str(), inst["toolCount"].as_i64()),
        (Some("zaby-builtin"), Some("ACTIVE"), Some(4))
    );
    let iid = id(&inst).to_string();
    let server = z.mcp().get_server(inst["serverDefinitionId"].as_str().unwrap()).json().await.unwrap();
    assert_eq!(server["slug"], "zaby-builtin");
    assert_eq!(server["type"], "INTERNAL");
    assert!(server["lastDiscoveredAt"].is_string());
    assert_eq!(server["endpointUrl"], format!("{}/mcp/builtin", s.settings.public_origin));
    expect_err(z.mcp().update_server(id(&server), json!({"name": "mine"})), 409, "CONFLICT").await;
    let tools = z.mcp().list_installation_tools(&iid, None).json().await.unwrap();
    assert_eq!(names(&tools["items"]), ["echo", "sum", "current_time", "kb_search"]);

    // The same client path as any server: discovery over HTTP changes nothing.
    let d = z.mcp().discover_tools(id(&server)).json().await.unwrap();
    assert_eq!(
        (d["added"].as_i64(), d["removed"].as_i64(), d["items"].as_array().unwrap().len()),
        (Some(0), Some(0), 4)
    );
    let r =
        z.mcp().invoke_tool(&iid, "echo", json!({"arguments": {"hello": "world", "n": [1, 2]}})).json().await.unwrap();
    assert_eq!((r["isError"].clone(), r["result"].clone()), (json!(false), json!({"hello": "world", "n": [1, 2]})));
    let r = z.mcp().invoke_tool(&iid, "sum", json!({"arguments": {"numbers": [1, 2, 3.5]}})).json().await.unwrap();
    assert_eq!(r["result"], json!({"sum": 6.5}));
    let r =
        z.mcp().invoke_tool(&iid, "current_time", json!({"arguments": {"timezone": "+02:00"}})).json().await.unwrap();
    assert!(r["result"]["time"].as_str().unwrap().ends_with("+02:00"), "{r}");
    let e =
        expect_err(z.mcp().invoke_tool(&iid, "sum", json!({"arguments": {"numbers": ["x"]}})), 422, "VALIDATION_ERROR")
            .await;
    assert_eq!(errors_of(e)["errors"][0]["field"], "/numbers/0");
    let r = z
        .mcp()
        .invoke_tool(&iid, "kb_search", json!({"arguments": {"knowledgeBaseId": "none", "query": "q"}}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["isError"], true, "{r}");
    assert_eq!(r["result"]["code"], "NOT_FOUND");
    // kb_search is the tenant's retrieval (E48 with the same query and topK).
    let kb = crate::knowledge::new_kb(&z, "Zoo").await;
    crate::knowledge::ingest(&z, &kb, json!({"title": "zebras", "content": "Zebras have stripes. Lions roar."})).await;
    let r = z
        .mcp()
        .invoke_tool(
            &iid,
            "kb_search",
            json!({"arguments": {"knowledgeBaseId": kb, "query": "zebra stripes", "topK": 3}}),
        )
        .json()
        .await
        .unwrap();
    assert_eq!(r["isError"], false, "{r}");
    let direct = z.knowledge_bases().retrieve(&kb, json!({"query": "zebra stripes", "topK": 3})).json().await.unwrap();
    assert_eq!(r["result"], direct);
    assert!(r["result"]["total"].as_i64().unwrap() >= 1, "{r}");

    // The route: built-in MCP tokens only.
    let post = |auth: Option<String>| {
        let mut req = s
            .http()
            .post(s.url("/mcp/builtin"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    let resp = post(None).await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "UNAUTHORIZED");
    assert_eq!(post(Some(format!("Bearer {}", s.api_key))).await.unwrap().status(), 401);
    let tenant = s.default_tenant().await;
    let access = s.tenant_token(&tenant, "alice").await;
    assert_eq!(post(Some(format!("Bearer {access}"))).await.unwrap().status(), 401, "tenant tokens are refused");
    let token = zaby_server::testing::mint_builtin_token(s.ctx(), &tenant).await.unwrap();
    let resp = post(Some(format!("Bearer {token}"))).await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(text.contains("current_time"), "{text}");
    let pre = s.http().request(reqwest::Method::OPTIONS, s.url("/mcp/builtin")).send().await.unwrap();
    assert_eq!(pre.status(), 204);
    let put = s.http().put(s.url("/mcp/builtin")).send().await.unwrap();
    assert_eq!(put.status(), 405);

    // Every tenant has its own, existing tenants too (after a restart nothing doubles).
    let (_t2, key2) = s.second_tenant().await;
    let z2 = s.zaby_with_key(&key2);
    let i2 = z2.mcp().list_installations(None).json().await.unwrap();
    assert_eq!(i2["total"], 1);
    assert_ne!(i2["items"][0]["id"], inst["id"]);
    expect_err(z2.mcp().get_server(id(&server)), 404, "NOT_FOUND").await;
    let r = z2
        .mcp()
        .invoke_tool(id(&i2["items"][0]), "sum", json!({"arguments": {"numbers": [2, 2]}}))
        .json()
        .await
        .unwrap();
    assert_eq!(r["result"], json!({"sum": 4}));
    let r = z2
        .mcp()
        .invoke_tool(id(&i2["items"][0]), "kb_search", json!({"arguments": {"knowledgeBaseId": kb, "query": "zebra"}}))
        .json()
        .await
        .unwrap();
    assert_eq!(
        (r["isError"].clone(), r["result"]["code"].clone()),
        (json!(true), json!("NOT_FOUND")),
        "only the token's tenant"
    );
    let mut s = s;
    s.restart().await;
    let z = s.zaby();
    let after = z.mcp().list_installations(None).json().await.unwrap();
    assert_eq!(after["total"], 1);
    assert_eq!(after["items"][0]["id"], inst["id"]);
    let r = z.mcp().invoke_tool(&iid, "sum", json!({"arguments": {"numbers": [1, 2]}})).json().await.unwrap();
    assert_eq!(r["result"], json!({"sum": 3}));
    s.stop().await;
}

async fn credentials_and_secrets(s: TestServer) {
    let z = s.zaby();
    let ev = Everything::start("streamableHttp").await;
    let secret = "sk-zaby-test-secret-8c1f42e9d7";
    let server = z
        .mcp()
        .create_server(
            json!({"name": "keyed", "authMode": "API_KEY", "endpointUrl": format!("http://127.0.0.1:{}/mcp", ev.port)}),
        )
        .json()
        .await
        .unwrap();
    // No credentials yet: installing does not discover.
    let inst = z
        .mcp()
        .install_server(json!({"serverDefinitionId": id(&server), "name": "keyed install"}))
        .json()
        .await
        .unwrap();
    assert_eq!(inst["toolCount"], 0);
    let iid = id(&inst).to_string();
    for (bad, field) in [
        (json!({}), "credentialId"),
        (json!({"credentials": {"token": "x"}}), "credentials"),
        (json!({"credentials": {"apiKey": ""}}), "credentials"),
        (json!({"credentialId": "c", "credentials": {"apiKey": "k"}}), "credentials"),
        (json!({"credentialId": "unknown"}), "credentialId"),
    ] {
        let e = expect_err(z.mcp().create_credential_binding(&iid, bad.clone()), 422, "VALIDATION_ERROR").await;
        assert_eq!(errors_of(e)["errors"][0]["field"], field, "{bad}");
    }
    let b = z
        .mcp()
        .create_credential_binding(
            &iid,
            json!({"credentials": {"apiKey": secret, "headerName": "x-api-key"}, "metadata": {"k": 1}}),
        )
        .json()
        .await
        .unwrap();
    assert_eq!(b["installationId"], iid.as_str());
    assert_eq!(b["status"], "ACTIVE");
    assert_eq!(b["metadata"], json!({"k": 1}));
    let cid = b["credentialId"].as_str().unwrap().to_string();
    let b2 = z.mcp().create_credential_binding(&iid, json!({"credentialId": cid})).json().await.unwrap();
    assert_eq!(b2["credentialId"], cid.as_str());

    // Discovery and calls use the newest binding.
    let d = z.mcp().discover_tools(id(&server)).json().await.unwrap();
    assert!(names(&d["items"]).contains(&"echo".to_string()));
    let r = z.mcp().invoke_tool(&iid, "echo", json!({"arguments": {"message": "hi"}})).json().await.unwrap();
    assert_eq!(r["isError"], false);

    // Auth policies: one per installation.
    let p1 =
        z.mcp().upsert_auth_policy(&iid, json!({"type": "api_key", "config": {"note": "x"}})).json().await.unwrap();
    let p2 =
        z.mcp().upsert_auth_policy(&iid, json!({"type": "oauth2", "config": {"clientId": "c"}})).json().await.unwrap();
    assert_eq!(p1["id"], p2["id"]);
    assert_eq!(p2["type"], "oauth2");
    expect_err(z.mcp().upsert_auth_policy(&iid, json!({"config": {}})), 422, "VALIDATION_ERROR").await;

    // The secret never appears in a response.
    let mut seen = vec![b.clone(), b2.clone(), r, p1, p2];
    seen.push(z.mcp().get_server(id(&server)).json().await.unwrap());
    seen.push(z.mcp().list_installations(None).json().await.unwrap());
    seen.push(z.mcp().list_installation_tools(&iid, None).json().await.unwrap());
    for v in &seen {
        assert!(!v.to_string().contains(secret), "secret leaked: {v}");
    }
    // Nor in plain text in storage.
    let mut conn = s.ctx().db.read().await.unwrap();
    let rows = zaby_server::testing::sql::all(&mut conn, "SELECT sealed FROM credentials", vec![]).await.unwrap();
    assert_eq!(rows.len(), 1);
    let sealed = zaby_server::testing::sql::RowExt::text(&rows[0], "sealed").unwrap();
    assert!(sealed.starts_with("v1:") && !sealed.contains(secret));
    drop(conn);
    if s.backend == Backend::Sqlite {
        let path = s.settings.database_url.trim_start_matches("sqlite://").to_string();
        for file in [path.clone(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret in plain text in {file}");
            }
        }
    }

    // Deleting bindings.
    let del = z.mcp().delete_credential_binding(id(&b2)).json().await.unwrap();
    assert_eq!(del, json!({"id": id(&b2), "deleted": true}));
    expect_err(z.mcp().delete_credential_binding(id(&b2)), 404, "NOT_FOUND").await;
    z.mcp().delete_credential_binding(id(&b)).json().await.unwrap();
    // Without a binding an API_KEY server cannot be called.
    expect_err(z.mcp().invoke_tool(&iid, "echo", json!({"arguments": {"message": "hi"}})), 422, "VALIDATION_ERROR")
        .await;

    // Access grants.
    let a = z.agents().create(json!({"slug": "granted", "name": "granted"})).json().await.unwrap();
    expect_err(z.mcp().grant_access(&iid, json!({"agentId": "nope"})), 422, "VALIDATION_ERROR").await;
    expect_err(z.mcp().grant_access(&iid, json!({"agentId": id(&a), "permissions": ["fly"]})), 422, "VALIDATION_ERROR")
        .await;
    let g1 = z.mcp().grant_access(&iid, json!({"agentId": id(&a)})).json().await.unwrap();
    assert_eq!(g1["permissions"], json!(["invoke"]));
    assert_eq!(g1["expiresAt"], Value::Null);
    let g2 = z
        .mcp()
        .grant_access(
            &iid,
            json!({"agentId": id(&a), "permissions": ["invoke", "discover"], "expiresAt": "2099-01-01T00:00:00Z"}),
        )
        .json()
        .await
        .unwrap();
    assert_eq!(g2["id"], g1["id"]);
    assert_eq!(g2["expiresAt"], "2099-01-01T00:00:00.000Z");
}

async fn stdio_server(s: TestServer) {
    let s = TestServer::start_with(s.backend, |st| st.allow_stdio_mcp = true).await.unwrap();
    let z = s.zaby();
    let command = everything::everything_stdio_command();
    let server = z
        .mcp()
        .create_server(
            json!({"name": "stdio everything", "transport": "STDIO", "command": command, "discoverTools": true}),
        )
        .json()
        .await
        .unwrap();
    assert_eq!(server["transport"], "STDIO");
    assert_eq!(server["command"], json!(command));
    assert_eq!(server["endpointUrl"], Value::Null);
    assert!(server["toolCount"].as_i64().unwrap() > 3);
    let inst = z.mcp().install_server(json!({"serverDefinitionId": id(&server)})).json().await.unwrap();
    let r = z.mcp().invoke_tool(id(&inst), "get-sum", json!({"arguments": {"a": 20, "b": 22}})).json().await.unwrap();
    assert!(r["result"][0]["text"].as_str().unwrap().contains("42"), "{r}");
    expect_err(z.mcp().update_server(id(&server), json!({"command": []})), 422, "VALIDATION_ERROR").await;
    z.mcp().revoke_installation(id(&inst)).json().await.unwrap();
    s.stop().await;
}

async fn attach_rules(s: TestServer) {
    let z = s.zaby();
    let builtin = z.mcp().list_installations(None).json().await.unwrap()["items"][0].clone();
    let bid = id(&builtin).to_string();
    let tools = z.mcp().list_installation_tools(&bid, None).json().await.unwrap();
    let sum = tools["items"].as_array().unwrap().iter().find(|t| t["name"] == "sum").unwrap().clone();
    let agent = z.agents().create(json!({"slug": "tooled", "name": "tooled"})).json().await.unwrap();
    let aid = id(&agent).to_string();

    let a1 = z
        .agents()
        .attach_mcp_tool(&aid, json!({"tenantInstallationId": bid, "toolDefinitionId": id(&sum)}))
        .json()
        .await
        .unwrap();
    assert_eq!(
        (a1["key"].as_str(), a1["name"].as_str(), a1["approvalMode"].as_str()),
        (Some("sum"), Some("sum"), Some("TENANT_POLICY"))
    );
    assert_eq!(a1["toolDefinitionId"], sum["id"]);
    // toolId alias: a tool id → the newest non-revoked installation of its server.
    let a2 = z
        .agents()
        .attach_mcp_tool(&aid, json!({"toolId": id(&sum), "key": "adder", "approvalMode": "MANUAL"}))
        .json()
        .await
        .unwrap();
    assert_eq!((a2["tenantInstallationId"].as_str(), a2["key"].as_str()), (Some(bid.as_str()), Some("adder")));
    // toolId alias: an installation id → every tool.
    let a3 = z.agents().attach_mcp_tool(&aid, json!({"toolId": bid})).json().await.unwrap();
    assert_eq!((a3["toolDefinitionId"].clone(), a3["key"].as_str()), (Value::Null, Some("zaby-builtin")));
    for (bad, field) in [
        (json!({"toolId": "nothing"}), "toolId"),
        (json!({"tenantInstallationId": "nothing", "toolDefinitionId": id(&sum)}), "tenantInstallationId"),
        (json!({"tenantInstallationId": bid, "toolDefinitionId": "nothing"}), "toolDefinitionId"),
        (json!({"tenantInstallationId": bid}), "toolDefinitionId"),
    ] {
        let e = expect_err(z.agents().attach_mcp_tool(&aid, bad.clone()), 422, "VALIDATION_ERROR").await;
        assert_eq!(errors_of(e)["errors"][0]["field"], field, "{bad}");
    }
    // A tool of another server than the installation's.
    let ev = Everything::start("streamableHttp").await;
    let (other, other_inst) = everything_server(&z, &ev, "other").await;
    let echo = z.mcp().list_installation_tools(id(&other_inst), None).json().await.unwrap()["items"][0].clone();
    assert_eq!(echo["serverDefinitionId"], other["id"]);
    expect_err(
        z.agents().attach_mcp_tool(&aid, json!({"tenantInstallationId": bid, "toolDefinitionId": id(&echo)})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    // Access grants: other agents cannot attach.
    let granted = z.agents().create(json!({"slug": "granted", "name": "granted"})).json().await.unwrap();
    z.mcp().grant_access(id(&other_inst), json!({"agentId": id(&granted)})).json().await.unwrap();
    expect_err(z.agents().attach_mcp_tool(&aid, json!({"toolId": id(&other_inst)})), 422, "VALIDATION_ERROR").await;
    z.agents().attach_mcp_tool(id(&granted), json!({"toolId": id(&other_inst)})).json().await.unwrap();
    // An expired grant does not count.
    z.mcp()
        .grant_access(id(&other_inst), json!({"agentId": aid, "expiresAt": "2001-01-01T00:00:00Z"}))
        .json()
        .await
        .unwrap();
    expect_err(z.agents().attach_mcp_tool(&aid, json!({"toolId": id(&other_inst)})), 422, "VALIDATION_ERROR").await;
    // Revoked → 409 (both forms); a tool alias then finds no active installation.
    z.mcp().revoke_installation(id(&other_inst)).json().await.unwrap();
    expect_err(
        z.agents().attach_mcp_tool(id(&granted), json!({"toolId": id(&other_inst)})),
        409,
        "INSTALLATION_REVOKED",
    )
    .await;
    expect_err(
        z.agents().attach_mcp_tool(
            id(&granted),
            json!({"tenantInstallationId": id(&other_inst), "toolDefinitionId": id(&echo)}),
        ),
        409,
        "INSTALLATION_REVOKED",
    )
    .await;
    expect_err(z.agents().attach_mcp_tool(id(&granted), json!({"toolId": id(&echo)})), 422, "VALIDATION_ERROR").await;
    // Tenant route (E114).
    let tenant = s.default_tenant().await;
    let tz = s.tenant_client(&s.tenant_token(&tenant, "alice").await);
    let t = tz
        .tenant_agents()
        .attach_mcp_tool(&aid, json!({"toolId": id(&sum), "key": "tenant-sum"}))
        .json()
        .await
        .unwrap();
    assert_eq!(t["key"], "tenant-sum");
    let got = z.agents().get(&aid).json().await.unwrap();
    let keys: Vec<&str> = got["mcpTools"].as_array().unwrap().iter().map(|a| a["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["sum", "adder", "zaby-builtin", "tenant-sum"]);
}

async fn scopes_and_isolation(s: TestServer) {
    let z = s.zaby();
    let tenant = s.default_tenant().await;
    let (_, invoke_key) =
        zaby_server::testing::create_key(&s.ctx().db, &tenant, vec!["mcp:invoke".into()], None, None).await.unwrap();
    let zi = s.zaby_with_key(&invoke_key);
    let iid = z.mcp().list_installations(None).json().await.unwrap()["items"][0]["id"].as_str().unwrap().to_string();
    let r = zi.mcp().invoke_tool(&iid, "echo", json!({"arguments": {"a": 1}})).json().await.unwrap();
    assert_eq!(r["result"], json!({"a": 1}));
    expect_err(zi.mcp().list_installations(None), 403, "INSUFFICIENT_SCOPE").await;
    expect_err(zi.mcp().preflight_invocation(&iid, "echo", json!({})), 403, "INSUFFICIENT_SCOPE").await;

    // Another tenant sees none of this tenant's MCP resources.
    let (_, key2) = s.second_tenant().await;
    let z2 = s.zaby_with_key(&key2);
    expect_err(z2.mcp().invoke_tool(&iid, "echo", json!({})), 404, "NOT_FOUND").await;
    expect_err(z2.mcp().list_installation_tools(&iid, None), 404, "NOT_FOUND").await;
    expect_err(z2.mcp().revoke_installation(&iid), 404, "NOT_FOUND").await;
    expect_err(z2.mcp().grant_access(&iid, json!({"agentId": "x"})), 404, "NOT_FOUND").await;
    let own = z2.mcp().list_catalog(None).json().await.unwrap();
    assert_eq!(own["total"], 4);
    let agent = z2.agents().create(json!({"slug": "a", "name": "a"})).json().await.unwrap();
    expect_err(z2.agents().attach_mcp_tool(id(&agent), json!({"toolId": iid})), 422, "VALIDATION_ERROR").await;
    // E80 with an agent: it must exist and hold access.
    expect_err(z.mcp().invoke_tool(&iid, "echo", json!({"agentId": id(&agent)})), 422, "VALIDATION_ERROR").await;
}

/// MCP bodies are read into the catalogue's input types: a misspelled member is a
/// 422 naming it with a "did you mean" and changes nothing, the documented aliases
/// still work, and an unknown installation is a 404 before any 422 about the body.
async fn typed_bodies(s: TestServer) {
    let z = s.zaby();
    let e = expect_err(
        z.mcp().create_server(json!({"name": "typo", "endpointUrll": "http://127.0.0.1:9/mcp"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    let errors = errors_of(e)["errors"].clone();
    let typo = errors.as_array().unwrap().iter().find(|e| e["field"] == "endpointUrll").unwrap();
    assert!(typo["message"].as_str().unwrap().contains("did you mean `endpointUrl`"), "{errors}");
    // Nothing was created: the slug derived from the name is still free.
    let fixed = json!({"name": "typo", "endpointUrl": "http://127.0.0.1:9/mcp"});
    assert_eq!(z.mcp().create_server(fixed).json().await.unwrap()["slug"], "typo");

    // `type` naming a transport and `transport: "HTTP"` are the documented aliases.
    let by_type = z
        .mcp()
        .create_server(json!({"name": "by type", "endpoint": "http://127.0.0.1:9/mcp", "type": "SSE"}))
        .json()
        .await
        .unwrap();
    assert_eq!((by_type["transport"].as_str(), by_type["type"].as_str()), (Some("SSE"), Some("EXTERNAL")));
    let changed = z.mcp().update_server(id(&by_type), json!({"transport": "HTTP"})).json().await.unwrap();
    assert_eq!(changed["transport"], "STREAMABLE_HTTP");
    let e = expect_err(
        z.mcp().update_server(id(&by_type), json!({"type": "STDIO", "transport": "SSE"})),
        422,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(errors_of(e)["errors"][0]["field"], "type");

    expect_err(z.mcp().update_installation("nope", json!({"rateLimitPerMinute": "x"})), 404, "NOT_FOUND").await;
    let inst = z.mcp().list_installations(None).json().await.unwrap()["items"][0].clone();
    let e =
        expect_err(z.mcp().update_tool_policy(id(&inst), "echo", json!({"enabeld": false})), 422, "VALIDATION_ERROR")
            .await;
    assert_eq!(errors_of(e)["errors"][0]["field"], "enabeld");
    let e =
        expect_err(z.mcp().invoke_tool(id(&inst), "echo", json!({"arguments": [1]})), 422, "VALIDATION_ERROR").await;
    assert_eq!(errors_of(e)["errors"][0]["field"], "arguments");
}
