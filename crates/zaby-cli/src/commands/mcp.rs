//! `zaby mcp …`: register an MCP server, list the tools of an installation, call one.

use futures::StreamExt;
use zaby::Zaby;
use zaby::types::{E74Query, InvokeToolInput, McpInstallInput, McpInstallation, McpInstallationStatus, McpServerInput};

use super::{collect, json_object};
use crate::cli::McpCmd;
use crate::error::{CliError, CliResult};
use crate::output::{GREEN, Out, RED, or_dash};

pub(crate) async fn run(z: &Zaby, cmd: McpCmd, out: Out) -> CliResult {
    match cmd {
        McpCmd::Add { name, url } => {
            let definition = McpServerInput {
                name: name.clone(),
                endpoint_url: Some(url),
                discover_tools: Some(true),
                ..Default::default()
            };
            let server = z.mcp().create_server(definition).await?;
            let install =
                McpInstallInput { server_definition_id: server.id, name: Some(name.clone()), ..Default::default() };
            let installation = z.mcp().install_server(install).await?;
            out.show(&installation, |o| {
                let tools = or_dash(installation.tool_count);
                format!("{} {name}: {tools} tools ({})", o.paint(GREEN, "installed"), installation.id)
            });
        }
        McpCmd::Tools { name } => {
            let installation = find(z, &name).await?;
            let tools = collect(z.mcp().iter_installation_tools(&installation.id, None)).await?;
            let rows: Vec<Vec<String>> = tools
                .iter()
                .map(|t| {
                    let approval = if t.policy.requires_approval { "yes" } else { "no" };
                    let description = or_dash(t.description.as_deref());
                    vec![t.name.clone(), t.effective_risk_level.to_string(), approval.into(), description]
                })
                .collect();
            out.show(&tools, |o| o.table(&["TOOL", "RISK", "APPROVAL", "DESCRIPTION"], &rows));
        }
        McpCmd::Call { name, tool, arguments } => {
            let arguments = json_object("the tool's arguments", &arguments)?;
            let installation = find(z, &name).await?;
            let call = InvokeToolInput { arguments: Some(arguments), ..Default::default() };
            let result = z.mcp().invoke_tool(&installation.id, &tool, call).await?;
            out.show(&result, |o| {
                let pretty = serde_json::to_string_pretty(&result.result).unwrap_or_default();
                if result.is_error { o.paint(RED, &pretty) } else { pretty }
            });
        }
    }
    Ok(())
}

/// The active installation with this name or id.
async fn find(z: &Zaby, name: &str) -> CliResult<McpInstallation> {
    let active = E74Query { status: Some(McpInstallationStatus::Active), ..Default::default() };
    let mut installations = z.mcp().iter_installations(active);
    while let Some(i) = installations.next().await {
        let i = i?;
        if i.name == name || i.id == name {
            return Ok(i);
        }
    }
    Err(CliError::Failed(format!("no active MCP installation named {name}: see `zaby mcp add`")))
}
