//! Results of `client` calls: submitted with E126/E127, gathered by the executor at
//! the end of a step, timed out by the executor's housekeeping. A call is its
//! `tool_call` event with `execution: "client"`; its result is the `tool_result` event
//! with the same `toolCallId`, stored by whoever answers first (the caller or the
//! timeout), so the first result wins on every replica. The last result of a waiting
//! run moves it back to RUNNING with no lease, in the same transaction, so the next
//! executor poll (any replica's) resumes it, as after an approval decision.

use serde_json::{Map, Value, json};
use zaby::types::{self, RunStatus, ToolResultInput};

use super::{of_run, timeout_ms};
use crate::error::{ApiError, ApiResult};
use crate::services::Ctx;
use crate::services::runs::{Reader, RunView, load_visible};
use crate::services::webhooks::outbox;
use crate::storage::runs::{self as store, EventRow, RunRow};
use crate::storage::sql::{Conn, lock_row};
use crate::util::clock::now_ms;
use crate::util::input::Problems;

const WAITING: &str = "WAITING_FOR_TOOL_RESULT";
/// The statuses in which a run takes a result for a call it announced: a result may
/// come before the executor, still announcing the step's other calls, sets the run
/// waiting.
const TAKING: &[&str] = &["QUEUED", "RUNNING", "WAITING_FOR_APPROVAL", WAITING];
const MESSAGE_MAX: usize = 2_000;

/// A `client` call of a run and its result, if it has one.
struct ClientCall {
    id: String,
    name: String,
    announced_at: i64,
    result: Option<(Value, bool)>,
}

fn client_calls(events: &[EventRow]) -> Vec<ClientCall> {
    let mut calls: Vec<ClientCall> = Vec::new();
    for e in events {
        let id = e.data["toolCallId"].as_str().unwrap_or_default();
        match e.event.as_str() {
            "tool_call" if e.data["execution"] == "client" => calls.push(ClientCall {
                id: id.to_string(),
                name: e.data["toolName"].as_str().unwrap_or_default().to_string(),
                announced_at: e.created_at,
                result: None,
            }),
            "tool_result" => {
                if let Some(c) = calls.iter_mut().find(|c| c.id == id) {
                    c.result = Some((e.data["result"].clone(), e.data["isError"] == true));
                }
            }
            _ => {}
        }
    }
    calls
}

/// Stores the `tool_result` of `call` (the run's row locked), and resumes the run when
/// it waited for this result only. True when it resumed.
async fn answer(
    conn: &mut Conn,
    run: &RunRow,
    call: &ClientCall,
    result: Value,
    is_error: bool,
    last: bool,
) -> ApiResult<bool> {
    let now = now_ms();
    let Some(seq) = store::next_seq_if(conn, &run.id, TAKING, now).await? else {
        return Err(ApiError::conflict("RUN_NOT_WAITING_FOR_TOOL_RESULT", "the run ended meanwhile"));
    };
    let data = serde_json::to_value(types::ToolResult {
        tool_call_id: call.id.clone(),
        tool_name: call.name.clone(),
        result,
        is_error,
        simulated: Some(false),
        extra: Map::new(),
    })
    .map_err(|e| ApiError::internal("the tool_result event could not be written").with_cause(e.to_string()))?;
    store::insert_event(conn, &run.id, &run.tenant_id, seq, "tool_result", &data, now).await?;
    Ok(last && store::resume(conn, &run.id, RunStatus::WaitingForToolResult, now).await?)
}

/// The result a submission stands for: `result` as given, or for an error without
/// one, `{ "message": … }`.
fn submitted(input: ToolResultInput) -> ApiResult<(String, Value, bool)> {
    let is_error = input.is_error.unwrap_or(false);
    let mut p = Problems::default();
    p.text("toolCallId", &input.tool_call_id, 200, false);
    if let Some(m) = &input.message {
        p.text("message", m, MESSAGE_MAX, true);
    }
    if !is_error && input.result.is_none() {
        p.add("result", "is required unless isError is true");
    }
    p.finish()?;
    let result = match (input.result, input.message) {
        (Some(r), _) => r,
        (None, message) => json!({ "message": message.unwrap_or_default() }),
    };
    Ok((input.tool_call_id, result, is_error))
}

/// The run a result answered; `replayed` when the same result was stored before.
pub(crate) struct Submitted {
    pub(crate) run: RunView,
    pub(crate) replayed: bool,
}

/// E126 / E127: stores the result of a `client` call of the run.
pub(crate) async fn submit(
    ctx: &Ctx,
    reader: &Reader<'_>,
    run_id: &str,
    input: ApiResult<ToolResultInput>,
) -> ApiResult<Submitted> {
    let mut tx = ctx.db.write().await?;
    lock_row(tx.conn(), "runs", run_id).await?;
    let run = load_visible(tx.conn(), reader, run_id).await?;
    let (id, result, is_error) = submitted(input?)?;
    let calls = client_calls(&store::tool_events(tx.conn(), &run.id).await?);
    let open = calls.iter().filter(|c| c.result.is_none()).count();
    let Some(call) = calls.iter().find(|c| c.id == id) else {
        return Err(not_found_or_not_waiting(&run, &id));
    };
    let replayed = match &call.result {
        Some(stored) if *stored == (result.clone(), is_error) => true,
        Some(_) => {
            return Err(ApiError::conflict(
                "TOOL_RESULT_ALREADY_SUBMITTED",
                format!("tool call {id} already has a different result (the first result wins)"),
            ));
        }
        None if run.is_terminal() => return Err(not_waiting(&run)),
        None => false,
    };
    let resumed = !replayed && answer(tx.conn(), &run, call, result, is_error, open == 1).await?;
    let after = store::get(tx.conn(), &run.tenant_id, &run.id).await?.ok_or_else(|| ApiError::not_found("run"))?;
    let view = RunView::load(tx.conn(), after).await?;
    tx.commit().await?;
    if !replayed {
        ctx.runs.notify(&run.id);
    }
    if resumed {
        ctx.runs.wakeup.notify_one();
    }
    Ok(Submitted { run: view, replayed })
}

fn not_waiting(run: &RunRow) -> ApiError {
    ApiError::conflict(
        "RUN_NOT_WAITING_FOR_TOOL_RESULT",
        format!("the run is {}, not waiting for a tool result", run.status),
    )
}

/// An id that is no `client` call of the run: 404, unless the run waits for nothing.
fn not_found_or_not_waiting(run: &RunRow, id: &str) -> ApiError {
    if run.status != WAITING {
        return not_waiting(run);
    }
    ApiError::new(
        ::http::StatusCode::NOT_FOUND,
        "TOOL_CALL_NOT_FOUND",
        format!("toolCallId {id} is not a client tool call of this run"),
    )
}

/// What the executor finds at the end of a step that announced `client` calls.
pub(crate) enum Gathered {
    /// Every call has its result: `(toolCallId, result, isError)`.
    Answered(Vec<(String, Value, bool)>),
    /// The run now waits for the others (or is no longer the executor's): it stops.
    Waiting,
}

/// The results of the calls `ids`, or else the run set `WAITING_FOR_TOOL_RESULT` in
/// the same transaction (its row locked, so a result submitted meanwhile is seen).
pub(crate) async fn gather(ctx: &Ctx, run: &RunRow, owner: &str, ids: &[String]) -> ApiResult<Gathered> {
    let now = now_ms();
    let mut tx = ctx.db.write().await?;
    lock_row(tx.conn(), "runs", &run.id).await?;
    let calls = client_calls(&store::tool_events(tx.conn(), &run.id).await?);
    let answered: Option<Vec<_>> = ids
        .iter()
        .map(|id| {
            let c = calls.iter().find(|c| &c.id == id)?;
            c.result.clone().map(|(r, e)| (id.clone(), r, e))
        })
        .collect();
    if let Some(results) = answered {
        tx.commit().await?;
        return Ok(Gathered::Answered(results));
    }
    if store::wait_for_results(tx.conn(), &run.id, owner, now).await? {
        let waiting = RunRow { status: WAITING.into(), updated_at: now, ..run.clone() };
        outbox::record_run(tx.conn(), &waiting, "run.waiting_for_tool_result").await?;
    }
    tx.commit().await?;
    ctx.runs.notify(&run.id);
    Ok(Gathered::Waiting)
}

/// Answers the `client` calls of waiting runs that outlived their tool's `timeoutMs`
/// with `TOOL_RESULT_TIMEOUT`; a run whose calls all have results then resumes.
pub async fn expire_due(ctx: &Ctx) -> ApiResult<()> {
    let waiting = {
        let mut conn = ctx.db.read().await?;
        store::waiting_for_results(&mut conn, 100).await?
    };
    for (id, tenant) in waiting {
        let now = now_ms();
        let mut tx = ctx.db.write().await?;
        lock_row(tx.conn(), "runs", &id).await?;
        let Some(run) = store::get(tx.conn(), &tenant, &id).await?.filter(|r| r.status == WAITING) else { continue };
        let tools = of_run(&run.snapshot);
        let calls = client_calls(&store::tool_events(tx.conn(), &run.id).await?);
        let mut open = calls.iter().filter(|c| c.result.is_none()).count();
        let mut resumed = false;
        for c in calls.iter().filter(|c| c.result.is_none()) {
            let limit = tools.iter().find(|t| t.name == c.name).map_or(super::CLIENT_TIMEOUT_MS, timeout_ms);
            if c.announced_at + limit > now {
                continue;
            }
            let message = format!("no result for {} within {limit} ms", c.name);
            let result = json!({"code": "TOOL_RESULT_TIMEOUT", "message": message});
            resumed |= answer(tx.conn(), &run, c, result, true, open == 1).await?;
            open -= 1;
        }
        tx.commit().await?;
        if open < calls.iter().filter(|c| c.result.is_none()).count() {
            ctx.runs.notify(&run.id);
        }
        if resumed {
            ctx.runs.wakeup.notify_one();
        }
    }
    Ok(())
}
