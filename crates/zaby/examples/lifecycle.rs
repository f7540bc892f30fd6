//! The Zaby lifecycle against a running zaby-server, in Rust.
//!
//! ```sh
//! ZABY_API_ORIGIN=http://127.0.0.1:9080 ZABY_API_KEY=zaby_pk_... cargo run -p zaby --example lifecycle
//! ```
//!
//! The same steps as `examples/python/lifecycle.py`: a knowledge base, an agent with
//! the built-in `sum` MCP tool behind a manual approval, publish, deploy, an external
//! app with a quota policy, a runtime token, streamed runs, feedback, usage, signals.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use zaby::{Zaby, ZabyError, ZabyRuntime};

const HANDBOOK: &str = "# Returns\n\nCustomers can return any item within 30 days of delivery for a full refund.\n\
Refunds reach the original payment method within 5 business days.\n\n# Shipping\n\n\
Orders ship within 2 business days. Express delivery takes one day.\n";

fn say(step: &str, detail: impl std::fmt::Display) {
    println!("\u{2192} {step}: {detail}");
}

async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> zaby::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = zaby::Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(ZabyError::client("TIMEOUT", format!("timed out waiting for {what}")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::main]
async fn main() -> zaby::Result<()> {
    let api_key = std::env::var("ZABY_API_KEY").map_err(|_| ZabyError::invalid_argument("set ZABY_API_KEY"))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    let suffix = format!("{:08x}", nanos ^ std::process::id());
    // The origin from ZABY_API_ORIGIN, or a zaby-server on this machine.
    let api_origin = std::env::var("ZABY_API_ORIGIN").unwrap_or_else(|_| zaby::LOCAL_ZABY_API_ORIGIN.to_owned());
    let zaby = Zaby::builder().api_key(api_key.as_str()).api_origin(&api_origin).build()?;

    let health = zaby.health().check().await?;
    say("server", format!("{} (version {})", health["status"], health["version"]));

    let kb = zaby.knowledge_bases().create(json!({ "name": format!("Handbook {suffix}") })).await?;
    let kb_id = kb["id"].as_str().unwrap_or_default().to_owned();
    let doc = zaby
        .knowledge_bases()
        .upload_text_document(&kb_id, json!({ "title": "Customer handbook", "content": HANDBOOK, "fileType": "MD" }))
        .await?;
    let job_id = doc["jobId"].as_str().unwrap_or_default().to_owned();
    wait_until("the ingestion job", || async {
        let job = zaby.knowledge_bases().get_job(&kb_id, &job_id).await?;
        Ok((job["status"] == "COMPLETED").then_some(()))
    })
    .await?;
    say("knowledge base", format!("{} indexed", kb["slug"]));

    let agent = zaby
        .agents()
        .create(json!({
            "slug": format!("support-{suffix}"),
            "name": "Support assistant",
            "instructions": "Answer from the handbook. Use tools for arithmetic.",
            "config": { "localModel": { "rules": [
                { "match": "add", "toolName": "sum", "arguments": { "numbers": [30, 5] } }
            ] } },
        }))
        .await?;
    let agent_id = agent["id"].as_str().unwrap_or_default().to_owned();
    say("agent created", format!("{} ({})", agent["slug"], agent["status"]));
    zaby.agents().attach_knowledge_base(&agent_id, json!({ "knowledgeBaseId": kb_id })).await?;
    let mut catalog = zaby.mcp().iter_catalog(Some(json!({ "q": "sum" })));
    let mut sum_tool = Value::Null;
    while let Some(tool) = catalog.next().await {
        let tool = tool?;
        if tool["serverSlug"] == "zaby-builtin" && tool["toolName"] == "sum" {
            sum_tool = tool;
            break;
        }
    }
    zaby.agents().attach_mcp_tool(&agent_id, json!({ "toolId": sum_tool["toolId"], "approvalMode": "MANUAL" })).await?;
    say("attached", "knowledge base + MCP tool 'sum' (manual approval)");

    let version = zaby.agents().publish(&agent_id).await?;
    let deployment =
        zaby.agents().deploy(&agent_id, json!({ "agentVersionId": version["id"], "environment": "TEST" })).await?;
    let deployment_id = deployment["id"].as_str().unwrap_or_default().to_owned();
    say("deployment", &deployment["status"]);
    let provisioning = zaby.deployments().wait_until_active(&deployment_id, Duration::from_secs(60)).await?;
    let status = provisioning.status.unwrap_or_default();
    say("deployment", format!("{status:?} at {:?}", provisioning.runtime_url.unwrap_or_default()));

    let app =
        zaby.external_apps().create(json!({ "name": "Storefront", "slug": format!("storefront-{suffix}") })).await?;
    let app_id = app["id"].as_str().unwrap_or_default().to_owned();
    zaby.external_apps()
        .bind_deployment(&app_id, json!({ "deploymentId": deployment_id, "allowApprovals": true }))
        .await?;
    let policy = zaby
        .runtime_token_policies()
        .create(json!({
            "name": "storefront default", "externalAppId": app_id, "deploymentId": deployment_id,
            "maxConcurrentRuns": 4, "tokenTtlSeconds": 900,
        }))
        .await?;
    let token = zaby
        .runtime_tokens()
        .create(json!({
            "externalAppId": app_id, "deploymentId": deployment_id,
            "quotaPolicyId": policy["id"], "externalUserId": "customer-42",
        }))
        .await?;
    say("runtime token", format!("expires {}", token["expiresAt"]));

    let runtime =
        ZabyRuntime::builder().token(token["token"].as_str().unwrap_or_default()).api_origin(&api_origin).build()?;
    for message in ["How long do refunds take?", "Please add my two orders"] {
        say("run", format!("{message:?}"));
        let started = runtime.runs().start(json!({ "input": { "message": message }, "respondAsync": true })).await?;
        let run_id = started["runId"].as_str().unwrap_or_default().to_owned();
        let mut events = runtime.runs().stream(&run_id, None);
        let mut streaming_text = false;
        while let Some(ev) = events.next().await {
            let ev = ev?;
            let d = &ev.data;
            if ev.event.as_deref() == Some("text") {
                // Text arrives in pieces; print them as they come, on one line.
                if !streaming_text {
                    print!("    text      ");
                    streaming_text = true;
                }
                print!("{}", d["content"].as_str().unwrap_or_default().replace('\n', " "));
                std::io::Write::flush(&mut std::io::stdout()).ok();
                continue;
            }
            if std::mem::take(&mut streaming_text) {
                println!();
            }
            match ev.event.as_deref() {
                Some("tool_call") => {
                    println!("    tool call {} {}", d["toolName"].as_str().unwrap_or_default(), d["arguments"])
                }
                Some("approval_required") => {
                    println!(
                        "    approval  {} needs a decision: approving",
                        d["toolName"].as_str().unwrap_or_default()
                    );
                    let approval_id = d["approvalId"].as_str().unwrap_or_default();
                    runtime.approvals().approve(&run_id, approval_id, Some(json!({ "reason": "demo" }))).await?;
                }
                Some("tool_result") => println!("    result    {}", d["result"]),
                Some("RunFinished") => println!("    finished  {}", d["status"].as_str().unwrap_or_default()),
                Some("RunError") => println!("    failed    {}: {}", d["code"], d["message"]),
                _ => {}
            }
        }
        runtime.feedback().create(&run_id, json!({ "rating": 5, "comment": "helpful" })).await?;
    }

    let usage = zaby.usage().get_agent_usage(Some(json!({ "agentId": agent_id }))).await?;
    say("usage", format!("{} runs, {} tool calls", usage["totals"]["runs"], usage["totals"]["toolCalls"]));
    let signals = zaby.intelligence().list_signals(Some(json!({ "agentId": agent_id }))).await?;
    say("intelligence", format!("{} signals", signals["total"]));
    Ok(())
}
