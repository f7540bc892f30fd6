//! The Zaby lifecycle against a running zaby-server, in Rust.
//!
//! ```sh
//! ZABY_API_ORIGIN=http://127.0.0.1:9080 ZABY_API_KEY=zaby_pk_... cargo run -p zaby --example lifecycle
//! ```
//!
//! The same steps as `examples/python/lifecycle.py`: a knowledge base, an agent with
//! the built-in `sum` MCP tool behind a manual approval, publish, deploy, an external
//! app with a quota policy, a runtime token, streamed runs (one calls a client function
//! tool the SDK answers through `with_tools`), feedback, usage, signals.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use zaby::types::{
    AgentInput, ApprovalDecisionInput, ApprovalMode, AttachKnowledgeBaseInput, AttachMcpToolInput, BindDeploymentInput,
    DeployInput, DeploymentEnvironment, E40Query, E68Query, E93Query, ExternalAppInput, FeedbackInput, FileType,
    FunctionTool, KnowledgeBaseInput, KnowledgeJobStatus, RunStartInput, RuntimeTokenCreateInput,
    RuntimeTokenPolicyInput, TextDocumentInput,
};
use zaby::{ClientTools, RunEvent, Zaby, ZabyError, ZabyRuntime};

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
    say("server", format!("{} (version {})", health.status, health.version.as_deref().unwrap_or("?")));

    let kb = zaby
        .knowledge_bases()
        .create(KnowledgeBaseInput { name: format!("Handbook {suffix}"), ..Default::default() })
        .await?;
    let document = TextDocumentInput {
        title: Some("Customer handbook".into()),
        content: HANDBOOK.into(),
        file_type: Some(FileType::Md),
        ..Default::default()
    };
    let doc = zaby.knowledge_bases().upload_text_document(&kb.id, document).await?;
    let job_id = doc.job_id.unwrap_or_default();
    wait_until("the ingestion job", || async {
        let job = zaby.knowledge_bases().get_job(&kb.id, &job_id).await?;
        Ok((job.status == KnowledgeJobStatus::Completed).then_some(()))
    })
    .await?;
    say("knowledge base", format!("{} indexed", kb.slug));

    // `config` is free-form: the development model's scripted tool calls.
    let config = json!({ "localModel": { "rules": [
        { "match": "add", "toolName": "sum", "arguments": { "numbers": [30, 5] } },
        { "match": "weather", "toolName": "get_weather", "arguments": { "city": "Lyon" } }
    ] } });
    // A client function tool: the end user's app runs it (`with_tools` below).
    let get_weather = FunctionTool {
        name: "get_weather".into(),
        description: Some("Today's weather in a city".into()),
        ..Default::default()
    };
    let agent = zaby
        .agents()
        .create(AgentInput {
            slug: format!("support-{suffix}"),
            name: "Support assistant".into(),
            instructions: Some("Answer from the handbook. Use tools for arithmetic and the weather.".into()),
            config: config.as_object().cloned(),
            function_tools: Some(vec![get_weather]),
            ..Default::default()
        })
        .await?;
    say("agent created", format!("{} ({})", agent.slug, agent.status));
    let attach_kb = AttachKnowledgeBaseInput { knowledge_base_id: kb.id.clone(), ..Default::default() };
    zaby.agents().attach_knowledge_base(&agent.id, attach_kb).await?;
    let mut catalog = zaby.mcp().iter_catalog(E68Query { q: Some("sum".into()), ..Default::default() });
    let mut sum_tool = None;
    while let Some(tool) = catalog.next().await {
        let tool = tool?;
        if tool.server_slug == "zaby-builtin" && tool.tool_name == "sum" {
            sum_tool = Some(tool);
            break;
        }
    }
    let sum_tool =
        sum_tool.ok_or_else(|| ZabyError::client("NOT_FOUND", "the built-in sum tool is not in the catalog"))?;
    let attach_tool = AttachMcpToolInput {
        tool_id: Some(sum_tool.tool_id),
        approval_mode: Some(ApprovalMode::Manual),
        ..Default::default()
    };
    zaby.agents().attach_mcp_tool(&agent.id, attach_tool).await?;
    say("attached", "knowledge base + MCP tool 'sum' (manual approval)");

    let version = zaby.agents().publish(&agent.id).await?;
    let deploy = DeployInput {
        agent_version_id: version.id,
        environment: Some(DeploymentEnvironment::Test),
        ..Default::default()
    };
    let deployment = zaby.agents().deploy(&agent.id, deploy).await?;
    say("deployment", deployment.status);
    let provisioning = zaby.deployments().wait_until_active(&deployment.id, Duration::from_secs(60)).await?;
    let status = provisioning.status.unwrap_or_default();
    say("deployment", format!("{status} at {}", provisioning.runtime_url.unwrap_or_default()));

    let app = zaby
        .external_apps()
        .create(ExternalAppInput {
            name: "Storefront".into(),
            slug: format!("storefront-{suffix}"),
            ..Default::default()
        })
        .await?;
    let binding =
        BindDeploymentInput { deployment_id: deployment.id.clone(), allow_approvals: Some(true), ..Default::default() };
    zaby.external_apps().bind_deployment(&app.id, binding).await?;
    let policy = zaby
        .runtime_token_policies()
        .create(RuntimeTokenPolicyInput {
            name: "storefront default".into(),
            external_app_id: app.id.clone(),
            deployment_id: deployment.id.clone(),
            max_concurrent_runs: Some(4),
            token_ttl_seconds: Some(900),
            ..Default::default()
        })
        .await?;
    let token = zaby
        .runtime_tokens()
        .create(RuntimeTokenCreateInput {
            external_app_id: app.id.clone(),
            deployment_id: deployment.id.clone(),
            quota_policy_id: policy.id,
            external_user_id: Some("customer-42".into()),
            ..Default::default()
        })
        .await?;
    say("runtime token", format!("expires {}", token.expires_at));

    let runtime = ZabyRuntime::builder().token(token.token.as_str()).api_origin(&api_origin).build()?;
    // The SDK answers the run's `get_weather` calls with this function.
    let tools = ClientTools::new().with("get_weather", |args: serde_json::Value| async move {
        Ok::<_, String>(json!({ "city": args["city"], "forecast": "sunny", "celsius": 21 }))
    });
    for message in ["How long do refunds take?", "Please add my two orders", "What's the weather in Lyon?"] {
        say("run", format!("{message:?}"));
        let start =
            RunStartInput { input: json!({ "message": message }), respond_async: Some(true), ..Default::default() };
        let run_id = runtime.runs().start(start).await?.run_id;
        let mut events = runtime.runs().stream(&run_id, None).with_tools(tools.clone());
        let mut streaming_text = false;
        while let Some(ev) = events.next().await {
            let ev = ev?;
            if let RunEvent::Text { data, .. } = &ev {
                // Text arrives in pieces; print them as they come, on one line.
                if !streaming_text {
                    print!("    text      ");
                    streaming_text = true;
                }
                print!("{}", data.content.replace('\n', " "));
                std::io::Write::flush(&mut std::io::stdout()).ok();
                continue;
            }
            if std::mem::take(&mut streaming_text) {
                println!();
            }
            match ev {
                RunEvent::ToolCall { data, .. } => {
                    println!("    tool call {} {}", data.tool_name, serde_json::Value::Object(data.arguments))
                }
                RunEvent::ApprovalRequired { data, .. } => {
                    println!("    approval  {} needs a decision: approving", data.tool_name);
                    let decision = ApprovalDecisionInput { reason: Some("demo".into()), ..Default::default() };
                    runtime.approvals().approve(&run_id, &data.approval_id, decision).await?;
                }
                RunEvent::ToolResult { data, .. } => println!("    result    {}", data.result),
                RunEvent::RunFinished { data, .. } => println!("    finished  {}", data.status),
                RunEvent::RunError { data, .. } => println!("    failed    {}: {}", data.code, data.message),
                // Thinking, RunStarted and events of names this SDK does not know.
                _ => {}
            }
        }
        let feedback = FeedbackInput { rating: Some(5), comment: Some("helpful".into()), ..Default::default() };
        runtime.feedback().create(&run_id, feedback).await?;
    }

    let usage =
        zaby.usage().get_agent_usage(E40Query { agent_id: Some(agent.id.clone()), ..Default::default() }).await?;
    let totals = usage.totals.unwrap_or_default();
    say("usage", format!("{} runs, {} tool calls", totals.runs, totals.tool_calls));
    let signals =
        zaby.intelligence().list_signals(E93Query { agent_id: Some(agent.id.clone()), ..Default::default() }).await?;
    say("intelligence", format!("{} signals", signals.total.unwrap_or_default()));
    Ok(())
}
