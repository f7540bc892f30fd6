//! `zaby approvals …`: the provisioning side of human-in-the-loop tool calls.

use serde_json::Value;
use zaby::Zaby;
use zaby::types::{ApprovalDecisionInput, E37Query};

use super::collect;
use crate::cli::{ApprovalsCmd, Decision};
use crate::error::CliResult;
use crate::output::{GREEN, Out, RED, or_dash};

pub(crate) async fn run(z: &Zaby, cmd: ApprovalsCmd, out: Out) -> CliResult {
    match cmd {
        ApprovalsCmd::List { status, run } => {
            let query = E37Query { status: Some(status), run_id: run, ..Default::default() };
            let list = collect(z.approvals().iter(query)).await?;
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.run_id.clone(),
                        a.id.clone(),
                        a.tool_name.clone(),
                        Value::Object(a.arguments.clone()).to_string(),
                        a.status.to_string(),
                        or_dash(a.created_at.as_deref()),
                    ]
                })
                .collect();
            out.show(&list, |o| o.table(&["RUN", "APPROVAL", "TOOL", "ARGUMENTS", "STATUS", "CREATED"], &rows));
        }
        ApprovalsCmd::Approve(d) => {
            let a = z.approvals().approve(&d.run, &d.approval, body(&d)).await?;
            out.show(&a, |o| format!("{} {} ({})", o.paint(GREEN, "approved"), a.tool_name, a.id));
        }
        ApprovalsCmd::Reject(d) => {
            let a = z.approvals().reject(&d.run, &d.approval, body(&d)).await?;
            out.show(&a, |o| format!("{} {} ({})", o.paint(RED, "rejected"), a.tool_name, a.id));
        }
    }
    Ok(())
}

fn body(d: &Decision) -> Option<ApprovalDecisionInput> {
    d.reason.as_ref().map(|r| ApprovalDecisionInput { reason: Some(r.clone()), ..Default::default() })
}
