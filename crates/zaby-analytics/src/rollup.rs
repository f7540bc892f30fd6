//! Rollup metrics per UTC bucket (`docs/api/intelligence.md` `Rollup`; the metrics in this crate's README).
//!
//! From the signals whose `createdAt` falls in a bucket (test-run signals excluded):
//!
//! | metric | value | `count` (data points) |
//! |---|---|---|
//! | `run_count` | `run_completed` + `run_failed` + `run_cancelled` signals | the same |
//! | `avg_response_time` | mean of non-null `run_completed.value` | those values |
//! | `p95_response_time` | their ⌈0.95·n⌉-th smallest | those values |
//! | `failure_rate` | `run_failed` / (`run_completed` + `run_failed`) | the denominator |
//! | `avg_rating` | mean of non-null `user_feedback.value` | those values |
//! | `feedback_count` | `user_feedback` signals | the same |
//! | `tool_error_rate` | `tool_error` signals / Σ `toolCalls` of run signals | Σ `toolCalls` |
//! | `tokens` | Σ (`inputTokens` + `outputTokens`) of run signals | run signals |
//!
//! A metric without data points (a zero count) is omitted, so `tool_error_rate` is
//! omitted in a bucket with tool errors but no finished run that made tool calls (the
//! run ended in the next bucket). Only buckets with data appear; the result is ordered
//! by bucket start, then metric name.

use std::collections::BTreeMap;

use crate::buckets::{Granularity, bucket_of};
use crate::error::FieldError;
use crate::signal::{Signal, SignalKind};
use crate::stats::{mean, p95};

/// `RollupMetric`. Declared in alphabetical order of the wire names, which is the
/// order rollups of one bucket are listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    AvgRating,
    AvgResponseTime,
    FailureRate,
    FeedbackCount,
    P95ResponseTime,
    RunCount,
    Tokens,
    ToolErrorRate,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::AvgRating,
        Metric::AvgResponseTime,
        Metric::FailureRate,
        Metric::FeedbackCount,
        Metric::P95ResponseTime,
        Metric::RunCount,
        Metric::Tokens,
        Metric::ToolErrorRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::AvgRating => "avg_rating",
            Metric::AvgResponseTime => "avg_response_time",
            Metric::FailureRate => "failure_rate",
            Metric::FeedbackCount => "feedback_count",
            Metric::P95ResponseTime => "p95_response_time",
            Metric::RunCount => "run_count",
            Metric::Tokens => "tokens",
            Metric::ToolErrorRate => "tool_error_rate",
        }
    }

    /// Parses the wire value; the error names the `metric` field.
    pub fn parse(value: &str) -> Result<Metric, FieldError> {
        Metric::ALL.into_iter().find(|m| m.as_str() == value).ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
            FieldError::new("metric", format!("must be one of {}", names.join(", ")))
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub metric: Metric,
    pub bucket_start_ms: i64,
    /// Exclusive: the next bucket's start.
    pub bucket_end_ms: i64,
    pub value: f64,
    pub count: u64,
}

/// What one bucket accumulates.
#[derive(Default)]
struct Acc {
    end_ms: i64,
    completed: u64,
    failed: u64,
    cancelled: u64,
    response_times: Vec<f64>,
    feedback: u64,
    ratings: Vec<f64>,
    tool_errors: u64,
    tool_calls: u64,
    tokens: u64,
}

impl Acc {
    fn add(&mut self, signal: &Signal) {
        match signal.kind {
            SignalKind::RunCompleted => {
                self.completed += 1;
                if let Some(v) = signal.value.filter(|v| v.is_finite()) {
                    self.response_times.push(v);
                }
            }
            SignalKind::RunFailed => self.failed += 1,
            SignalKind::RunCancelled => self.cancelled += 1,
            SignalKind::UserFeedback => {
                self.feedback += 1;
                if let Some(v) = signal.value.filter(|v| v.is_finite()) {
                    self.ratings.push(v);
                }
            }
            SignalKind::ToolError => self.tool_errors += 1,
            _ => {}
        }
        if signal.kind.is_run() {
            self.tool_calls += signal.tool_calls();
            self.tokens += signal.tokens();
        }
    }

    /// `(value, count)` of a metric, `None` without data points.
    fn metric(&self, metric: Metric) -> Option<(f64, u64)> {
        let runs = self.completed + self.failed + self.cancelled;
        let n = self.response_times.len() as u64;
        let finished = self.completed + self.failed;
        match metric {
            Metric::RunCount => (runs > 0).then_some((runs as f64, runs)),
            Metric::AvgResponseTime => mean(&self.response_times).map(|v| (v, n)),
            Metric::P95ResponseTime => p95(&self.response_times).map(|v| (v, n)),
            Metric::FailureRate => (finished > 0).then(|| (self.failed as f64 / finished as f64, finished)),
            Metric::AvgRating => mean(&self.ratings).map(|v| (v, self.ratings.len() as u64)),
            Metric::FeedbackCount => (self.feedback > 0).then_some((self.feedback as f64, self.feedback)),
            Metric::ToolErrorRate => {
                (self.tool_calls > 0).then(|| (self.tool_errors as f64 / self.tool_calls as f64, self.tool_calls))
            }
            Metric::Tokens => (runs > 0).then_some((self.tokens as f64, runs)),
        }
    }
}

/// Rollups of `signals` (one agent's) per bucket; all metrics, or only `metric`.
pub fn rollups(signals: &[Signal], granularity: Granularity, metric: Option<Metric>) -> Vec<Rollup> {
    let mut buckets: BTreeMap<i64, Acc> = BTreeMap::new();
    for signal in signals.iter().filter(|s| !s.is_test_run) {
        let bucket = bucket_of(signal.created_at_ms, granularity);
        let acc = buckets.entry(bucket.start_ms).or_default();
        acc.end_ms = bucket.end_ms;
        acc.add(signal);
    }
    let metrics: Vec<Metric> = match metric {
        Some(m) => vec![m],
        None => Metric::ALL.to_vec(),
    };
    let mut out = Vec::new();
    for (start, acc) in &buckets {
        for &m in &metrics {
            if let Some((value, count)) = acc.metric(m) {
                out.push(Rollup { metric: m, bucket_start_ms: *start, bucket_end_ms: acc.end_ms, value, count });
            }
        }
    }
    out
}
