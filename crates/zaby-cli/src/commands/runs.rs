//! `zaby runs …`: inspect a run, print or follow its events, cancel it.

use std::time::Duration;

use serde_json::{Value, json};
use zaby::Zaby;

use crate::cli::RunsCmd;
use crate::error::CliResult;
use crate::output::{DIM, GREEN, Out, outln, text};

/// Pause between two reads of a followed run that had nothing new.
const FOLLOW_POLL: Duration = Duration::from_millis(300);
const TERMINAL: [&str; 3] = ["COMPLETED", "FAILED", "CANCELLED"];

pub(crate) async fn run(z: &Zaby, cmd: RunsCmd, out: Out) -> CliResult {
    match cmd {
        RunsCmd::Get { run } => {
            let r = z.agents().get_run_progress(&run).json().await?;
            out.show(&r, |o| describe(o, &r));
        }
        RunsCmd::Events { run, follow } => events(z, out, &run, follow).await?,
        RunsCmd::Cancel { run, reason } => {
            let r =
                z.agents().cancel_run(&run, reason.map(|r| json!({ "reason": r })).unwrap_or_default()).json().await?;
            out.show(&r, |o| {
                format!("{} run {} ({})", o.paint(GREEN, "cancelled"), text(&r, "runId"), text(&r, "status"))
            });
        }
    }
    Ok(())
}

fn describe(out: &Out, r: &Value) -> String {
    let mut lines = vec![
        format!("run {}  {}", text(r, "runId"), out.paint(crate::output::BOLD, &text(r, "status"))),
        format!("  agent       {}", text(r, "agentId")),
        format!("  deployment  {}", text(r, "deploymentId")),
        format!("  created     {}", text(r, "createdAt")),
    ];
    if !r["finalOutput"].is_null() {
        lines.push(format!("  output      {}", text(r, "finalOutput")));
    }
    if !r["error"].is_null() {
        lines.push(format!("  error       {}", r["error"]));
    }
    lines.join("\n")
}

/// Pages of stored events from `cursor` on; with `follow`, until the run has ended and
/// every event is printed. `--json` without `--follow` prints one array; with it, one
/// event object per line as they arrive.
async fn events(z: &Zaby, out: Out, run_id: &str, follow: bool) -> CliResult {
    let mut cursor = "0".to_owned();
    let mut all = Vec::new();
    loop {
        let page = z.agents().list_run_events(run_id, json!({ "cursor": cursor, "limit": 500 })).json().await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for e in &items {
            if follow || !out.json {
                print_event(out, e);
            }
            cursor = text(e, "seq");
        }
        all.extend(items);
        let ended = TERMINAL.contains(&page["status"].as_str().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None if !follow || ended => break,
            None => tokio::time::sleep(FOLLOW_POLL).await,
        }
    }
    if out.json && !follow {
        out.json(&Value::Array(all));
    }
    Ok(())
}

fn print_event(out: Out, e: &Value) {
    if out.json {
        outln!("{}", e);
    } else {
        outln!("{} {:<18} {}", out.paint(DIM, &format!("{:>4}", text(e, "seq"))), text(e, "event"), e["data"]);
    }
}
