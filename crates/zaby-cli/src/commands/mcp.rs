//! `zaby mcp …`: register an MCP server, list the tools of an installation, call one.

use futures::StreamExt;
use serde_json::{Value, json};
use zaby::Zaby;

use super::{collect, json_object};
use crate::cli::McpCmd;
use crate::error::{CliError, CliResult};
use crate::output::{GREEN, Out, RED, text};

pub(crate) async fn run(z: &Zaby, cmd: McpCmd, out: Out) -> CliResult {
    match cmd {
        McpCmd::Add { name, url } => {
            let server = z
                .mcp()
                .create_server(json!({ "name": name, "endpointUrl": url, "discoverTools": true }))
                .json()
                .await?;
            let installation =
                z.mcp().install_server(json!({ "serverDefinitionId": server["id"], "name": name })).json().await?;
            out.show(&installation, |o| {
                format!(
                    "{} {name}: {} tools ({})",
                    o.paint(GREEN, "installed"),
                    text(&installation, "toolCount"),
                    text(&installation, "id")
                )
            });
        }
        McpCmd::Tools { name } => {
            let installation = find(z, &name).await?;
            let tools = collect(z.mcp().iter_installation_tools(&text(&installation, "id"), None).json()).await?;
            let rows: Vec<Vec<String>> = tools
                .iter()
                .map(|t| {
                    let approval = if t["policy"]["requiresApproval"] == true { "yes" } else { "no" };
                    vec![text(t, "name"), text(t, "effectiveRiskLevel"), approval.into(), text(t, "description")]
                })
                .collect();
            out.show(&Value::Array(tools), |o| o.table(&["TOOL", "RISK", "APPROVAL", "DESCRIPTION"], &rows));
        }
        McpCmd::Call { name, tool, arguments } => {
            let arguments = json_object("the tool's arguments", &arguments)?;
            let installation = find(z, &name).await?;
            let result = z
                .mcp()
                .invoke_tool(&text(&installation, "id"), &tool, json!({ "arguments": arguments }))
                .json()
                .await?;
            out.show(&result, |o| {
                let pretty = serde_json::to_string_pretty(&result["result"]).unwrap_or_default();
                if result["isError"] == true { o.paint(RED, &pretty) } else { pretty }
            });
        }
    }
    Ok(())
}

/// The active installation with this name or id.
async fn find(z: &Zaby, name: &str) -> CliResult<Value> {
    let mut installations = z.mcp().iter_installations(json!({ "status": "ACTIVE" })).json();
    while let Some(i) = installations.next().await {
        let i = i?;
        if i["name"] == name || i["id"] == name {
            return Ok(i);
        }
    }
    Err(CliError::Failed(format!("no active MCP installation named {name}: see `zaby mcp add`")))
}
