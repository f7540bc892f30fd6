//! `zaby runs …`: inspect a run, print or follow its events, cancel it.

use std::time::Duration;

use serde_json::Value;
use zaby::Zaby;
use zaby::types::{CancelRunInput, ListQuery, Run, RunStatus, StoredRunEvent};

use crate::cli::RunsCmd;
use crate::error::CliResult;
use crate::output::{DIM, GREEN, Out, or_dash, outln};

/// Pause between two reads of a followed run that had nothing new.
const FOLLOW_POLL: Duration = Duration::from_millis(300);

pub(crate) async fn run(z: &Zaby, cmd: RunsCmd, out: Out) -> CliResult {
    match cmd {
        RunsCmd::Get { run } => {
            let r = z.agents().get_run_progress(&run).await?;
            out.show(&r, |o| describe(o, &r));
        }
        RunsCmd::Events { run, follow } => events(z, out, &run, follow).await?,
        RunsCmd::Cancel { run, reason } => {
            let why = reason.map(|r| CancelRunInput { reason: Some(r), ..Default::default() });
            let r = z.agents().cancel_run(&run, why).await?;
            out.show(&r, |o| format!("{} run {} ({})", o.paint(GREEN, "cancelled"), r.run_id, r.status));
        }
    }
    Ok(())
}

fn describe(out: &Out, r: &Run) -> String {
    let mut lines = vec![
        format!("run {}  {}", r.run_id, out.paint(crate::output::BOLD, r.status.as_str())),
        format!("  agent       {}", or_dash(r.agent_id.as_deref())),
        format!("  deployment  {}", or_dash(r.deployment_id.as_deref())),
        format!("  created     {}", r.created_at),
    ];
    if let Some(output) = &r.final_output {
        lines.push(format!("  output      {output}"));
    }
    if let Some(error) = &r.error {
        lines.push(format!("  error       {}", serde_json::to_string(error).unwrap_or_default()));
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
        let query = ListQuery { cursor: Some(cursor.clone()), limit: Some(500) };
        let page = z.agents().list_run_events(run_id, query).await?;
        for e in &page.items {
            if follow || !out.json {
                print_event(out, e);
            }
            cursor = e.seq.map_or(cursor, |seq| seq.to_string());
        }
        all.extend(page.items);
        let ended = matches!(page.status, Some(RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled));
        match page.next_cursor {
            Some(next) => cursor = next,
            None if !follow || ended => break,
            None => tokio::time::sleep(FOLLOW_POLL).await,
        }
    }
    if out.json && !follow {
        out.json(&all);
    }
    Ok(())
}

fn print_event(out: Out, e: &StoredRunEvent) {
    if out.json {
        outln!("{}", serde_json::to_string(e).unwrap_or_default());
    } else {
        let seq = out.paint(DIM, &format!("{:>4}", or_dash(e.seq)));
        outln!("{seq} {:<18} {}", e.event.as_str(), Value::Object(e.data.clone()));
    }
}
