//! The interactive chat in a pseudo-terminal: streamed answers, a tool call behind a
//! manual approval answered at the `approve? [y/N]` prompt, and a rejection.

use serde_json::json;
use zaby::types::{AgentInput, ApprovalMode, AttachMcpToolInput, E74Query, McpInstallationStatus};

use crate::dev::Dev;

/// The agent gets the built-in `sum` behind a manual approval (the CLI has no attach
/// command, so the SDK does it), then is published and deployed through `zaby`.
fn agent_with_approved_sum(dev: &Dev) {
    dev.sdk(|z| async move {
        let agent =
            z.agents().create(AgentInput { slug: "adder".into(), name: "Adder".into(), ..Default::default() }).await?;
        let active = E74Query { status: Some(McpInstallationStatus::Active), ..Default::default() };
        let installs = z.mcp().list_installations(active).await?;
        let builtin = installs.items.into_iter().find(|i| i.name == "zaby-builtin").expect("the built-in installation");
        let tools = z.mcp().list_installation_tools(&builtin.id, None).await?;
        let sum = tools.items.into_iter().find(|t| t.name == "sum").expect("the sum tool");
        let attach = AttachMcpToolInput {
            tenant_installation_id: Some(builtin.id),
            tool_definition_id: Some(sum.id),
            approval_mode: Some(ApprovalMode::Manual),
            ..Default::default()
        };
        z.agents().attach_mcp_tool(&agent.id, attach).await?;
        Ok::<_, zaby::ZabyError>(())
    })
    .expect("an agent with the sum tool");
    dev.json(&["agents", "publish", "adder"]);
    dev.json(&["agents", "deploy", "adder", "--wait"]);
}

#[test]
fn interactive_chat_with_an_approval() {
    let dev = Dev::start();
    agent_with_approved_sum(&dev);

    let mut chat = rexpect::session::spawn_command(dev.command(&["chat", "adder", "--user", "pty-user"]), Some(30_000))
        .expect("zaby chat in a pseudo-terminal");
    chat.exp_string("chatting with adder").unwrap();
    chat.exp_string("you> ").unwrap();
    chat.send_line("hello").unwrap();
    chat.exp_string("agent> You said: hello").unwrap();

    chat.exp_string("you> ").unwrap();
    chat.send_line(r#"/tool sum {"numbers":[2,3]}"#).unwrap();
    // (rexpect reads bytes as Latin-1: the arrows before tool lines cannot be matched.)
    chat.exp_string(r#" sum {"numbers":[2,3]}"#).unwrap();
    chat.exp_string("approve? [y/N]").unwrap();
    chat.send_line("y").unwrap();
    chat.exp_string(r#" sum {"sum":5}"#).unwrap();
    chat.exp_string(r#"Tool sum returned: {"sum":5}"#).unwrap();

    // Anything but y rejects; the agent is told.
    chat.exp_string("you> ").unwrap();
    chat.send_line(r#"/tool sum {"numbers":[1,1]}"#).unwrap();
    chat.exp_string("approve? [y/N]").unwrap();
    chat.send_line("").unwrap();
    chat.exp_string("APPROVAL_REJECTED").unwrap();

    // An empty message ends the chat with exit 0.
    chat.exp_string("you> ").unwrap();
    chat.send_line("").unwrap();
    chat.exp_eof().unwrap();
    let status = chat.process().wait().unwrap();
    assert!(matches!(status, rexpect::process::WaitStatus::Exited(_, 0)), "{status:?}");

    // The server recorded both decisions, made by the end user's runtime token.
    let approved = dev.json(&["approvals", "list", "--status", "APPROVED"]);
    let rejected = dev.json(&["approvals", "list", "--status", "REJECTED"]);
    for (list, args) in [(&approved, json!({ "numbers": [2, 3] })), (&rejected, json!({ "numbers": [1, 1] }))] {
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!((list[0]["toolName"].as_str(), list[0]["decidedBy"].as_str()), (Some("sum"), Some("runtime")));
        assert_eq!(list[0]["arguments"], args);
    }
    assert!(dev.interrupt().success());
}
