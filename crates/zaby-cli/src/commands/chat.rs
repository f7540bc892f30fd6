//! `zaby chat AGENT`: a conversation in the terminal with a playground runtime token,
//! streamed as the agent answers, with a prompt for each approval and for the result of
//! each client tool call.

use futures::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use zaby::types::{
    ApprovalDecisionInput, ApprovalRequired, Citation, CitationKind, PlaygroundRuntimeTokenInput, RunStartInput,
    ToolResultInput,
};
use zaby::{ClientCall, RunEvent, ToolCallEvent, Zaby, ZabyRuntime};

use super::agents;
use crate::client::Target;
use crate::error::{CliError, CliResult};
use crate::output::{BOLD, CYAN, DIM, GREEN, Out, RED, YELLOW, outln};

/// Lifetime of the chat's runtime token.
const TOKEN_TTL_S: i64 = 3600;

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
    // E15 names the newest ACTIVE deployment; E14 then mints for the user, with a
    // lifetime that suits a conversation (E15's tokens last the default 600 s).
    let newest = z.agents().playground_runtime_tokens(&a.id, None).await?;
    let user = user.unwrap_or_else(|| format!("zaby-cli-{:08x}", rand::random::<u32>()));
    let mint = PlaygroundRuntimeTokenInput {
        deployment_id: newest.deployment_id,
        external_user_id: Some(user),
        ttl_seconds: Some(TOKEN_TTL_S),
        ..Default::default()
    };
    let token = z.agents().playground_runtime_tokens(&a.id, mint).await?;
    let rt = target.runtime(&token.token)?;
    let mut input = BufReader::new(tokio::io::stdin()).lines();
    if let Some(message) = message {
        let status = turn(z, &rt, out, &mut input, &message).await?;
        return Ok(if status == "COMPLETED" { 0 } else { 1 });
    }
    if !out.json {
        outln!(
            "{} {} — type a message, an empty line or Ctrl-D ends the chat",
            out.paint(BOLD, "chatting with"),
            a.slug
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
    let start = RunStartInput { input: message.into(), respond_async: Some(true), ..Default::default() };
    let run_id = rt.runs().start(start).await?.run_id;
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
        // The SDK's own reading of a tool_call: a call with `execution: "client"` is ours to answer.
        let client_call = event.client_call();
        match event {
            RunEvent::Text { data, .. } if !out.json => {
                if at_line_start {
                    out.write(&out.paint(GREEN, "agent> "));
                }
                out.write(&data.content);
                at_line_start = false;
            }
            RunEvent::Thinking { data, .. } if !out.json => {
                line_break(&mut at_line_start);
                outln!("{}", out.paint(DIM, &format!("  … {}", data.content)));
            }
            RunEvent::ToolCall { data, .. } => {
                line_break(&mut at_line_start);
                if !out.json {
                    let arguments = Value::Object(data.arguments);
                    outln!("{}", out.paint(YELLOW, &format!("  → {} {arguments}", data.tool_name)));
                }
                if let Some(call) = client_call {
                    answer_tool(rt, out, input, &run_id, call).await?;
                }
            }
            RunEvent::ToolResult { data, .. } if !out.json => {
                let style = if data.is_error { RED } else { YELLOW };
                outln!("{}", out.paint(style, &format!("  ← {} {}", data.tool_name, data.result)));
            }
            RunEvent::ApprovalRequired { data, .. } => {
                line_break(&mut at_line_start);
                decide(rt, out, input, &run_id, data).await?;
            }
            RunEvent::RunFinished { data, .. } => {
                status = data.status;
                line_break(&mut at_line_start);
                if !out.json {
                    print_citations(out, data.citations.as_deref().unwrap_or_default());
                    if status != "COMPLETED" {
                        outln!("{}", out.paint(RED, &format!("run {run_id} {status}")));
                    }
                }
            }
            RunEvent::RunError { data, .. } => {
                line_break(&mut at_line_start);
                if !out.json {
                    let msg = format!("run failed: {} ({})", data.message, data.code);
                    eprintln!("{}", out.paint(RED, &msg));
                }
            }
            _ => {}
        }
    }
    if out.json {
        out.json(&z.agents().get_run_progress(&run_id).await?);
    }
    Ok(status)
}

/// Asks `approve? [y/N]` and sends the answer; anything but y/yes (or the end of input) rejects.
async fn decide(rt: &ZabyRuntime, out: Out, input: &mut Input, run_id: &str, asked: ApprovalRequired) -> CliResult {
    let question = format!("  {} {} needs your approval", asked.tool_name, Value::Object(asked.arguments));
    // The question goes to stderr with --json so that stdout stays one JSON document.
    let ask = |s: &str| if out.json { eprint!("{s}") } else { out.write(s) };
    ask(&format!("{}\n  approve? [y/N] ", out.paint(YELLOW, &question)));
    let answer = read_answer(input).await?;
    let yes = matches!(answer.as_deref().map(|a| a.trim().to_ascii_lowercase()).as_deref(), Some("y" | "yes"));
    let approvals = rt.approvals();
    let id = asked.approval_id.as_str();
    if yes {
        approvals.approve(run_id, id, decision("approved in zaby chat")).await?;
    } else {
        approvals.reject(run_id, id, decision("rejected in zaby chat")).await?;
    }
    Ok(())
}

/// Asks for the result of a client tool call and submits it (E126): a JSON value, or an
/// empty line and then a message for a failed call. The lines come from standard input,
/// a terminal or not; when it ends, the call is answered as failed, so that the run does
/// not wait for the tool's timeout.
async fn answer_tool(rt: &ZabyRuntime, out: Out, input: &mut Input, run_id: &str, call: ClientCall) -> CliResult {
    // The questions go to stderr with --json so that stdout stays one JSON document per turn.
    let ask = |s: &str| if out.json { eprint!("{s}") } else { out.write(s) };
    ask(&format!("{}\n", out.paint(YELLOW, &format!("  {} is a client tool: you answer it", call.tool_name))));
    let outcome = loop {
        ask("  result as JSON (empty line: the call failed)> ");
        let Some(line) = read_answer(input).await? else { break Err("no answer: the input ended".to_owned()) };
        if line.trim().is_empty() {
            ask("  error message> ");
            let message = read_answer(input).await?.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
            break Err(message.unwrap_or_else(|| "failed in zaby chat".to_owned()));
        }
        match serde_json::from_str::<Value>(line.trim()) {
            Ok(result) => break Ok(result),
            Err(e) => ask(&format!("{}\n", out.paint(RED, &format!("  not JSON ({e}); try again")))),
        }
    };
    let body = match outcome {
        Ok(result) => ToolResultInput { tool_call_id: call.tool_call_id, result: Some(result), ..Default::default() },
        Err(message) => ToolResultInput {
            tool_call_id: call.tool_call_id,
            is_error: Some(true),
            message: Some(message),
            ..Default::default()
        },
    };
    rt.runs().submit_tool_result(run_id, body).await?;
    Ok(())
}

/// The next line the user typed, `None` at the end of the input.
async fn read_answer(input: &mut Input) -> CliResult<Option<String>> {
    input.next_line().await.map_err(|e| CliError::Failed(format!("cannot read the answer: {e}")))
}

fn decision(reason: &str) -> ApprovalDecisionInput {
    ApprovalDecisionInput { reason: Some(reason.into()), ..Default::default() }
}

fn print_citations(out: Out, citations: &[Citation]) {
    if citations.is_empty() {
        return;
    }
    outln!("{}", out.paint(DIM, "sources:"));
    for (i, c) in citations.iter().enumerate() {
        let what = match c.kind {
            CitationKind::Memory => "memory",
            CitationKind::Chunk => c.title.as_deref().unwrap_or_default(),
        };
        outln!("{}", out.paint(DIM, &format!("  [{}] {what} ({:.2})", i + 1, c.score)));
    }
}
