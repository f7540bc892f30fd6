//! `zaby chat AGENT`: a conversation in the terminal with a playground runtime token,
//! streamed as the agent answers, with a prompt for each approval.

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use zaby::{Zaby, ZabyRuntime};

use super::agents;
use crate::client::Target;
use crate::error::{CliError, CliResult};
use crate::output::{BOLD, CYAN, DIM, GREEN, Out, RED, YELLOW, outln, text};

/// Lifetime of the chat's runtime token.
const TOKEN_TTL_S: u64 = 3600;

type Input = Lines<BufReader<Stdin>>;

pub(crate) async fn run(
    z: &Zaby,
    target: &Target,
    out: Out,
    agent: &str,
    user: Option<String>,
    message: Option<String>,
) -> CliResult<i32> {
    let a = agents::find(z, agent).await?;
    let agent_id = text(&a, "id");
    // E15 names the newest ACTIVE deployment; E14 then mints for the user, with a
    // lifetime that suits a conversation (E15's tokens last the default 600 s).
    let newest = z.agents().playground_runtime_tokens(&agent_id, None).json().await?;
    let user = user.unwrap_or_else(|| format!("zaby-cli-{:08x}", rand::random::<u32>()));
    let input = json!({ "deploymentId": newest["deploymentId"], "externalUserId": user, "ttlSeconds": TOKEN_TTL_S });
    let token = z.agents().playground_runtime_tokens(&agent_id, input).json().await?;
    let rt = target.runtime(&text(&token, "token"))?;
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    if let Some(message) = message {
        let status = turn(z, &rt, out, &mut input, &message).await?;
        return Ok(if status == "COMPLETED" { 0 } else { 1 });
    }
    if !out.json {
        outln!(
            "{} {} — type a message, an empty line or Ctrl-D ends the chat",
            out.paint(BOLD, "chatting with"),
            text(&a, "slug")
        );
    }
    loop {
        out.write(&out.paint(CYAN, "you> "));
        let line = match input.next_line().await {
            Ok(Some(line)) if !line.trim().is_empty() => line,
            Ok(_) => break,
            Err(e) => return Err(CliError::Failed(format!("cannot read the terminal: {e}"))),
        };
        turn(z, &rt, out, &mut input, line.trim()).await?;
    }
    Ok(0)
}

/// One message and its answer; returns the run's final status.
async fn turn(z: &Zaby, rt: &ZabyRuntime, out: Out, input: &mut Input, message: &str) -> CliResult<String> {
    let started = rt.runs().start(json!({ "input": message, "respondAsync": true })).json().await?;
    let run_id = text(&started, "runId");
    let mut events = rt.runs().stream(&run_id, None);
    let mut status = "FAILED".to_owned();
    let mut at_line_start = true;
    let line_break = |at_line_start: &mut bool| {
        if !*at_line_start && !out.json {
            outln!();
        }
        *at_line_start = true;
    };
    while let Some(event) = events.next().await {
        let event = event?;
        let d = &event.data;
        match event.event.as_deref().unwrap_or_default() {
            "text" if !out.json => {
                if at_line_start {
                    out.write(&out.paint(GREEN, "agent> "));
                }
                out.write(&text(d, "content"));
                at_line_start = false;
            }
            "thinking" if !out.json => {
                line_break(&mut at_line_start);
                outln!("{}", out.paint(DIM, &format!("  … {}", text(d, "content"))));
            }
            "tool_call" if !out.json => {
                line_break(&mut at_line_start);
                outln!("{}", out.paint(YELLOW, &format!("  → {} {}", text(d, "toolName"), d["arguments"])));
            }
            "tool_result" if !out.json => {
                let style = if d["isError"] == true { RED } else { YELLOW };
                outln!("{}", out.paint(style, &format!("  ← {} {}", text(d, "toolName"), d["result"])));
            }
            "approval_required" => {
                line_break(&mut at_line_start);
                decide(rt, out, input, &run_id, d).await?;
            }
            "RunFinished" => {
                status = text(d, "status");
                line_break(&mut at_line_start);
                if !out.json {
                    print_citations(out, &d["citations"]);
                    if status != "COMPLETED" {
                        outln!("{}", out.paint(RED, &format!("run {run_id} {status}")));
                    }
                }
            }
            "RunError" => {
                line_break(&mut at_line_start);
                if !out.json {
                    let msg = format!("run failed: {} ({})", text(d, "message"), text(d, "code"));
                    eprintln!("{}", out.paint(RED, &msg));
                }
            }
            _ => {}
        }
    }
    if out.json {
        out.json(&z.agents().get_run_progress(&run_id).json().await?);
    }
    Ok(status)
}

/// Asks `approve? [y/N]` and sends the answer; anything but y/yes (or the end of input) rejects.
async fn decide(rt: &ZabyRuntime, out: Out, input: &mut Input, run_id: &str, d: &Value) -> CliResult {
    let approval_id = text(d, "approvalId");
    let question = format!("  {} {} needs your approval", text(d, "toolName"), d["arguments"]);
    // The question goes to stderr with --json so that stdout stays one JSON document.
    let ask = |s: &str| if out.json { eprint!("{s}") } else { out.write(s) };
    ask(&format!("{}\n  approve? [y/N] ", out.paint(YELLOW, &question)));
    let answer = input.next_line().await.map_err(|e| CliError::Failed(format!("cannot read the answer: {e}")))?;
    let yes = matches!(answer.as_deref().map(|a| a.trim().to_ascii_lowercase()).as_deref(), Some("y" | "yes"));
    if yes {
        rt.approvals().approve(run_id, &approval_id, json!({ "reason": "approved in zaby chat" })).json().await?;
    } else {
        rt.approvals().reject(run_id, &approval_id, json!({ "reason": "rejected in zaby chat" })).json().await?;
    }
    Ok(())
}

fn print_citations(out: Out, citations: &Value) {
    let Some(list) = citations.as_array().filter(|l| !l.is_empty()) else { return };
    outln!("{}", out.paint(DIM, "sources:"));
    for (i, c) in list.iter().enumerate() {
        let score = c["score"].as_f64().unwrap_or_default();
        let what = if c["kind"] == "memory" { "memory".to_owned() } else { text(c, "title") };
        outln!("{}", out.paint(DIM, &format!("  [{}] {what} ({score:.2})", i + 1)));
    }
}
