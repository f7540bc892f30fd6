//! One module per command group; `run` dispatches and returns the exit code.

mod agents;
mod approvals;
mod chat;
mod dev;
mod kb;
mod mcp;
mod runs;
mod status;
mod tokens;
mod usage;
mod webhooks;

use clap::CommandFactory;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use zaby::{Paginator, Zaby};

use crate::cli::{Cli, Command};
use crate::client;
use crate::error::{CliError, CliResult};
use crate::output::{Out, outln};

pub(crate) async fn run(args: Cli) -> CliResult<i32> {
    let out = Out::new(args.global.json);
    // Completions and `dev` need no server: they must work before any key exists.
    let connect = || -> CliResult<(client::Target, Zaby)> {
        let target = client::resolve(&args.global)?;
        let z = target.management()?;
        Ok((target, z))
    };
    match args.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "zaby", &mut script);
            outln!("{}", String::from_utf8_lossy(&script).trim_end());
        }
        Command::Dev { db, port } => return dev::run(out, db, port).await,
        Command::Chat { agent, user, message } => {
            let (target, z) = connect()?;
            return chat::run(&z, &target, out, &agent, user, message).await;
        }
        Command::Status => status::run(&connect()?.1, out).await?,
        Command::Agents(cmd) => agents::run(&connect()?.1, cmd, out).await?,
        Command::Runs(cmd) => runs::run(&connect()?.1, cmd, out).await?,
        Command::Approvals(cmd) => approvals::run(&connect()?.1, cmd, out).await?,
        Command::Tokens(cmd) => tokens::run(&connect()?.1, cmd, out).await?,
        Command::Kb(cmd) => kb::run(&connect()?.1, cmd, out).await?,
        Command::Mcp(cmd) => mcp::run(&connect()?.1, cmd, out).await?,
        Command::Webhooks(cmd) => webhooks::run(&connect()?.1, cmd, out).await?,
        Command::Usage { agent, from, to } => usage::run(&connect()?.1, out, agent, from, to).await?,
    }
    Ok(0)
}

/// Every item of an auto-paginating list.
async fn collect<T: DeserializeOwned>(mut items: Paginator<T>) -> CliResult<Vec<T>> {
    let mut all = Vec::new();
    while let Some(item) = items.next().await {
        all.push(item?);
    }
    Ok(all)
}

/// A JSON object given on the command line.
fn json_object(what: &str, text: &str) -> CliResult<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(CliError::Usage(format!("{what} must be a JSON object, got {text}"))),
        Err(e) => Err(CliError::Usage(format!("{what} is not valid JSON ({e}): {text}"))),
    }
}
