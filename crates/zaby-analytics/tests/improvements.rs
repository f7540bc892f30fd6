//! Improvement rules (`docs/server.md`): each fires once per cause, ignores test runs,
//! and carries its evidence.

mod common;

use std::collections::HashSet;

use common::{at, run, signal, test_run};
use serde_json::json;
use zaby_analytics::improvements::{latency, quality, tools};
use zaby_analytics::{Category, Signal, ToolCall, propose};

fn feedback(id: &str, run_id: Option<&str>, rating: Option<f64>, minute: u8) -> Signal {
    let mut s = signal(
        id,
        "user_feedback",
        rating,
        json!({"feedbackId": format!("fb-{id}"), "label": null, "comment": "too vague"}),
        at(2024, 6, 1, 12, minute, 0),
    );
    s.run_id = run_id.map(str::to_string);
    s
}

fn rating_signals() -> Vec<Signal> {
    vec![
        // Loaded out of order on purpose: rules sort by time.
        feedback("f2", Some("r1"), Some(1.0), 2),
        feedback("f1", Some("r1"), Some(2.0), 1),
        feedback("f3", Some("r2"), Some(3.0), 3),
        test_run(feedback("f4", Some("r3"), Some(1.0), 4)),
        feedback("f5", Some("r4"), None, 5),
        feedback("f6", None, Some(1.0), 6),
    ]
}

#[test]
fn quality_fires_once_per_low_rated_run() {
    let proposals = quality(&rating_signals());
    assert_eq!(proposals.len(), 2);
    let r1 = &proposals[0];
    assert_eq!(r1.category, Category::Quality);
    assert_eq!(r1.cause, "QUALITY:run:r1");
    assert_eq!(r1.signal_ids, ["f1", "f2"]);
    assert_eq!(r1.suggested_change, json!({"type": "instructions", "runId": "r1", "feedbackId": "fb-f1"}));
    assert_eq!(r1.title, "Low rating on run r1");
    assert!(r1.description.contains("2/5"), "{}", r1.description);
    assert!(r1.description.contains("too vague"));
    // Feedback without a run is keyed by the feedback.
    let f6 = &proposals[1];
    assert_eq!(f6.cause, "QUALITY:feedback:fb-f6");
    assert_eq!(f6.suggested_change, json!({"type": "instructions", "runId": null, "feedbackId": "fb-f6"}));
}

fn call(tool: &str, i: u32, is_error: bool, test: bool) -> ToolCall {
    ToolCall {
        tool_name: tool.to_string(),
        tool_call_id: format!("{tool}-{i:02}"),
        at_ms: at(2024, 6, 1, 0, 0, 0) + i64::from(i) * 1000,
        is_error,
        error_signal_id: is_error.then(|| format!("err-{tool}-{i:02}")),
        is_test_run: test,
    }
}

fn tool_calls() -> Vec<ToolCall> {
    let mut calls = Vec::new();
    // search: an old failure, then 10 failures in its last 20 calls → 0.5, fires.
    calls.push(call("search", 0, true, false));
    for i in 1..=20 {
        calls.push(call("search", i, i % 2 == 1, false));
    }
    // lookup: 11 failures in 22 calls overall, but only 9 in the last 20 → 0.45.
    calls.push(call("lookup", 0, true, false));
    calls.push(call("lookup", 1, true, false));
    for i in 2..=21 {
        calls.push(call("lookup", i, i % 2 == 1 && i < 20, false));
    }
    // flaky: only test runs fail.
    for i in 0..3 {
        calls.push(call("flaky", i, true, true));
    }
    calls.push(call("flaky", 3, false, false));
    // single: its only call failed.
    calls.push(call("single", 0, true, false));
    calls.reverse();
    calls
}

#[test]
fn tools_fire_on_the_last_twenty_calls() {
    let proposals = tools(&tool_calls());
    let causes: Vec<&str> = proposals.iter().map(|p| p.cause.as_str()).collect();
    assert_eq!(causes, ["TOOLS:tool:search", "TOOLS:tool:single"]);
    let search = &proposals[0];
    assert_eq!(search.category, Category::Tools);
    assert_eq!(search.suggested_change, json!({"type": "tool", "toolName": "search"}));
    let expected: Vec<String> = (1..=20).filter(|i| i % 2 == 1).map(|i| format!("err-search-{i:02}")).collect();
    assert_eq!(search.signal_ids, expected);
    assert!(search.description.starts_with("10 of the last 20 calls to search failed (50%)"));
    assert_eq!(proposals[1].signal_ids, ["err-single-00"]);
}

/// Completed runs of one day (values in ms).
fn day(d: u8, values: &[f64]) -> Vec<Signal> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            run(&format!("d{d:02}-{i}"), "run_completed", Some(*v), 0, 0, 0, at(2024, 6, d, 1 + i as u8, 0, 0))
        })
        .collect()
}

fn latency_signals() -> Vec<Signal> {
    let mut s = Vec::new();
    // 1–7 June: daily p95 200, 210, 190, 200, 220, 180, 200 (median 200).
    for (d, p) in [(1, 200.0), (2, 210.0), (3, 190.0), (4, 200.0), (5, 220.0), (6, 180.0), (7, 200.0)] {
        s.extend(day(d, &[100.0, p]));
    }
    // 8 June: p95 of 4 values is the 4th = 500 > 2 × 200.
    s.extend(day(8, &[150.0, 300.0, 401.0, 500.0]));
    // 9 June: baseline 2–8 June → median 200; p95 400 is not more than twice it.
    s.extend(day(9, &[400.0]));
    // 10 June: a slow test run is ignored.
    s.push(test_run(run("test-slow", "run_completed", Some(100_000.0), 0, 0, 0, at(2024, 6, 10, 1, 0, 0))));
    // 20 June: slow, but no data in the 7 days before it.
    s.extend(day(20, &[1000.0]));
    // Other signals do not matter.
    s.push(run("failed", "run_failed", None, 0, 0, 0, at(2024, 6, 8, 5, 0, 0)));
    s
}

#[test]
fn latency_fires_when_the_daily_p95_doubles_the_median() {
    let proposals = latency(&latency_signals());
    assert_eq!(proposals.len(), 1, "{proposals:#?}");
    let p = &proposals[0];
    assert_eq!(p.category, Category::Latency);
    assert_eq!(p.cause, "LATENCY:date:2024-06-08");
    assert_eq!(p.suggested_change, json!({"type": "latency", "date": "2024-06-08"}));
    // The runs slower than twice the baseline (400 ms).
    assert_eq!(p.signal_ids, ["d08-2", "d08-3"]);
    assert!(p.description.contains("500 ms") && p.description.contains("(200 ms)"), "{}", p.description);
}

#[test]
fn latency_ignores_test_runs_entirely() {
    let signals: Vec<Signal> = latency_signals().into_iter().map(test_run).collect();
    assert!(latency(&signals).is_empty());
}

#[test]
fn propose_skips_causes_already_open() {
    let mut signals = rating_signals();
    signals.extend(latency_signals());
    let calls = tool_calls();
    let all = propose(&signals, &calls, |_| false);
    let causes: Vec<&str> = all.iter().map(|p| p.cause.as_str()).collect();
    assert_eq!(
        causes,
        [
            "QUALITY:run:r1",
            "QUALITY:feedback:fb-f6",
            "TOOLS:tool:search",
            "TOOLS:tool:single",
            "LATENCY:date:2024-06-08"
        ]
    );
    let open: HashSet<&str> = HashSet::from(["QUALITY:run:r1", "TOOLS:tool:search", "LATENCY:date:2024-06-08"]);
    let rest = propose(&signals, &calls, |c| open.contains(c));
    let causes: Vec<&str> = rest.iter().map(|p| p.cause.as_str()).collect();
    assert_eq!(causes, ["QUALITY:feedback:fb-f6", "TOOLS:tool:single"]);
    // Evaluating again with the same signals gives the same causes: one per cause.
    assert_eq!(propose(&signals, &calls, |_| false), all);
}
