//! `zaby agents …`: the agent lifecycle (create, publish, deploy, delete).

use std::time::Duration;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use zaby::types::E6Query;
use zaby::{RequestOptions, Zaby};

use super::collect;
use crate::cli::AgentsCmd;
use crate::error::{CliError, CliResult};
use crate::output::{GREEN, Out, text};

/// How long `deploy --wait` waits for `ACTIVE`.
const DEPLOY_WAIT: Duration = Duration::from_secs(120);

pub(crate) async fn run(z: &Zaby, cmd: AgentsCmd, out: Out) -> CliResult {
    match cmd {
        AgentsCmd::List { status } => {
            let query = status.map(|s| json!({ "status": s }));
            let agents = collect(z.agents().iter(query.unwrap_or_default()).json()).await?;
            let rows: Vec<Vec<String>> = agents
                .iter()
                .map(|a| {
                    let active = a["activeDeployments"].as_array().map_or(0, Vec::len);
                    vec![
                        text(a, "slug"),
                        text(a, "name"),
                        text(a, "status"),
                        text(a, "latestVersion"),
                        active.to_string(),
                        text(a, "id"),
                    ]
                })
                .collect();
            out.show(&Value::Array(agents), |o| {
                o.table(&["SLUG", "NAME", "STATUS", "VERSION", "DEPLOYED", "ID"], &rows)
            });
        }
        AgentsCmd::Get { agent } => {
            let a = find(z, &agent).await?;
            out.show(&a, |o| describe(o, &a));
        }
        AgentsCmd::Create { slug, name, instructions, model } => {
            let mut input = json!({ "slug": slug, "name": name });
            if let Some(i) = instructions {
                input["instructions"] = json!(read_at_file(&i)?);
            }
            if let Some(m) = model {
                input["defaultModel"] = json!(m);
            }
            let a = z.agents().create(input).json().await?;
            out.show(&a, |o| format!("{} agent {} ({})", o.paint(GREEN, "created"), text(&a, "slug"), text(&a, "id")));
        }
        AgentsCmd::Publish { agent } => {
            let a = find(z, &agent).await?;
            let v = z.agents().publish(&text(&a, "id")).json().await?;
            out.show(&v, |o| {
                format!(
                    "{} {} version {} ({})",
                    o.paint(GREEN, "published"),
                    text(&a, "slug"),
                    text(&v, "version"),
                    text(&v, "id")
                )
            });
        }
        AgentsCmd::Deploy { agent, environment, wait } => deploy(z, out, &agent, environment, wait).await?,
        AgentsCmd::Delete { agent, force } => {
            let a = find(z, &agent).await?;
            let deleted = z
                .agents()
                .delete(&text(&a, "id"), E6Query { force: force.then_some(true), ..Default::default() })
                .json()
                .await?;
            out.show(&deleted, |o| {
                format!("{} agent {} ({})", o.paint(GREEN, "deleted"), text(&a, "slug"), text(&a, "id"))
            });
        }
    }
    Ok(())
}

/// The agent with this id, else the one with this slug.
pub(crate) async fn find(z: &Zaby, id_or_slug: &str) -> CliResult<Value> {
    match z.agents().get(id_or_slug).json().await {
        Ok(a) => Ok(a),
        Err(e) if e.status() == Some(404) => {
            let mut matches = z.agents().iter(json!({ "q": id_or_slug })).json();
            while let Some(a) = matches.next().await {
                let a = a?;
                if a["slug"] == id_or_slug {
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

fn describe(out: &Out, a: &Value) -> String {
    let mut lines = vec![
        format!("{} ({})", out.paint(crate::output::BOLD, &text(a, "name")), text(a, "slug")),
        format!("  id            {}", text(a, "id")),
        format!("  status        {}", text(a, "status")),
        format!("  model         {}", text(a, "defaultModel")),
        format!("  version       {}", text(a, "latestVersion")),
    ];
    for d in a["activeDeployments"].as_array().into_iter().flatten() {
        lines.push(format!("  deployment    {} {} {}", text(d, "id"), text(d, "environment"), text(d, "status")));
    }
    if let Some(i) = a["instructions"].as_str() {
        lines.push(format!("  instructions  {i}"));
    }
    lines.join("\n")
}

async fn deploy(z: &Zaby, out: Out, agent: &str, environment: Option<String>, wait: bool) -> CliResult {
    let a = find(z, agent).await?;
    let slug = text(&a, "slug");
    let Some(version) = a["latestVersionId"].as_str() else {
        return Err(CliError::Failed(format!(
            "agent {slug} has no published version: run `zaby agents publish {slug}` first"
        )));
    };
    let mut input = json!({ "agentVersionId": version });
    if let Some(env) = environment {
        input["environment"] = json!(env);
    }
    let d = z.agents().deploy(&text(&a, "id"), input).json().await?;
    if !wait {
        out.show(&d, |o| {
            format!("{} {slug} as deployment {} ({})", o.paint(GREEN, "deploying"), text(&d, "id"), text(&d, "status"))
        });
        return Ok(());
    }
    let spinner = if out.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    spinner.set_message(format!("deploying {slug} ({})", text(&d, "id")));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let active = z.deployments().wait_until_active_json(&text(&d, "id"), DEPLOY_WAIT, RequestOptions::default()).await;
    spinner.finish_and_clear();
    let p = active?;
    out.show(&p, |o| {
        format!("{} {slug}: deployment {} is ACTIVE", o.paint(GREEN, "deployed"), text(&p, "deploymentId"))
    });
    Ok(())
}
