//! `zaby agents …`: the agent lifecycle (create, publish, deploy, delete).

use std::time::Duration;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use zaby::Zaby;
use zaby::types::{Agent, AgentInput, DeployInput, DeploymentEnvironment, E3Query, E6Query};

use super::collect;
use crate::cli::AgentsCmd;
use crate::error::{CliError, CliResult};
use crate::output::{GREEN, Out, or_dash};

/// How long `deploy --wait` waits for `ACTIVE`.
const DEPLOY_WAIT: Duration = Duration::from_secs(120);

pub(crate) async fn run(z: &Zaby, cmd: AgentsCmd, out: Out) -> CliResult {
    match cmd {
        AgentsCmd::List { status } => {
            let agents = collect(z.agents().iter(E3Query { status, ..Default::default() })).await?;
            let rows: Vec<Vec<String>> = agents
                .iter()
                .map(|a| {
                    vec![
                        a.slug.clone(),
                        a.name.clone(),
                        a.status.to_string(),
                        or_dash(a.latest_version),
                        a.active_deployments.len().to_string(),
                        a.id.clone(),
                    ]
                })
                .collect();
            out.show(&agents, |o| o.table(&["SLUG", "NAME", "STATUS", "VERSION", "DEPLOYED", "ID"], &rows));
        }
        AgentsCmd::Get { agent } => {
            let a = find(z, &agent).await?;
            out.show(&a, |o| describe(o, &a));
        }
        AgentsCmd::Create { slug, name, instructions, model } => {
            let input = AgentInput {
                slug,
                name,
                instructions: instructions.as_deref().map(read_at_file).transpose()?,
                default_model: model,
                ..Default::default()
            };
            let a = z.agents().create(input).await?;
            out.show(&a, |o| format!("{} agent {} ({})", o.paint(GREEN, "created"), a.slug, a.id));
        }
        AgentsCmd::Publish { agent } => {
            let a = find(z, &agent).await?;
            let v = z.agents().publish(&a.id).await?;
            out.show(&v, |o| {
                format!("{} {} version {} ({})", o.paint(GREEN, "published"), a.slug, or_dash(v.version), v.id)
            });
        }
        AgentsCmd::Deploy { agent, environment, wait } => deploy(z, out, &agent, environment, wait).await?,
        AgentsCmd::Delete { agent, force } => {
            let a = find(z, &agent).await?;
            let deleted =
                z.agents().delete(&a.id, E6Query { force: force.then_some(true), ..Default::default() }).await?;
            out.show(&deleted, |o| format!("{} agent {} ({})", o.paint(GREEN, "deleted"), a.slug, a.id));
        }
    }
    Ok(())
}

/// The agent with this id, else the one with this slug.
pub(crate) async fn find(z: &Zaby, id_or_slug: &str) -> CliResult<Agent> {
    match z.agents().get(id_or_slug).await {
        Ok(a) => Ok(a),
        Err(e) if e.status() == Some(404) => {
            let mut matches = z.agents().iter(E3Query { q: Some(id_or_slug.to_owned()), ..Default::default() });
            while let Some(a) = matches.next().await {
                let a = a?;
                if a.slug == id_or_slug {
                    return Ok(a);
                }
            }
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `TEXT`, or the content of `FILE` for `@FILE`.
fn read_at_file(value: &str) -> CliResult<String> {
    match value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("cannot read {path}: {e}"))),
        None => Ok(value.to_owned()),
    }
}

fn describe(out: &Out, a: &Agent) -> String {
    let mut lines = vec![
        format!("{} ({})", out.paint(crate::output::BOLD, &a.name), a.slug),
        format!("  id            {}", a.id),
        format!("  status        {}", a.status),
        format!("  model         {}", a.default_model),
        format!("  version       {}", or_dash(a.latest_version)),
    ];
    for d in &a.active_deployments {
        lines.push(format!("  deployment    {} {} {}", d.id, or_dash(d.environment), d.status));
    }
    if let Some(i) = &a.instructions {
        lines.push(format!("  instructions  {i}"));
    }
    lines.join("\n")
}

async fn deploy(z: &Zaby, out: Out, agent: &str, environment: Option<DeploymentEnvironment>, wait: bool) -> CliResult {
    let a = find(z, agent).await?;
    let slug = &a.slug;
    let Some(version) = a.latest_version_id.clone() else {
        return Err(CliError::Failed(format!(
            "agent {slug} has no published version: run `zaby agents publish {slug}` first"
        )));
    };
    let input = DeployInput { agent_version_id: version, environment, ..Default::default() };
    let d = z.agents().deploy(&a.id, input).await?;
    if !wait {
        out.show(&d, |o| format!("{} {slug} as deployment {} ({})", o.paint(GREEN, "deploying"), d.id, d.status));
        return Ok(());
    }
    let spinner = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message(format!("deploying {slug} ({})", d.id));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let active = z.deployments().wait_until_active(&d.id, DEPLOY_WAIT).await;
    spinner.finish_and_clear();
    let p = active?;
    out.show(&p, |o| {
        format!("{} {slug}: deployment {} is ACTIVE", o.paint(GREEN, "deployed"), or_dash(p.deployment_id.as_deref()))
    });
    Ok(())
}
