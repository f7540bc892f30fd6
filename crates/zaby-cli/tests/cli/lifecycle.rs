//! An agent from creation to deletion, a chat, its run and usage, a knowledge base, the
//! built-in MCP server and a runtime token, all through `zaby`.

use serde_json::{Value, json};

use crate::dev::Dev;

fn names(events: &Value) -> Vec<&str> {
    events.as_array().expect("an array of events").iter().map(|e| e["event"].as_str().unwrap_or("?")).collect()
}

#[test]
fn lifecycle_through_the_cli() {
    let dev = Dev::start();

    let status = dev.json(&["status"]);
    assert_eq!((status["health"]["status"].as_str(), status["apiKey"]["valid"].as_bool()), (Some("ok"), Some(true)));
    assert_eq!(status["health"]["database"]["kind"], "sqlite");
    assert_eq!(status["origin"], json!(dev.origin));
    // The key's tenant, as the server names it (`x-zaby-tenant-id`), in both forms.
    let tenant = status["apiKey"]["tenantId"].as_str().expect("the key's tenant").to_owned();
    assert!(!tenant.is_empty());
    assert!(dev.text(&["status"]).contains(&format!("accepted (tenant {tenant})")));

    // Create with instructions from a file, then find it by slug.
    std::fs::write(dev.path("prompt.txt"), "Answer briefly.").unwrap();
    let created =
        dev.json(&["agents", "create", "--slug", "cli-helper", "--name", "Helper", "--instructions", "@prompt.txt"]);
    assert_eq!(
        (created["status"].as_str(), created["instructions"].as_str()),
        (Some("DRAFT"), Some("Answer briefly."))
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(dev.json(&["agents", "get", "cli-helper"])["id"], json!(id));
    let listed = dev.json(&["agents", "list"]);
    assert_eq!(listed.as_array().unwrap().iter().filter(|a| a["id"] == json!(id)).count(), 1, "{listed}");
    assert!(dev.text(&["agents", "list"]).contains("cli-helper"));

    // Deploying before publishing says what to do; then publish and deploy --wait.
    let early = dev.run(&["agents", "deploy", "cli-helper"]);
    assert_eq!(early.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&early.stderr).contains("zaby agents publish cli-helper"));
    assert_eq!(dev.json(&["agents", "publish", "cli-helper"])["version"], 1);
    let active = dev.json(&["agents", "deploy", "cli-helper", "--wait"]);
    assert_eq!((active["status"].as_str(), active["agentId"].as_str()), (Some("ACTIVE"), Some(id.as_str())));

    // One-shot chat: the answer as text, then the finished run as JSON.
    let said = dev.run(&["chat", "cli-helper", "--message", "hello there"]);
    assert_eq!(said.status.code(), Some(0), "{}", String::from_utf8_lossy(&said.stderr));
    assert!(String::from_utf8_lossy(&said.stdout).contains("You said: hello there"));
    let run = dev.json(&["chat", "cli-helper", "--user", "cli-user-1", "--message", "again"]);
    assert_eq!((run["status"].as_str(), run["finalOutput"].as_str()), (Some("COMPLETED"), Some("You said: again")));
    let run_id = run["runId"].as_str().unwrap();
    // A failing run exits 1.
    let failed = dev.run(&["chat", "cli-helper", "--message", "/tool nowhere"]);
    assert_eq!(failed.status.code(), Some(1));

    assert_eq!(dev.json(&["runs", "get", run_id])["status"], "COMPLETED");
    let events = dev.json(&["runs", "events", run_id]);
    assert_eq!(names(&events), ["RunStarted", "text", "text", "text", "RunFinished"]);
    let followed = dev.text(&["runs", "events", run_id, "--follow"]);
    assert_eq!(followed.lines().count(), 5, "{followed}");
    assert!(followed.lines().last().unwrap().contains("RunFinished"), "{followed}");

    let usage = dev.json(&["usage", "--agent", "cli-helper"]);
    assert_eq!(usage["agentId"], json!(id));
    assert_eq!((usage["totals"]["runs"].as_i64(), usage["totals"]["completedRuns"].as_i64()), (Some(3), Some(2)));
    assert!(dev.text(&["usage"]).contains("completed"));

    // A knowledge base: two files ingested, the right one found.
    let kb = dev.json(&["kb", "create", "Policies"]);
    let kb_id = kb["id"].as_str().unwrap();
    std::fs::write(dev.path("refunds.md"), "Refunds are paid within 14 days of the return.").unwrap();
    std::fs::write(dev.path("shipping.txt"), "Shipping takes three working days.").unwrap();
    let jobs = dev.json(&["kb", "upload", kb_id, "refunds.md", "shipping.txt"]);
    let states: Vec<&str> = jobs.as_array().unwrap().iter().map(|j| j["status"].as_str().unwrap()).collect();
    assert_eq!(states, ["COMPLETED", "COMPLETED"]);
    // Without a terminal, each finished bar is one line: the bytes sent (the file in its
    // JSON body, here over two 64 KiB pieces), then the ingestion's end.
    let faq = "Returns are free within 30 days. ".repeat(3000);
    std::fs::write(dev.path("faq.txt"), &faq).unwrap();
    let line = dev.text(&["kb", "upload", kb_id, "faq.txt"]);
    let sent: usize = line
        .strip_prefix("ready faq.txt: ")
        .and_then(|rest| rest.split(" bytes sent, ingestion COMPLETED ").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not a finished upload line: {line}"));
    assert!(sent > faq.len(), "the body holds the whole file: {sent} bytes for {}", faq.len());
    let found = dev.json(&["kb", "search", kb_id, "refunds paid"]);
    assert_eq!(found["items"][0]["title"], "refunds.md", "{found}");
    assert!(dev.text(&["kb", "search", kb_id, "refunds paid"]).contains("Refunds are paid within 14 days"));

    // The built-in MCP server.
    let tools = dev.json(&["mcp", "tools", "zaby-builtin"]);
    let tool_names: Vec<&str> = tools.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(tool_names.contains(&"sum") && tool_names.contains(&"echo"), "{tool_names:?}");
    let called = dev.json(&["mcp", "call", "zaby-builtin", "sum", r#"{"numbers":[2,3]}"#]);
    assert_eq!((called["result"]["sum"].as_i64(), called["isError"].as_bool()), (Some(5), Some(false)));

    mint_a_token(&dev, active["deploymentId"].as_str().unwrap());

    // Deleting needs --force while the agent is deployed.
    let refused = dev.run(&["agents", "delete", "cli-helper"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("(AGENT_HAS_ACTIVE_DEPLOYMENTS, request "));
    assert_eq!(dev.json(&["agents", "delete", "cli-helper", "--force"])["deleted"], true);

    assert!(dev.interrupt().success(), "zaby dev exits 0 after Ctrl-C");
}

/// The external app and its policy come from the SDK (the CLI mints, it does not set apps up).
fn mint_a_token(dev: &Dev, deployment_id: &str) {
    let app_id = dev.sdk(|z| async move {
        let app = z.external_apps().create(json!({ "name": "Shop", "slug": "shop" })).json().await?;
        z.external_apps()
            .bind_deployment(app["id"].as_str().unwrap(), json!({ "deploymentId": deployment_id }))
            .json()
            .await?;
        z.runtime_token_policies()
            .create(json!({ "name": "shop", "externalAppId": app["id"], "deploymentId": deployment_id }))
            .json()
            .await?;
        Ok::<_, zaby::ZabyError>(app["id"].as_str().unwrap().to_owned())
    });
    let app_id = app_id.expect("an external app with a policy");
    let token = dev.json(&["tokens", "mint", "--app", &app_id, "--user", "customer-7"]);
    assert_eq!(
        (token["externalAppId"].as_str(), token["deploymentId"].as_str()),
        (Some(app_id.as_str()), Some(deployment_id))
    );
    let plain = dev.text(&["tokens", "mint", "--app", &app_id, "--user", "customer-7"]);
    assert_eq!(plain.lines().count(), 1, "only the token: {plain}");
    assert!(plain.trim().len() > 20 && !plain.trim().contains(' '), "only the token: {plain}");
}
