//! `http` execution of function tools (docs/function-tools.md): the server POSTs
//! `{toolCallId, runId, agentId, name, arguments}` to the tool's `url`, signed like a
//! webhook with the agent's function-tool secret (`webhook-id` is the tool call's id,
//! so a receiver de-duplicates the retry after a crash), and takes the JSON answer as
//! the result. The target rules are the webhooks' (`webhooks::target`, checked again
//! before each call), narrowed by `ZABY_HTTP_TOOL_ALLOWED_HOSTS`.
//!
//! Each attempt is recorded before it is sent, in a transaction that checks the run is
//! still this executor's: a run reclaimed after a crash calls again with the same id
//! once, and a call interrupted twice is answered `TOOL_HTTP_ERROR` without a third.

use std::time::Duration;

use serde_json::{Value, json};
use url::Url;
use zaby::types::FunctionTool;

use crate::error::ApiResult;
use crate::services::Ctx;
use crate::services::tool_secrets;
use crate::services::webhooks::signed_post::{Answer, SignedRequest, post};
use crate::storage::http_tools;
use crate::storage::runs::RunRow;
use crate::util::clock::now_ms;

/// The largest answer taken as a result.
const RESULT_MAX_BYTES: usize = 1 << 20;
/// Attempts of one call at most: the first, and one retry after a crash.
const MAX_ATTEMPTS: i64 = 2;

/// What a call gave: the result fed to the model, and whether it is an error.
pub(crate) struct Outcome {
    pub(crate) result: Value,
    pub(crate) is_error: bool,
}

impl Outcome {
    fn error(code: &str, message: impl Into<String>, status: Option<u16>) -> Outcome {
        let mut result = json!({"code": code, "message": message.into()});
        if let Some(status) = status {
            result["status"] = json!(status);
        }
        Outcome { result, is_error: true }
    }
}

/// Runs one `http` call of `run`. An `Err` is a storage failure the executor may try
/// again; everything the receiver does (or fails to do) is an `Outcome`.
pub(crate) async fn call(
    ctx: &Ctx,
    run: &RunRow,
    tool: &FunctionTool,
    tool_call_id: &str,
    arguments: &Value,
) -> ApiResult<Outcome> {
    let outcome = send(ctx, run, tool, tool_call_id, arguments).await?;
    let label = if outcome.is_error { outcome.result["code"].as_str().unwrap_or("TOOL_HTTP_ERROR") } else { "ok" };
    metrics::counter!("zaby_http_tool_calls_total", "outcome" => label.to_string()).increment(1);
    Ok(outcome)
}

/// [`call`], before it is counted.
async fn send(
    ctx: &Ctx,
    run: &RunRow,
    tool: &FunctionTool,
    tool_call_id: &str,
    arguments: &Value,
) -> ApiResult<Outcome> {
    let Some(url) = tool.url.as_deref() else {
        return Ok(Outcome::error("TOOL_HTTP_ERROR", format!("the tool {} has no url", tool.name), None));
    };
    if let Err(why) = allowed(&ctx.settings.http_tool_allowed_hosts, url) {
        return Ok(Outcome::error("TOOL_URL_FORBIDDEN", why, None));
    }
    let body = json!({
        "toolCallId": tool_call_id,
        "runId": run.id,
        "agentId": run.agent_id,
        "name": tool.name,
        "arguments": arguments,
    })
    .to_string();
    let owner = run.lease_owner.as_deref().unwrap_or_default();
    let mut tx = ctx.db.write().await?;
    let Some(attempt) = http_tools::start_attempt(tx.conn(), &run.id, owner, tool_call_id, now_ms()).await? else {
        // Another executor owns the run now; what this one would store is refused too.
        return Ok(Outcome::error("TOOL_HTTP_ERROR", "the run was taken over; the call was not sent", None));
    };
    let signed =
        tool_secrets::sign(tx.conn(), &ctx.runs.secrets, &run.tenant_id, &run.agent_id, tool_call_id, &body).await?;
    tx.commit().await?;
    if attempt > MAX_ATTEMPTS {
        let message = "interrupted: the server stopped during the call and during its retry; it is not sent again";
        return Ok(Outcome::error("TOOL_HTTP_ERROR", message, None));
    }
    let (timestamp, signature) = match signed {
        Ok(s) => s,
        Err(why) => return Ok(Outcome::error("TOOL_HTTP_ERROR", why, None)),
    };
    let timeout = Duration::from_millis(super::timeout_ms(tool).max(1) as u64);
    let answer = post(SignedRequest {
        url,
        user_agent: concat!("zaby-tools/", env!("CARGO_PKG_VERSION")),
        id: tool_call_id,
        timestamp,
        signature: &signature,
        body,
        timeout,
        // One byte more tells an answer that is too long.
        keep_bytes: RESULT_MAX_BYTES + 1,
    })
    .await;
    Ok(match answer {
        Answer::Refused(why) => Outcome::error("TOOL_URL_FORBIDDEN", why, None),
        Answer::None(why) => Outcome::error("TOOL_HTTP_ERROR", why, None),
        Answer::Status(code, _) if !(200..300).contains(&code) => {
            Outcome::error("TOOL_HTTP_ERROR", format!("the tool's URL answered {code}"), Some(code))
        }
        Answer::Status(code, body) if body.len() > RESULT_MAX_BYTES => {
            Outcome::error("TOOL_HTTP_ERROR", format!("the answer is larger than {RESULT_MAX_BYTES} bytes"), Some(code))
        }
        Answer::Status(code, body) => match serde_json::from_slice(&body) {
            Ok(result) => Outcome { result, is_error: false },
            Err(e) => Outcome::error("TOOL_HTTP_ERROR", format!("the answer is not JSON: {e}"), Some(code)),
        },
    })
}

/// `ZABY_HTTP_TOOL_ALLOWED_HOSTS`: when it lists hosts, the URL's must be one of them.
fn allowed(hosts: &[String], url: &str) -> Result<(), String> {
    if hosts.is_empty() {
        return Ok(());
    }
    let host = Url::parse(url).ok().and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase()));
    match host {
        Some(h) if hosts.contains(&h) => Ok(()),
        Some(h) => Err(format!("the host {h} is not in ZABY_HTTP_TOOL_ALLOWED_HOSTS")),
        None => Err("the URL names no host".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_narrow_only_when_set() {
        assert!(allowed(&[], "https://any.example/x").is_ok());
        let hosts = ["tools.example".to_string(), "::1".to_string()];
        assert!(allowed(&hosts, "https://TOOLS.example:8443/x").is_ok());
        assert!(allowed(&hosts, "http://[::1]:9/x").is_ok());
        assert_eq!(
            allowed(&hosts, "https://other.example/x").unwrap_err(),
            "the host other.example is not in ZABY_HTTP_TOOL_ALLOWED_HOSTS"
        );
    }
}
