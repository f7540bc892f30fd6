//! Intelligence (`docs/api/intelligence.md`, `docs/server.md`, E93–E97): signals as stored by the runs domain,
//! rollups computed from them, and improvements generated from them by the rules of
//! `zaby_analytics`, with their review.
//!
//! Improvements are generated lazily: E95 first runs a pass over the agents whose
//! signals changed since the previous pass (see [`generate`]), then lists.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use zaby::types::{ApproveImprovementInput, E93Query, E94Query, E95Query, ImprovementStatus, RejectImprovementInput};
use zaby_analytics::{
    Granularity, Metric, Proposal, Rollup, SignalKind, ToolCall, expand_window, propose, rollups, utc_date,
};

use super::paging::page_of;
use super::{Caller, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::storage::intelligence::{self as store, ImprovementDoc, ImprovementRow, SignalFilter, SignalRow};
use crate::storage::page::{Page, encode_cursor};
use crate::storage::sql::Conn;
use crate::util::clock::{now_ms, parse_bound};
use crate::util::ids::new_id;
use crate::util::input::Problems;

const DAY_MS: i64 = 86_400_000;
/// Default rollup window: the last 30 days.
const DEFAULT_WINDOW_MS: i64 = 30 * DAY_MS;
/// Improvement passes judge the signals of the last 30 UTC days…
const LOOKBACK_DAYS: i64 = 30;
/// …loading 7 more days as the latency baseline of the earliest judged days.
const BASELINE_DAYS: i64 = 7;
const OPEN: &[ImprovementStatus] = &[ImprovementStatus::Proposed, ImprovementStatus::Approved];
/// The statuses E96 may set.
const DECISIONS: &[ImprovementStatus] = &[ImprovementStatus::Approved, ImprovementStatus::Implemented];
const TEXT_MAX: usize = 10_000;

// ---- signals (E93) ----

/// `from`/`to`: an RFC 3339 timestamp or a `YYYY-MM-DD` date (`to` as a date means
/// the end of that day); 422 naming the field otherwise, or when `from` > `to`.
fn bounds(from: Option<&str>, to: Option<&str>) -> ApiResult<(Option<i64>, Option<i64>)> {
    let parse = |key: &str, value: Option<&str>, end_of_day: bool| -> ApiResult<Option<i64>> {
        match value.filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => parse_bound(s.trim(), end_of_day)
                .map(Some)
                .ok_or_else(|| ApiError::invalid(key, "must be an RFC 3339 timestamp or a YYYY-MM-DD date")),
        }
    };
    let from = parse("from", from, false)?;
    let to = parse("to", to, true)?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    Ok((from, to))
}

/// E93.
pub async fn list_signals(ctx: &Ctx, caller: &Caller, q: E93Query) -> ApiResult<Page<SignalRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let (from, to) = bounds(q.from.as_deref(), q.to.as_deref())?;
    let sf = SignalFilter {
        agent_id: q.agent_id,
        kind: q.r#type.map(|t| t.as_str().to_string()),
        run_id: q.run_id,
        from,
        to,
    };
    let mut conn = ctx.db.read().await?;
    Ok(store::list_signals(&mut conn, &caller.tenant_id, &sf, &page).await?)
}

// ---- rollups (E94) ----

/// One computed rollup of an agent (E94).
pub struct AgentRollup {
    pub agent_id: String,
    pub granularity: Granularity,
    pub rollup: Rollup,
}

/// E94: the agent's signals in the whole buckets overlapping `[from, to]` (default:
/// the last 30 days), test runs excluded, aggregated by `zaby_analytics::rollups`.
/// Pages are cut from the computed list; the cursor is `(bucketStart, metric)`.
pub async fn list_rollups(ctx: &Ctx, caller: &Caller, q: E94Query) -> ApiResult<Page<AgentRollup>> {
    let agent_id = q.agent_id;
    // The wire enumerations and `zaby_analytics`'s name the same values.
    let granularity = match &q.granularity {
        None => Granularity::default(),
        Some(g) => Granularity::parse(g.as_str()).map_err(|e| ApiError::invalid(&e.field, &e.message))?,
    };
    let metric = match &q.metric {
        None => None,
        Some(m) => Some(Metric::parse(m.as_str()).map_err(|e| ApiError::invalid(&e.field, &e.message))?),
    };
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let (from, to) = bounds(q.from.as_deref(), q.to.as_deref())?;
    let now = now_ms();
    let to = to.unwrap_or(now);
    let from = from.unwrap_or(to - DEFAULT_WINDOW_MS);
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    let (start, end) = expand_window(from, to, granularity);
    let mut conn = ctx.db.read().await?;
    if crate::storage::agents::get(&mut conn, &caller.tenant_id, &agent_id).await?.is_none() {
        return Err(ApiError::not_found("agent"));
    }
    let signals = store::agent_signals(&mut conn, &caller.tenant_id, &agent_id, start, end, false).await?;
    drop(conn);
    let all = rollups(&signals, granularity, metric);
    let total = all.len() as i64;
    let after = page.after.clone();
    let mut rest = all.into_iter().filter(|r| match &after {
        None => true,
        Some((ts, m)) => (r.bucket_start_ms, r.metric.as_str()) > (*ts, m.as_str()),
    });
    let items: Vec<_> = rest.by_ref().take(page.limit as usize).collect();
    let cursors: Vec<String> = items.iter().map(|r| encode_cursor(r.bucket_start_ms, r.metric.as_str())).collect();
    let next_cursor = if rest.next().is_some() { cursors.last().cloned() } else { None };
    let items =
        items.into_iter().map(|rollup| AgentRollup { agent_id: agent_id.clone(), granularity, rollup }).collect();
    Ok(Page { items, cursors, next_cursor, total })
}

// ---- improvements (E95–E97) ----

/// One improvement pass for the tenant (or one agent of it).
///
/// For every agent whose non-test signals of the judged window (the last 30 UTC
/// days, plus 7 days of latency baseline) differ from what the previous pass saw
/// (count and newest time), the improvement rules (zaby-analytics README) run over those signals and the tool calls
/// of the agent's runs (`tool_result` events). A proposal is stored when
/// - no open (`PROPOSED`/`APPROVED`) improvement of the agent has its cause, and
/// - it has evidence no earlier improvement of that cause had (so a rejected or
///   implemented improvement comes back only when new signals trigger it again).
///
/// The insert is `ON CONFLICT DO NOTHING` against the unique index on open causes,
/// so concurrent passes (other requests, other replicas) never duplicate one.
pub async fn generate(ctx: &Ctx, tenant_id: &str, agent_id: Option<&str>) -> ApiResult<u64> {
    let now = now_ms();
    let today = now.div_euclid(DAY_MS) * DAY_MS;
    let judged_from = today - (LOOKBACK_DAYS - 1) * DAY_MS;
    let load_from = judged_from - BASELINE_DAYS * DAY_MS;
    let changed: Vec<(String, String)> = {
        let mut conn = ctx.db.read().await?;
        let current = store::signal_fingerprints(&mut conn, tenant_id, agent_id, load_from).await?;
        let seen: HashMap<String, String> = store::scan_fingerprints(&mut conn, tenant_id).await?.into_iter().collect();
        current.into_iter().filter(|(a, fp)| seen.get(a) != Some(fp)).collect()
    };
    if changed.is_empty() {
        return Ok(0);
    }
    let mut created = 0;
    let mut tx = ctx.db.write().await?;
    for (agent, fingerprint) in &changed {
        created += generate_for_agent(tx.conn(), tenant_id, agent, load_from, judged_from, now).await?;
        store::save_fingerprint(tx.conn(), tenant_id, agent, fingerprint, now).await?;
    }
    tx.commit().await?;
    Ok(created)
}

async fn generate_for_agent(
    conn: &mut Conn,
    tenant_id: &str,
    agent_id: &str,
    load_from: i64,
    judged_from: i64,
    now: i64,
) -> ApiResult<u64> {
    let signals = store::agent_signals(conn, tenant_id, agent_id, load_from, i64::MAX, false).await?;
    let error_signals: HashMap<(String, String), String> = signals
        .iter()
        .filter(|s| s.kind == SignalKind::ToolError)
        .filter_map(|s| {
            let run = s.run_id.clone()?;
            let call = s.payload_str("toolCallId")?.to_string();
            Some(((run, call), s.id.clone()))
        })
        .collect();
    let calls: Vec<ToolCall> = store::tool_results(conn, tenant_id, agent_id, load_from)
        .await?
        .into_iter()
        .filter_map(|r| {
            let name = r.data["toolName"].as_str()?.to_string();
            let call_id = r.data["toolCallId"].as_str().unwrap_or_default().to_string();
            let is_error = r.data["isError"].as_bool().unwrap_or(false);
            let error_signal_id =
                if is_error { error_signals.get(&(r.run_id.clone(), call_id.clone())).cloned() } else { None };
            Some(ToolCall {
                tool_name: name,
                tool_call_id: call_id,
                at_ms: r.created_at,
                is_error,
                error_signal_id,
                is_test_run: r.is_test_run,
            })
        })
        .collect();
    let existing = store::agent_improvements(conn, tenant_id, agent_id).await?;
    let open: HashSet<&str> =
        existing.iter().filter(|i| OPEN.iter().any(|s| s.as_str() == i.status)).map(|i| i.cause.as_str()).collect();
    let mut seen_evidence: HashMap<&str, HashSet<&str>> = HashMap::new();
    for i in &existing {
        let ids = i.doc.signal_ids.iter().map(String::as_str);
        seen_evidence.entry(i.cause.as_str()).or_default().extend(ids);
    }
    let judged_date = utc_date(judged_from);
    let proposals: Vec<Proposal> = propose(&signals, &calls, |cause| open.contains(cause))
        .into_iter()
        .filter(|p| match p.suggested_change["date"].as_str() {
            Some(date) if p.cause.starts_with("LATENCY:") => date >= judged_date.as_str(),
            _ => true,
        })
        .filter(|p| match seen_evidence.get(p.cause.as_str()) {
            None => true,
            Some(seen) => p.signal_ids.iter().any(|id| !seen.contains(id.as_str())),
        })
        .collect();
    let mut created = 0;
    for p in proposals {
        let row = ImprovementRow {
            id: new_id(),
            tenant_id: tenant_id.to_string(),
            agent_id: agent_id.to_string(),
            status: ImprovementStatus::Proposed.as_str().into(),
            cause: p.cause,
            doc: ImprovementDoc {
                title: Some(p.title),
                description: Some(p.description),
                category: Some(p.category.as_str().into()),
                suggested_change: match p.suggested_change {
                    Value::Object(change) => change,
                    _ => Map::new(),
                },
                signal_ids: p.signal_ids,
                comment: None,
                reason: None,
                decided_at: None,
            },
            created_at: now,
            updated_at: now,
        };
        if store::insert_improvement(conn, &row).await? {
            created += 1;
        }
    }
    Ok(created)
}

/// E95: runs an improvement pass, then lists.
pub async fn list_improvements(ctx: &Ctx, caller: &Caller, q: E95Query) -> ApiResult<Page<ImprovementRow>> {
    let page = page_of(q.cursor.as_deref(), q.limit, 20)?;
    let status = q.status.as_ref().map(|s| s.as_str());
    let agent_id = q.agent_id.as_deref();
    generate(ctx, &caller.tenant_id, agent_id).await?;
    let mut conn = ctx.db.read().await?;
    Ok(store::list_improvements(&mut conn, &caller.tenant_id, agent_id, status, &page).await?)
}

fn already_reviewed(i: &ImprovementRow) -> ApiError {
    ApiError::conflict("CANDIDATE_ALREADY_REVIEWED", format!("the improvement is already {}", i.status))
}

/// Why an improvement was decided, when the caller said.
enum Note {
    Comment(String),
    Reason(String),
}

/// Moves an improvement from one of `from` to `to`, setting `decidedAt` and the
/// note when given.
async fn decide(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    from: &[ImprovementStatus],
    to: ImprovementStatus,
    note: Option<Note>,
) -> ApiResult<ImprovementRow> {
    let mut tx = ctx.db.write().await?;
    let mut i = store::get_improvement(tx.conn(), &caller.tenant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("improvement"))?;
    if !from.iter().any(|f| f.as_str() == i.status) {
        return Err(already_reviewed(&i));
    }
    let previous = i.status.clone();
    let now = now_ms();
    i.status = to.as_str().to_string();
    i.doc.decided_at = Some(now);
    match note {
        Some(Note::Comment(c)) => i.doc.comment = Some(c),
        Some(Note::Reason(r)) => i.doc.reason = Some(r),
        None => {}
    }
    i.updated_at = now;
    if !store::decide_improvement(tx.conn(), &i, &previous).await? {
        let current = store::get_improvement(tx.conn(), &caller.tenant_id, id).await?.unwrap_or(i);
        return Err(already_reviewed(&current));
    }
    tx.commit().await?;
    Ok(i)
}

/// E96: `PROPOSED` → `APPROVED`/`IMPLEMENTED`, `APPROVED` → `IMPLEMENTED`.
pub async fn approve(
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    input: ApproveImprovementInput,
) -> ApiResult<ImprovementRow> {
    let mut p = Problems::default();
    let status = match input.status.as_deref().map(str::parse::<ImprovementStatus>) {
        None => ImprovementStatus::Approved,
        Some(Ok(s)) if DECISIONS.contains(&s) => s,
        Some(_) => {
            p.add("status", "must be one of APPROVED, IMPLEMENTED");
            ImprovementStatus::Approved
        }
    };
    let comment = input.comment;
    if let Some(c) = &comment {
        p.text("comment", c, TEXT_MAX, true);
    }
    p.finish()?;
    let from: &[ImprovementStatus] =
        if status == ImprovementStatus::Implemented { OPEN } else { &[ImprovementStatus::Proposed] };
    decide(ctx, caller, id, from, status, comment.map(Note::Comment)).await
}

/// E97: from `PROPOSED` or `APPROVED`.
pub async fn reject(ctx: &Ctx, caller: &Caller, id: &str, input: RejectImprovementInput) -> ApiResult<ImprovementRow> {
    let mut p = Problems::default();
    let reason = input.reason;
    if let Some(r) = &reason {
        p.text("reason", r, TEXT_MAX, true);
    }
    p.finish()?;
    decide(ctx, caller, id, OPEN, ImprovementStatus::Rejected, reason.map(Note::Reason)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::page::decode_cursor;

    #[test]
    fn rollup_cursor_round_trips() {
        let c = encode_cursor(1_700_000_000_000, "avg_rating");
        assert_eq!(decode_cursor(&c), Some((1_700_000_000_000, "avg_rating".to_string())));
    }
}
