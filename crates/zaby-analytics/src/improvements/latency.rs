//! LATENCY: an agent whose daily p95 response time is more than twice its 7-day
//! median.
//!
//! "Its 7-day median" is read as the median of the same metric, the daily
//! `p95_response_time`, over the 7 UTC days before the day judged (days without
//! completed runs have no value and do not count). Comparing p95 with p95 keeps a
//! normal long-tailed latency distribution from firing the rule every day, and
//! leaving the judged day out keeps a spike from raising its own baseline. A day with
//! no earlier data has no baseline and never fires.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Category, Proposal, chronological};
use crate::buckets::{DAY_MS, utc_date};
use crate::signal::{Signal, SignalKind};
use crate::stats::{median, p95};

/// Days before the judged day that form the baseline.
pub const BASELINE_DAYS: i64 = 7;

/// One proposal per UTC day (in date order) of `signals` that is slow; the evidence
/// is that day's completed runs slower than twice the baseline.
pub fn latency(signals: &[Signal]) -> Vec<Proposal> {
    let completed = chronological(
        signals
            .iter()
            .filter(|s| !s.is_test_run && s.kind == SignalKind::RunCompleted && s.value.is_some_and(f64::is_finite)),
    );
    let mut days: BTreeMap<i64, Vec<&Signal>> = BTreeMap::new();
    for signal in completed {
        days.entry(signal.created_at_ms.div_euclid(DAY_MS)).or_default().push(signal);
    }
    let daily_p95: BTreeMap<i64, f64> =
        days.iter().filter_map(|(day, signals)| p95(&values(signals)).map(|v| (*day, v))).collect();

    let mut out = Vec::new();
    for (&day, &day_p95) in &daily_p95 {
        let baseline: Vec<f64> = daily_p95.range(day - BASELINE_DAYS..day).map(|(_, v)| *v).collect();
        let Some(baseline) = median(&baseline) else {
            continue;
        };
        let threshold = 2.0 * baseline;
        if day_p95 <= threshold {
            continue;
        }
        let date = utc_date(day * DAY_MS);
        out.push(Proposal {
            category: Category::Latency,
            cause: format!("LATENCY:date:{date}"),
            title: format!("Slow responses on {date}"),
            description: format!(
                "The p95 response time on {date} was {day_p95} ms, more than twice the \
                 median daily p95 of the previous 7 days ({baseline} ms)."
            ),
            suggested_change: json!({"type": "latency", "date": date}),
            signal_ids: days[&day]
                .iter()
                .filter(|s| s.value.is_some_and(|v| v > threshold))
                .map(|s| s.id.clone())
                .collect(),
        });
    }
    out
}

fn values(signals: &[&Signal]) -> Vec<f64> {
    signals.iter().filter_map(|s| s.value).collect()
}
