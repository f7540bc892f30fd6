//! `zaby approvals …`: the provisioning side of human-in-the-loop tool calls.

use serde_json::{Value, json};
use zaby::Zaby;

use super::collect;
use crate::cli::{ApprovalsCmd, Decision};
use crate::error::CliResult;
use crate::output::{GREEN, Out, RED, text};

pub(crate) async fn run(z: &Zaby, cmd: ApprovalsCmd, out: Out) -> CliResult {
    match cmd {
        ApprovalsCmd::List { status, run } => {
            let mut query = json!({ "status": status });
            if let Some(run) = run {
                query["runId"] = json!(run);
            }
            let list = collect(z.approvals().iter(query).json()).await?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    let args = a["arguments"].to_string();
                    vec![
                        text(a, "runId"),
                        text(a, "id"),
                        text(a, "toolName"),
                        args,
                        text(a, "status"),
                        text(a, "createdAt"),
                    ]
                })
                .collect();
            out.show(&Value::Array(list), |o| {
                o.table(&["RUN", "APPROVAL", "TOOL", "ARGUMENTS", "STATUS", "CREATED"], &rows)
            });
        }
        ApprovalsCmd::Approve(d) => {
            let a = z.approvals().approve(&d.run, &d.approval, body(&d).unwrap_or_default()).json().await?;
            out.show(&a, |o| format!("{} {} ({})", o.paint(GREEN, "approved"), text(&a, "toolName"), text(&a, "id")));
        }
        ApprovalsCmd::Reject(d) => {
            let a = z.approvals().reject(&d.run, &d.approval, body(&d).unwrap_or_default()).json().await?;
            out.show(&a, |o| format!("{} {} ({})", o.paint(RED, "rejected"), text(&a, "toolName"), text(&a, "id")));
        }
    }
    Ok(())
}

fn body(d: &Decision) -> Option<Value> {
    d.reason.as_ref().map(|r| json!({ "reason": r }))
}
