//! The executor's side of function tools (docs/function-tools.md): a call is checked
//! against the tool's `parameters`, asks for an approval first when the tool is
//! `manual`, then is sent (`http`) or announced to the caller (`client`). The
//! `client` calls of a step are all announced before the run waits for their results;
//! each gets a placeholder in the step's answers, filled from the stored
//! `tool_result` events when every one has its result.

use std::time::{Duration, Instant};

use serde_json::Value;
use zaby::types::{self, FunctionTool, FunctionToolExecution};
use zaby_models::{CompletedToolCall, ToolCall};

use super::payloads::event;
use super::{Exec, RETRY_FOR};
use crate::error::ApiResult;
use crate::services::runs::function_tools::results::{self, Gathered};
use crate::services::runs::function_tools::{self as tools, execution, http};
use crate::storage::runs::EventRow;

impl Exec {
    /// The function tool the model called as `name`, if it is one.
    pub(super) fn function_tool(&self, name: &str) -> Option<FunctionTool> {
        self.functions.iter().find(|t| t.name == name).cloned()
    }

    fn call_event(
        call: &ToolCall,
        tool: &FunctionTool,
        execution: Option<FunctionToolExecution>,
    ) -> (&'static str, Value) {
        event(types::ToolCall {
            tool_call_id: call.id.clone(),
            tool_name: tool.name.clone(),
            arguments: call.arguments.as_object().cloned().unwrap_or_default(),
            execution,
            extra: Default::default(),
        })
    }

    /// A call of the pending step to the function tool `tool`; false when the run
    /// stops (it waits for an approval, or is no longer ours).
    pub(super) async fn function_call(&mut self, call: &ToolCall, tool: &FunctionTool) -> ApiResult<bool> {
        self.tool_calls += 1;
        // Announced without `execution` until it may run, so that no caller runs it early.
        if let Some(invalid) = tools::invalid_arguments(tool, &call.arguments) {
            let ev = Self::call_event(call, tool, None);
            if !self.pause().await || !self.commit(&[ev], None, None, vec![]).await? {
                return Ok(false);
            }
            return self.tool_result(call, &tool.name, invalid, true, false).await;
        }
        if tools::is_manual(tool) {
            let ev = Self::call_event(call, tool, None);
            self.request_approval(call, &tool.name, ev).await?;
            return Ok(false);
        }
        self.run_function(call, tool, false).await
    }

    /// Runs an allowed call: `http` sends it and stores the answer; `client` announces
    /// it (`announced`: its `tool_call` event is stored already) and leaves a
    /// placeholder for its result.
    pub(super) async fn run_function(
        &mut self,
        call: &ToolCall,
        tool: &FunctionTool,
        announced: bool,
    ) -> ApiResult<bool> {
        let kind = execution(tool);
        if kind == FunctionToolExecution::Client
            && let Some(p) = self.state.pending.as_mut()
        {
            p.done.push(CompletedToolCall { call: call.clone(), result: Value::Null, is_error: false });
            p.awaiting.push(call.id.clone());
        }
        if !announced {
            let ev = Self::call_event(call, tool, Some(kind));
            if !self.pause().await || !self.commit(&[ev], None, None, vec![]).await? {
                return Ok(false);
            }
        }
        if kind == FunctionToolExecution::Client {
            return Ok(true);
        }
        let (ctx, run) = (self.ctx.clone(), self.run.clone());
        let outcome = retrying!(self.ctx, "http tool call", http::call(&ctx, &run, tool, &call.id, &call.arguments))?;
        self.tool_result(call, &tool.name, outcome.result, outcome.is_error, false).await
    }

    /// At the end of a step: the results of its `client` calls go into their
    /// placeholders, or the run waits for them (false: it stops).
    pub(super) async fn answers_of_step(&mut self) -> ApiResult<bool> {
        let Some(ids) = self.state.pending.as_ref().map(|p| p.awaiting.clone()).filter(|a| !a.is_empty()) else {
            return Ok(true);
        };
        let (ctx, run, owner) = (self.ctx.clone(), self.run.clone(), self.owner.clone());
        let results = match retrying!(self.ctx, "client tool results", results::gather(&ctx, &run, &owner, &ids))? {
            Gathered::Waiting => return Ok(false),
            Gathered::Answered(results) => results,
        };
        if let Some(p) = self.state.pending.as_mut() {
            for (id, result, is_error) in results {
                if let Some(done) = p.done.iter_mut().find(|d| d.call.id == id) {
                    done.result = result;
                    done.is_error = is_error;
                }
            }
            p.awaiting.clear();
        }
        Ok(true)
    }

    /// Whether a run reclaimed after `last` (a `tool_call`) can go on: a function
    /// tool's call, announced to the caller (`client`) or to be sent again (`http`).
    pub(super) fn resumes_after(&self, last: &EventRow) -> bool {
        let id = last.data["toolCallId"].as_str().unwrap_or_default();
        let Some(p) = &self.state.pending else { return false };
        match last.data["execution"].as_str() {
            Some("client") => p.awaiting.iter().any(|a| a == id),
            Some("http") => p.calls.get(p.done.len()).is_some_and(|c| c.id == id),
            _ => false,
        }
    }
}
