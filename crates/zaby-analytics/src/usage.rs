//! The usage report's arithmetic (`docs/api/usage.md` `UsageReport`).
//!
//! * Every run in the window counts, test runs included (`testRuns` says how many of
//!   `runs` were test runs): usage is what was consumed.
//! * Latency = `completedAt − startedAt` of `COMPLETED` runs; `avgLatencyMs` is their
//!   mean and `p95LatencyMs` the nearest-rank 95th percentile; both are `null` without
//!   completed runs (and a day's `avgLatencyMs` without completed runs that day).
//! * `daily` has one entry per UTC day of a run's `createdAt`, for days with runs, in
//!   date order.
//!
//! The structs serialize (serde) to the wire's camelCase fields.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::buckets::{DAY_MS, utc_date};
use crate::error::FieldError;
use crate::stats::{mean, nearest_rank};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    Queued,
    Running,
    WaitingForApproval,
    Completed,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn parse(value: &str) -> Result<RunStatus, FieldError> {
        Ok(match value {
            "QUEUED" => RunStatus::Queued,
            "RUNNING" => RunStatus::Running,
            "WAITING_FOR_APPROVAL" => RunStatus::WaitingForApproval,
            "COMPLETED" => RunStatus::Completed,
            "FAILED" => RunStatus::Failed,
            "CANCELLED" => RunStatus::Cancelled,
            _ => return Err(FieldError::new("status", "is not a run status")),
        })
    }
}

/// What the report needs of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub status: RunStatus,
    pub is_test_run: bool,
    pub created_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub completed_at_ms: Option<i64>,
    pub events: u64,
    pub tool_calls: u64,
    pub approvals_requested: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl RunRecord {
    /// `completedAt − startedAt` of a completed run (never negative).
    pub fn latency_ms(&self) -> Option<i64> {
        match (self.status, self.started_at_ms, self.completed_at_ms) {
            (RunStatus::Completed, Some(start), Some(end)) => Some((end - start).max(0)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotals {
    pub runs: u64,
    pub completed_runs: u64,
    pub failed_runs: u64,
    pub cancelled_runs: u64,
    pub test_runs: u64,
    pub events: u64,
    pub tool_calls: u64,
    pub approvals_requested: u64,
    pub feedback_count: u64,
    pub average_rating: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub avg_latency_ms: Option<f64>,
    pub p95_latency_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyUsage {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub runs: u64,
    pub completed_runs: u64,
    pub failed_runs: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub avg_latency_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageReport {
    pub totals: UsageTotals,
    pub daily: Vec<DailyUsage>,
}

/// The report for `runs` (the window's runs) and the ratings of the window's
/// feedback (`None` for feedback without a rating).
pub fn usage_report(runs: &[RunRecord], ratings: &[Option<f64>]) -> UsageReport {
    let mut totals = UsageTotals::default();
    let mut latencies = Vec::new();
    let mut days: BTreeMap<i64, (DailyUsage, Vec<f64>)> = BTreeMap::new();
    for run in runs {
        totals.runs += 1;
        totals.completed_runs += u64::from(run.status == RunStatus::Completed);
        totals.failed_runs += u64::from(run.status == RunStatus::Failed);
        totals.cancelled_runs += u64::from(run.status == RunStatus::Cancelled);
        totals.test_runs += u64::from(run.is_test_run);
        totals.events += run.events;
        totals.tool_calls += run.tool_calls;
        totals.approvals_requested += run.approvals_requested;
        totals.input_tokens += run.input_tokens;
        totals.output_tokens += run.output_tokens;
        let latency = run.latency_ms();
        if let Some(l) = latency {
            latencies.push(l as f64);
        }

        let day = run.created_at_ms.div_euclid(DAY_MS);
        let (entry, day_latencies) = days.entry(day).or_insert_with(|| {
            (
                DailyUsage {
                    date: utc_date(run.created_at_ms),
                    runs: 0,
                    completed_runs: 0,
                    failed_runs: 0,
                    input_tokens: 0,
                    output_tokens: 0,
                    avg_latency_ms: None,
                },
                Vec::new(),
            )
        });
        entry.runs += 1;
        entry.completed_runs += u64::from(run.status == RunStatus::Completed);
        entry.failed_runs += u64::from(run.status == RunStatus::Failed);
        entry.input_tokens += run.input_tokens;
        entry.output_tokens += run.output_tokens;
        if let Some(l) = latency {
            day_latencies.push(l as f64);
        }
    }
    totals.avg_latency_ms = mean(&latencies);
    totals.p95_latency_ms = nearest_rank(&latencies, 95).map(|v| v as i64);
    totals.feedback_count = ratings.len() as u64;
    let rated: Vec<f64> = ratings.iter().flatten().copied().collect();
    totals.average_rating = mean(&rated);
    let daily = days
        .into_values()
        .map(|(mut entry, day_latencies)| {
            entry.avg_latency_ms = mean(&day_latencies);
            entry
        })
        .collect();
    UsageReport { totals, daily }
}
