//! Rollup metrics (`docs/server.md`) with hand-computed values.

mod common;

use common::{at, at_ms, close, run, signal, test_run};
use serde_json::json;
use zaby_analytics::{Granularity, Metric, Rollup, Signal, rollups};

fn day1() -> i64 {
    at(2024, 5, 1, 0, 0, 0)
}
fn day2() -> i64 {
    at(2024, 5, 2, 0, 0, 0)
}
fn day3() -> i64 {
    at(2024, 5, 3, 0, 0, 0)
}

/// Day 1: three completed runs (100, 300, 200 ms), two failed, one cancelled, three
/// feedbacks (5, 2, unrated), one tool error, and test-run signals that must not count.
/// Day 2: a tool error at exactly midnight (no run with tool calls that day) and one
/// feedback (4) at the last millisecond.
fn signals() -> Vec<Signal> {
    let t = |h| at(2024, 5, 1, h, 0, 0);
    vec![
        run("s1", "run_completed", Some(100.0), 2, 10, 5, t(1)),
        run("s2", "run_completed", Some(300.0), 1, 20, 7, t(2)),
        run("s3", "run_completed", Some(200.0), 0, 1, 1, t(3)),
        run("s4", "run_failed", None, 1, 3, 0, t(4)),
        run("s5", "run_cancelled", None, 0, 0, 0, t(5)),
        signal("s6", "user_feedback", Some(5.0), json!({}), t(6)),
        signal("s7", "user_feedback", Some(2.0), json!({}), t(7)),
        signal("s8", "user_feedback", None, json!({}), t(8)),
        signal("s9", "tool_error", None, json!({"toolName": "x"}), t(9)),
        signal("s10", "approval_waited", Some(5000.0), json!({}), t(10)),
        test_run(run("s11", "run_completed", Some(9999.0), 5, 1000, 1000, t(11))),
        test_run(signal("s12", "user_feedback", Some(1.0), json!({}), t(12))),
        test_run(signal("s12b", "tool_error", None, json!({}), t(12))),
        run("s15", "run_failed", None, 0, 0, 0, at_ms(2024, 5, 1, 23, 59, 59, 999)),
        signal("s13", "tool_error", None, json!({}), day2()),
        signal("s14", "user_feedback", Some(4.0), json!({}), at_ms(2024, 5, 2, 23, 59, 59, 999)),
        signal("s16", "something_new", Some(1.0), json!({}), day2()),
    ]
}

fn expect(rollups: &[Rollup], want: &[(Metric, i64, i64, f64, u64)]) {
    assert_eq!(rollups.len(), want.len(), "{rollups:#?}");
    for (got, (metric, start, end, value, count)) in rollups.iter().zip(want) {
        assert_eq!(got.metric, *metric);
        assert_eq!((got.bucket_start_ms, got.bucket_end_ms), (*start, *end), "{metric:?}");
        close(got.value, *value);
        assert_eq!(got.count, *count, "{metric:?}");
    }
}

#[test]
fn daily_rollups_of_every_metric() {
    use Metric::*;
    let (d1, d2, d3) = (day1(), day2(), day3());
    expect(
        &rollups(&signals(), Granularity::Daily, None),
        &[
            (AvgRating, d1, d2, 3.5, 2),
            (AvgResponseTime, d1, d2, 200.0, 3),
            // 2 failed / (3 completed + 2 failed).
            (FailureRate, d1, d2, 0.4, 5),
            (FeedbackCount, d1, d2, 3.0, 3),
            // ⌈0.95·3⌉ = 3rd smallest.
            (P95ResponseTime, d1, d2, 300.0, 3),
            (RunCount, d1, d2, 6.0, 6),
            // (10+5) + (20+7) + (1+1) + (3+0) + 0 + 0.
            (Tokens, d1, d2, 47.0, 6),
            // 1 tool error / (2+1+0+1+0+0) tool calls.
            (ToolErrorRate, d1, d2, 0.25, 4),
            // Day 2: the tool error has no tool calls to relate to, so only feedback.
            (AvgRating, d2, d3, 4.0, 1),
            (FeedbackCount, d2, d3, 1.0, 1),
        ],
    );
}

#[test]
fn monthly_rollups_merge_the_days() {
    use Metric::*;
    let (m, next) = (at(2024, 5, 1, 0, 0, 0), at(2024, 6, 1, 0, 0, 0));
    expect(
        &rollups(&signals(), Granularity::Monthly, None),
        &[
            (AvgRating, m, next, 11.0 / 3.0, 3),
            (AvgResponseTime, m, next, 200.0, 3),
            (FailureRate, m, next, 0.4, 5),
            (FeedbackCount, m, next, 4.0, 4),
            (P95ResponseTime, m, next, 300.0, 3),
            (RunCount, m, next, 6.0, 6),
            (Tokens, m, next, 47.0, 6),
            (ToolErrorRate, m, next, 0.5, 4),
        ],
    );
}

#[test]
fn hourly_buckets_only_where_there_is_data() {
    let all = rollups(&signals(), Granularity::Hourly, Some(Metric::RunCount));
    let starts: Vec<i64> = all.iter().map(|r| r.bucket_start_ms).collect();
    let t = |h| at(2024, 5, 1, h, 0, 0);
    assert_eq!(starts, [t(1), t(2), t(3), t(4), t(5), t(23)]);
    assert!(all.iter().all(|r| r.value == 1.0 && r.count == 1));
}

#[test]
fn a_metric_filter_keeps_one_metric() {
    let p95 = rollups(&signals(), Granularity::Daily, Some(Metric::P95ResponseTime));
    expect(&p95, &[(Metric::P95ResponseTime, day1(), day2(), 300.0, 3)]);
    assert!(
        rollups(&signals(), Granularity::Daily, Some(Metric::ToolErrorRate))
            .iter()
            .all(|r| r.bucket_start_ms == day1())
    );
}

#[test]
fn p95_is_the_nearest_rank() {
    let make = |n: u32| -> Vec<Signal> {
        // Values n, n−1, …, 1 (unsorted input).
        (1..=n).map(|i| run(&format!("r{i}"), "run_completed", Some(f64::from(n + 1 - i)), 0, 0, 0, day1())).collect()
    };
    let p95 = |n| rollups(&make(n), Granularity::Daily, Some(Metric::P95ResponseTime))[0].value;
    assert_eq!(p95(1), 1.0);
    assert_eq!(p95(19), 19.0); // ⌈18.05⌉ = 19
    assert_eq!(p95(20), 19.0); // ⌈19⌉ = 19
    assert_eq!(p95(21), 20.0); // ⌈19.95⌉ = 20
    assert_eq!(p95(100), 95.0);
    assert_eq!(p95(101), 96.0); // ⌈95.95⌉ = 96
}

#[test]
fn only_test_runs_give_no_rollups() {
    let signals: Vec<Signal> = signals().into_iter().map(test_run).collect();
    assert!(rollups(&signals, Granularity::Daily, None).is_empty());
    assert!(rollups(&[], Granularity::Daily, None).is_empty());
}

#[test]
fn metric_names_round_trip() {
    for m in Metric::ALL {
        assert_eq!(Metric::parse(m.as_str()).unwrap(), m);
    }
    let names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "rollups list metrics in name order");
    assert_eq!(Metric::parse("latency").unwrap_err().field, "metric");
}
